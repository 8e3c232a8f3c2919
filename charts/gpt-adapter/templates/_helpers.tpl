{{/* Chart name, overridable. */}}
{{- define "gpt-adapter.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-scoped base name of every object. */}}
{{- define "gpt-adapter.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "gpt-adapter.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object; pass (dict "root" $ "component" "api"). */}}
{{- define "gpt-adapter.labels" -}}
helm.sh/chart: {{ include "gpt-adapter.chart" .root }}
{{ include "gpt-adapter.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: gpt-adapter
{{- end }}

{{/* Immutable selector labels; pass (dict "root" $ "component" "api"). */}}
{{- define "gpt-adapter.selectorLabels" -}}
app.kubernetes.io/name: {{ include "gpt-adapter.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- end }}

{{- define "gpt-adapter.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "gpt-adapter.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "gpt-adapter.configMapName" -}}
{{- printf "%s-config" (include "gpt-adapter.fullname" .) }}
{{- end }}

{{/* The Secret every process reads: yours (secrets.existingSecret) or the chart's. */}}
{{- define "gpt-adapter.secretName" -}}
{{- if .Values.secrets.existingSecret }}
{{- .Values.secrets.existingSecret }}
{{- else if .Values.secrets.create }}
{{- printf "%s-secrets" (include "gpt-adapter.fullname" .) }}
{{- else }}
{{- fail "set secrets.existingSecret to the Secret holding DATABASE_URL, REDIS_URL and JWT_SECRET_KEY, or secrets.create=true with their values" }}
{{- end }}
{{- end }}

{{/* image reference; pass (dict "root" $ "image" .Values.api.image). */}}
{{- define "gpt-adapter.image" -}}
{{- printf "%s:%s" .image.repository (default .root.Chart.AppVersion .image.tag) }}
{{- end }}

{{/* One EnvVar read from the Secret; pass (dict "root" $ "name" "REDIS_URL" "optional" false). */}}
{{- define "gpt-adapter.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ include "gpt-adapter.secretName" .root }}
      key: {{ .name }}
      {{- if .optional }}
      optional: true
      {{- end }}
{{- end }}

{{/* Checksum of the rendered ConfigMap (and chart Secret), so that a change rolls the pods. */}}
{{- define "gpt-adapter.configChecksum" -}}
{{- $config := include (print .Template.BasePath "/configmap.yaml") . }}
{{- $secret := "" }}
{{- if .Values.secrets.create }}
{{- $secret = include (print .Template.BasePath "/secret.yaml") . }}
{{- end }}
{{- print $config $secret | sha256sum }}
{{- end }}

{{/* A config value as an integer, or the code's default when unset; pass
(dict "config" .Values.config "name" VARIABLE "default" CODE_DEFAULT). `default` would also
replace a 0. */}}
{{- define "gpt-adapter.configInt" -}}
{{- if hasKey .config .name }}
{{- index .config .name | int64 }}
{{- else }}
{{- .default }}
{{- end }}
{{- end }}

{{/* Refuses grace periods too short to finish the shutdown sequence the config asks for. */}}
{{- define "gpt-adapter.checkGracePeriods" -}}
{{- $delay := int .Values.config.SHUTDOWN_READINESS_DELAY_MS }}
{{- $drain := int .Values.config.SHUTDOWN_DRAIN_TIMEOUT_MS }}
{{- $jobGrace := include "gpt-adapter.configInt" (dict "config" .Values.config "name" "WORKER_SHUTDOWN_GRACE_MS" "default" 15000) | int }}
{{- if le (mul (int .Values.api.terminationGracePeriodSeconds) 1000) (add $delay $drain) }}
{{- fail (printf "api.terminationGracePeriodSeconds (%v s) must exceed SHUTDOWN_READINESS_DELAY_MS + SHUTDOWN_DRAIN_TIMEOUT_MS (%d ms)" .Values.api.terminationGracePeriodSeconds (add $delay $drain)) }}
{{- end }}
{{/* The worker template sets its SHUTDOWN_READINESS_DELAY_MS to 0: no Service routes to it. */}}
{{- $workerStop := add $drain $jobGrace }}
{{- if le (mul (int .Values.worker.terminationGracePeriodSeconds) 1000) $workerStop }}
{{- fail (printf "worker.terminationGracePeriodSeconds (%v s) must exceed SHUTDOWN_DRAIN_TIMEOUT_MS + WORKER_SHUTDOWN_GRACE_MS (%d ms)" .Values.worker.terminationGracePeriodSeconds $workerStop) }}
{{- end }}
{{- end }}

{{/* Refuses settings the processes would refuse at start-up because they contradict each other.
Unset ones take the code's defaults (.env.example). */}}
{{- define "gpt-adapter.checkConfig" -}}
{{- $c := .Values.config }}
{{- $soft := include "gpt-adapter.configInt" (dict "config" $c "name" "WORKER_SOFT_TIME_LIMIT_MS" "default" 100000) | int }}
{{- $hard := include "gpt-adapter.configInt" (dict "config" $c "name" "WORKER_HARD_TIME_LIMIT_MS" "default" 120000) | int }}
{{- $visibility := include "gpt-adapter.configInt" (dict "config" $c "name" "WORKER_VISIBILITY_TIMEOUT_MS" "default" 150000) | int }}
{{- if ge $soft $hard }}
{{- fail (printf "config.WORKER_SOFT_TIME_LIMIT_MS (%d) must be less than WORKER_HARD_TIME_LIMIT_MS (%d)" $soft $hard) }}
{{- end }}
{{- if le $visibility $hard }}
{{- fail (printf "config.WORKER_VISIBILITY_TIMEOUT_MS (%d) must be greater than WORKER_HARD_TIME_LIMIT_MS (%d)" $visibility $hard) }}
{{- end }}
{{- $baseDelay := include "gpt-adapter.configInt" (dict "config" $c "name" "JOB_RETRY_BASE_DELAY_MS" "default" 2000) | int }}
{{- $maxDelay := include "gpt-adapter.configInt" (dict "config" $c "name" "JOB_RETRY_MAX_DELAY_MS" "default" 60000) | int }}
{{- if lt $maxDelay $baseDelay }}
{{- fail (printf "config.JOB_RETRY_MAX_DELAY_MS (%d) must be at least JOB_RETRY_BASE_DELAY_MS (%d)" $maxDelay $baseDelay) }}
{{- end }}
{{- $lifetime := include "gpt-adapter.configInt" (dict "config" $c "name" "REFRESH_TOKEN_LIFETIME_DAYS" "default" 30) | int }}
{{- $idle := include "gpt-adapter.configInt" (dict "config" $c "name" "REFRESH_TOKEN_IDLE_DAYS" "default" 14) | int }}
{{- if gt $idle $lifetime }}
{{- fail (printf "config.REFRESH_TOKEN_IDLE_DAYS (%d) must be at most REFRESH_TOKEN_LIFETIME_DAYS (%d)" $idle $lifetime) }}
{{- end }}
{{- $poolMin := include "gpt-adapter.configInt" (dict "config" $c "name" "DATABASE_POOL_MIN" "default" 5) | int }}
{{- $poolMax := include "gpt-adapter.configInt" (dict "config" $c "name" "DATABASE_POOL_MAX" "default" 20) | int }}
{{- if gt $poolMin $poolMax }}
{{- fail (printf "config.DATABASE_POOL_MIN (%d) must be at most DATABASE_POOL_MAX (%d)" $poolMin $poolMax) }}
{{- end }}
{{- $keys := .Values.api.signingKeys }}
{{- if and (ne (include "gpt-adapter.jwtAlgorithm" .) "HS256") (not (and $keys.existingSecret $keys.privateKey)) }}
{{- fail (printf "config.JWT_ALGORITHM %s signs with a PEM key: set api.signingKeys.existingSecret and api.signingKeys.privateKey" (include "gpt-adapter.jwtAlgorithm" .)) }}
{{- end }}
{{- if and (or $keys.privateKey $keys.verifyOnlyKeys) (not $keys.existingSecret) }}
{{- fail "api.signingKeys.privateKey and verifyOnlyKeys name keys of api.signingKeys.existingSecret: set it" }}
{{- end }}
{{- end }}

{{/* The signing algorithm, HS256 unless config says otherwise. */}}
{{- define "gpt-adapter.jwtAlgorithm" -}}
{{- default "HS256" .Values.config.JWT_ALGORITHM }}
{{- end }}

{{/* Where the API pods find mounted key and certificate files. */}}
{{- define "gpt-adapter.signingKeysPath" -}}/etc/gpt-adapter/jwt{{- end }}
{{- define "gpt-adapter.tlsPath" -}}/etc/gpt-adapter/tls{{- end }}

{{/* http, or https when the API serves TLS itself. */}}
{{- define "gpt-adapter.apiScheme" -}}
{{- if .Values.api.tls.existingSecret }}https{{ else }}http{{ end }}
{{- end }}

{{/* JWT_VERIFY_ONLY_KEY_FILES: kid=path entries, in kid order. */}}
{{- define "gpt-adapter.verifyOnlyKeyFiles" -}}
{{- $entries := list }}
{{- range $kid, $key := .Values.api.signingKeys.verifyOnlyKeys }}
{{- $entries = append $entries (printf "%s=%s/%s" $kid (include "gpt-adapter.signingKeysPath" $) $key) }}
{{- end }}
{{- join "," $entries }}
{{- end }}

{{/* A config value as an environment string: numbers from values files arrive as float64 and
would otherwise print in exponent form (1048576 -> 1.048576e+06). */}}
{{- define "gpt-adapter.envValue" -}}
{{- if kindIs "float64" . }}
{{- . | int64 | toString }}
{{- else }}
{{- . | toString }}
{{- end }}
{{- end }}
