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

{{/* Refuses grace periods too short to finish the shutdown sequence the config asks for. */}}
{{- define "gpt-adapter.checkGracePeriods" -}}
{{- $delay := int .Values.config.SHUTDOWN_READINESS_DELAY_MS }}
{{- $drain := int .Values.config.SHUTDOWN_DRAIN_TIMEOUT_MS }}
{{- if le (mul (int .Values.api.terminationGracePeriodSeconds) 1000) (add $delay $drain) }}
{{- fail (printf "api.terminationGracePeriodSeconds (%v s) must exceed SHUTDOWN_READINESS_DELAY_MS + SHUTDOWN_DRAIN_TIMEOUT_MS (%d ms)" .Values.api.terminationGracePeriodSeconds (add $delay $drain)) }}
{{- end }}
{{- if le (mul (int .Values.worker.terminationGracePeriodSeconds) 1000) $drain }}
{{- fail (printf "worker.terminationGracePeriodSeconds (%v s) must exceed SHUTDOWN_DRAIN_TIMEOUT_MS (%d ms)" .Values.worker.terminationGracePeriodSeconds $drain) }}
{{- end }}
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
