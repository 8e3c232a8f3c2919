#!/usr/bin/env bash
# Checks that the configuration reference has not drifted from the code:
#   - every variable the C++ code reads (env_reader calls in api/, worker/, common/, tools/) is
#     documented in .env.example (an assignment, under a comment) and accepted by the Helm chart
#     (a `config` property of values.schema.json, a key of the chart's Secret, or set by the chart
#     templates themselves, like the key and certificate file paths);
#   - every variable in .env.example, values.schema.json, values.yaml, the chart templates and the
#     Kustomize files is read by the code (nothing stale);
#   - where the code's arguments are constants: the schema's type, enum and bounds stay within what
#     the code accepts (both bounds required), and .env.example and the commented values.yaml
#     defaults equal the code's default;
#   - secrets never appear in the ConfigMap.
# bash + python3 standard library; no network. Usage:
#   tools/check-config-reference.sh [--root DIR] [--list | --self-test]
# --root checks another copy of the repository; --list prints what the code reads (type,
# default, range) and exits; --self-test makes drifts in a scratch copy and fails unless the
# check catches each one.
set -euo pipefail

script="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
root="$(cd "$(dirname "$0")/.." && pwd)"
mode=check
while [ $# -gt 0 ]; do
  case "$1" in
    --root)
      root=$(cd "$2" && pwd)
      shift 2
      ;;
    --list)
      mode=list
      shift
      ;;
    --self-test)
      mode=self-test
      shift
      ;;
    *)
      echo "usage: tools/check-config-reference.sh [--root DIR] [--list | --self-test]" >&2
      exit 2
      ;;
  esac
done

# drift DESCRIPTION EXPECTED_OUTPUT PYTHON_EDIT: applies the edit (Python, in the scratch copy)
# and requires the check to fail with the expected message.
drift() {
  local description=$1 expected=$2 edit=$3 output
  rm -rf "$scratch/copy"
  mkdir "$scratch/copy"
  cp -r "$root/api" "$root/worker" "$root/common" "$root/tools" "$root/charts" "$root/deploy" \
    "$root/.env.example" "$scratch/copy/"
  (cd "$scratch/copy" && python3 -c "$edit")
  if output=$(bash "$script" --root "$scratch/copy" 2>&1); then
    echo "self-test FAILED: $description went unnoticed"
    failures=$((failures + 1))
  elif ! grep -qF -- "$expected" <<<"$output"; then
    echo "self-test FAILED: $description: expected \"$expected\" in:"
    printf '%s\n' "$output" | sed 's/^/    /'
    failures=$((failures + 1))
  else
    echo "self-test ok: $description"
  fi
}

if [ "$mode" = self-test ]; then
  bash "$script" --root "$root" >/dev/null || {
    echo "self-test: the unmodified tree must pass first:" >&2
    bash "$script" --root "$root" >&2
    exit 1
  }
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  failures=0
  replace='import pathlib, sys
def replace(path, old, new):
    file = pathlib.Path(path)
    text = file.read_text()
    assert old in text, (path, old)
    file.write_text(text.replace(old, new, 1))
'
  drift "a variable dropped from .env.example" \
    "WORKER_SOFT_TIME_LIMIT_MS (read at" \
    "${replace}replace('.env.example', 'WORKER_SOFT_TIME_LIMIT_MS=', '# WORKER_SOFT_TIME_LIMIT_MS=')"
  drift "a config property dropped from values.schema.json" \
    "JOB_MAX_ATTEMPTS (read at" \
    "${replace}replace('charts/gpt-adapter/values.schema.json', '\"JOB_MAX_ATTEMPTS\"', '\"JOB_MAX_ATTEMPTS_RENAMED\"')"
  drift "a variable the code stopped reading" \
    ".env.example: SEARCH_WAIT_TIMEOUT_MS is not read by the code" \
    "${replace}replace('api/memory/memory_settings.cpp', '\"SEARCH_WAIT_TIMEOUT_MS\"', '\"SEARCH_WAIT_MS\"')"
  drift "a stale key in the Kustomize config" \
    "OLD_SETTING is not read by the code" \
    "${replace}replace('deploy/kubernetes/base/config.env', 'LOG_LEVEL=', 'OLD_SETTING=1\nLOG_LEVEL=')"
  drift "a schema bound wider than the code accepts" \
    "MEMORY_BANK_READ_RETRIES needs a maximum of at most 4" \
    "${replace}replace('common/memory_bank/client.cpp', '\"MEMORY_BANK_READ_RETRIES\", 2, 0, 5)', '\"MEMORY_BANK_READ_RETRIES\", 2, 0, 4)')"
  drift "a default changed in the code only" \
    "JOB_MAX_ATTEMPTS=3, the code's default is 4" \
    "${replace}replace('common/queue/retry_policy.hpp', 'int max_attempts = 3;', 'int max_attempts = 4;')"
  drift "a secret made a config property" \
    "REDIS_URL is a secret and must not be a config property" \
    "import json; p = 'charts/gpt-adapter/values.schema.json'; s = json.load(open(p)); s['properties']['config']['properties']['REDIS_URL'] = {'type': 'string'}; json.dump(s, open(p, 'w'))"
  if [ "$failures" -gt 0 ]; then
    echo "check-config-reference self-test: $failures drift(s) not caught"
    exit 1
  fi
  echo "check-config-reference self-test: every drift caught"
  exit 0
fi

list=false
if [ "$mode" = list ]; then
  list=true
fi

exec python3 - "$root" "$list" <<'PYTHON'
import functools
import json
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1])
list_only = sys.argv[2] == "true"
problems = []

source_dirs = ["api", "worker", "common", "tools"]
sources = {}
for directory in source_dirs:
    for path in sorted((root / directory).rglob("*")):
        if path.suffix in (".cpp", ".hpp") and path.is_file():
            sources[path.relative_to(root).as_posix()] = path.read_text(encoding="utf-8")

# The accessors: every env_reader member whose first parameter is the variable's name.
reader_header = sources.get("common/config/env_reader.hpp", "")
reader_header = reader_header[reader_header.find("class env_reader") :]
accessors = sorted(set(re.findall(r"\b(\w+)\(std::string_view name\b", reader_header)))
if not accessors:
    print("check-config-reference: no accessor found in common/config/env_reader.hpp", file=sys.stderr)
    sys.exit(1)

name_pattern = re.compile(r"^[A-Z][A-Z0-9_]*$")


def matching_paren(text, open_index):
    depth = 0
    in_string = False
    index = open_index
    while index < len(text):
        char = text[index]
        if in_string:
            if char == "\\":
                index += 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    return -1


def split_arguments(text):
    """Top-level comma split of an argument list's inside."""
    arguments = []
    depth = 0
    in_string = False
    current = []
    index = 0
    while index < len(text):
        char = text[index]
        if in_string:
            current.append(char)
            if char == "\\":
                current.append(text[index + 1])
                index += 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
            current.append(char)
        elif char in "([{<" and not (char == "<" and text[index + 1 : index + 2] in ("<", "=")):
            depth += 1 if char != "<" else 0
            current.append(char)
        elif char in ")]}":
            depth -= 1
            current.append(char)
        elif char == "," and depth == 0:
            arguments.append("".join(current).strip())
            current = []
        else:
            current.append(char)
        index += 1
    if "".join(current).strip():
        arguments.append("".join(current).strip())
    return arguments


def line_of(text, offset):
    return text.count("\n", 0, offset) + 1


def enclosing_function(text, offset):
    """(name, parameter names, body start) of the namespace-scope function around offset."""
    candidates = [m for m in re.finditer(r"^[A-Za-z][^\n;]*?\b(\w+)\(", text, re.M) if m.start() < offset]
    for match in reversed(candidates):
        name = match.group(1)
        if name in ("if", "for", "while", "switch", "return", "namespace"):
            continue
        open_index = match.end() - 1
        close_index = matching_paren(text, open_index)
        if close_index < 0 or close_index > offset:
            continue
        after = text[close_index + 1 : close_index + 200].lstrip()
        if not after.startswith(("{", "const {", "->", "noexcept")):
            continue
        parameters = []
        for parameter in split_arguments(text[open_index + 1 : close_index]):
            parameter = parameter.split("=")[0].strip()
            identifier = re.findall(r"(\w+)\s*$", parameter)
            parameters.append(identifier[0] if identifier else "")
        return name, parameters, close_index
    return None, [], 0


def call_sites(function_name, index):
    """Argument `index` of every call of function_name in the sources."""
    for path, text in sources.items():
        for match in re.finditer(r"\b" + re.escape(function_name) + r"\(", text):
            close_index = matching_paren(text, match.end() - 1)
            if close_index < 0:
                continue
            arguments = split_arguments(text[match.end() : close_index])
            if len(arguments) <= index:
                continue
            argument = arguments[index]
            # A declaration or definition lists typed parameters, not arguments.
            if re.search(r"[\w>&*]\s+[&*]?\w+$", argument) or "&" in argument:
                continue
            yield path, text, match.start(), argument


def resolve(expression, path, text, offset, depth=0):
    """Every string value an expression of literals, constants and parameters can take."""
    if depth > 4:
        raise ValueError("too deeply forwarded")
    parts = [part.strip() for part in expression.split("+")]
    values = [""]
    for part in parts:
        literal = re.fullmatch(r'(?:std::string(?:_view)?\()?"([^"]*)"\)?', part)
        if literal:
            options = [literal.group(1)]
        elif re.fullmatch(r"\w+", part):
            options = resolve_identifier(part, path, text, offset, depth)
        else:
            raise ValueError("cannot evaluate `" + part + "`")
        values = [value + option for value in values for option in options]
    return values


def resolve_identifier(identifier, path, text, offset, depth):
    function_name, parameters, body_start = enclosing_function(text, offset)
    body = text[body_start:offset]
    constant = re.findall(
        r"(?:constexpr|const)\s+[\w:<>]+\s+" + re.escape(identifier) + r'\s*(?:=\s*|\{)"([^"]*)"', body
    )
    if constant:
        return [constant[-1]]
    if identifier in parameters:
        index = parameters.index(identifier)
        values = []
        for site_path, site_text, site_offset, argument in call_sites(function_name, index):
            values.extend(resolve(argument, site_path, site_text, site_offset, depth + 1))
        if values:
            return sorted(set(values))
    raise ValueError("cannot resolve `" + identifier + "`")


# --- What the code reads --------------------------------------------------------------------
class read:
    def __init__(self, name, accessor, path, line, arguments):
        self.name = name
        self.accessor = accessor
        self.path = path
        self.line = line
        self.arguments = arguments


reads = {}
process_only = {}
accessor_call = re.compile(r"(?:\.|->)(" + "|".join(accessors) + r")\(")
for path, text in sources.items():
    if path.startswith("common/config/env_reader."):
        continue
    for match in accessor_call.finditer(text):
        close_index = matching_paren(text, match.end() - 1)
        arguments = split_arguments(text[match.end() : close_index])
        if not arguments:
            continue
        try:
            names = resolve(arguments[0], path, text, match.start())
        except ValueError as failure:
            problems.append(
                f"{path}:{line_of(text, match.start())}: variable name `{arguments[0]}` of "
                f"{match.group(1)} cannot be worked out ({failure}); use a literal, a local "
                "constant or a parameter passed literals"
            )
            continue
        for name in names:
            if not name_pattern.match(name):
                problems.append(f"{path}:{line_of(text, match.start())}: `{name}` is not a variable name")
                continue
            reads.setdefault(name, []).append(
                read(name, match.group(1), path, line_of(text, match.start()), arguments)
            )
    for match in re.finditer(r'\bgetenv\("([A-Z][A-Z0-9_]*)"\)', text):
        process_only[match.group(1)] = f"{path}:{line_of(text, match.start())}"

# Constant arguments: literals, unit functions, constexpr constants and the default members of
# settings structs (`defaults.x`), evaluated in milliseconds for durations.
duration_units = {"milliseconds": 1, "seconds": 1000, "minutes": 60000, "hours": 3600000, "days": 86400000}
all_text = "\n".join(sources.values())


# Every `type name = value;` and `type name{value};` of the sources, by name, read once.
declarations = {}
for match in re.finditer(
    r"(?:std::chrono::(?P<unit>\w+)|[\w:>]+)[ \t]+(?P<name>[a-z_]\w*)\s*"
    r"(?:=\s*(?P<assigned>[^;{}]+);|\{(?P<braced>[^;{}]*)\};)",
    all_text,
):
    declarations.setdefault(match.group("name"), []).append(
        (duration_units.get(match.group("unit")), match.group("assigned") or match.group("braced"))
    )


resolving = set()


@functools.lru_cache(maxsize=None)
def declared_value(name):
    """(value, unit in ms or None) of a member or constant declared with an initializer."""
    if name in resolving:
        return None
    resolving.add(name)
    found = set()
    for unit, initializer in declarations.get(name, []):
        value = evaluate(initializer)
        if value is None:
            continue
        if unit is not None and not re.search(r"\b(" + "|".join(duration_units) + r")\b", initializer):
            value *= unit
        found.add((value, unit))
    resolving.discard(name)
    return found.pop() if len(found) == 1 else None


def replace_calls(text, head, rewrite):
    """Replaces head(...) calls, balanced, through rewrite(match, inside)."""
    while True:
        match = re.search(head, text)
        if not match:
            return text
        close_index = matching_paren(text, match.end() - 1)
        if close_index < 0:
            return text
        text = text[: match.start()] + rewrite(match, text[match.end() : close_index]) + text[close_index + 1 :]


def evaluate(expression):
    if expression is None:
        return None
    text = expression.strip().replace("std::chrono::", "")
    text = re.sub(r"\bstd::(int64_t|size_t)\{([^{}]*)\}", r"(\2)", text)
    text = replace_calls(text, r"\bstatic_cast<[^>]*>\(", lambda m, inside: "(" + inside + ")")
    text = replace_calls(
        text,
        r"\bduration_cast<(\w+)>\(",
        lambda m, inside: "((" + inside + ")/" + str(duration_units.get(m.group(1), "?")) + ")",
    )
    text = text.replace(").count()", ")")

    def member(match):
        path = match.group(1).split(".")[1:]
        counted = path[-1] == "count" and match.group(2)
        if counted:
            path = path[:-1]
        value = declared_value(path[-1])
        if value is None:
            return "?"
        number, unit = value
        return "(" + str(number // unit if counted and unit else number) + ")"

    text = re.sub(r"\b(?:defaults|settings)((?:\.\w+)+)(\(\))?", member, text)
    text = re.sub(r"\b(\d+)(?:LL|ll|L|l|U|u)+\b", r"\1", text)
    previous = None
    while previous != text:
        previous = text
        text = re.sub(
            r"\b(" + "|".join(duration_units) + r")[({]([^(){}]*)[)}]",
            lambda m: "((" + m.group(2) + ")*" + str(duration_units[m.group(1)]) + ")",
            text,
        )
        text = re.sub(r"\{([^{}]*)\}", r"(\1)", text)

    def constant(match):
        value = declared_value(match.group(0))
        return "?" if value is None else "(" + str(value[0]) + ")"

    text = re.sub(r"\b[a-z_][a-z0-9_]*\b", constant, text)
    if not re.fullmatch(r"[\d\s()*+\-/]+", text):
        return None
    try:
        return int(eval(text.replace("/", "//"), {"__builtins__": {}}))
    except (SyntaxError, ZeroDivisionError):
        # An expression the rewriting above left unbalanced is not a constant it can judge.
        return None


def string_value(expression):
    """A string literal, or a settings struct's string member initialized with one."""
    literal = re.fullmatch(r'"([^"]*)"', expression)
    if literal:
        return literal.group(1)
    member = re.fullmatch(r"(?:defaults|settings)(?:\.\w+)*\.(\w+)", expression)
    if member:
        found = set(re.findall(r"\bstd::string\s+" + member.group(1) + r'\s*=\s*"([^"]*)";', all_text))
        if len(found) == 1:
            return found.pop()
    return None


def code_contract(name):
    """(kind, default, minimum, maximum, allowed) as far as the code's arguments are constant."""
    kinds = set()
    default = minimum = maximum = allowed = None
    for r in reads[name]:
        if r.accessor in ("integer_or", "millis_or") and len(r.arguments) == 4:
            kinds.add("integer")
            default = evaluate(r.arguments[1])
            low, high = evaluate(r.arguments[2]), evaluate(r.arguments[3])
            # Two readers (API and worker) must agree on what they accept.
            if minimum is not None and (low, high) != (minimum, maximum):
                problems.append(f"{name}: the processes accept different ranges")
            minimum, maximum = low, high
        elif r.accessor == "boolean_or":
            kinds.add("boolean")
            default = {"true": True, "false": False}.get(r.arguments[1])
        elif r.accessor == "one_of_or":
            kinds.add("enum")
            literal = re.fullmatch(r'"([^"]*)"', r.arguments[1])
            default = literal.group(1) if literal else None
            allowed = re.findall(r'"([^"]*)"', r.arguments[2]) if len(r.arguments) > 2 else None
        else:
            kinds.add("string")
            default = string_value(r.arguments[1]) if len(r.arguments) > 1 else None
    kind = kinds.pop() if len(kinds) == 1 else "string"
    return kind, default, minimum, maximum, allowed


if list_only:
    for name in sorted(reads):
        kind, default, minimum, maximum, allowed = code_contract(name)
        places = ", ".join(sorted({f"{r.path}:{r.line}" for r in reads[name]}))
        bounds = f"{minimum}..{maximum}" if kind == "integer" else ("|".join(allowed) if allowed else "")
        print(f"{name:41} {kind:8} default={default!s:14} {bounds:22} {places}")
    for name, place in sorted(process_only.items()):
        print(f"{name:41} getenv   {place}")
    sys.exit(0)


# --- .env.example ---------------------------------------------------------------------------
env_example_path = root / ".env.example"
env_lines = env_example_path.read_text(encoding="utf-8").splitlines()
env_example = {}
previous = ""
for number, line in enumerate(env_lines, 1):
    assignment = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", line)
    if assignment:
        name, value = assignment.groups()
        if name in env_example:
            problems.append(f".env.example:{number}: {name} is assigned twice")
        if not (previous.startswith("#") or re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", previous)):
            problems.append(f".env.example:{number}: {name} has no comment describing it above")
        env_example[name] = value.strip()
    previous = line
env_text = "\n".join(env_lines)

# --- Helm chart -----------------------------------------------------------------------------
chart = root / "charts" / "gpt-adapter"
schema = json.loads((chart / "values.schema.json").read_text(encoding="utf-8"))
config_schema = schema["properties"]["config"]
schema_config = config_schema.get("properties", {})
if config_schema.get("additionalProperties", True) is not False:
    problems.append("values.schema.json: config must have additionalProperties: false")

values_config = {}
in_config = False
for number, line in enumerate((chart / "values.yaml").read_text(encoding="utf-8").splitlines(), 1):
    if re.match(r"^config:", line):
        in_config = True
        continue
    if in_config and re.match(r"^\S", line) and not line.startswith("#"):
        in_config = False
    if in_config:
        entry = re.match(r"^  (#\s*)?([A-Z][A-Z0-9_]*):\s*(.*?)\s*$", line)
        if entry:
            values_config[entry.group(2)] = (entry.group(1) is not None, entry.group(3), number)

template_texts = {
    path.name: path.read_text(encoding="utf-8") for path in sorted((chart / "templates").glob("*"))
}
chart_secrets = set()
chart_set = set()
for text in template_texts.values():
    chart_secrets.update(re.findall(r'"secretEnv"\s+\(dict\s+"root"\s+\$\s+"name"\s+"([A-Z][A-Z0-9_]*)"', text))
    chart_set.update(re.findall(r"^\s*- name: ([A-Z][A-Z0-9_]*)\s*$", text, re.M))
# Defaults the templates assume for unset config values, e.g. in cross-field checks.
template_defaults = []
for file_name, text in template_texts.items():
    for match in re.finditer(r'"name"\s+"([A-Z][A-Z0-9_]*)"\s+"default"\s+"?([^")\s]+)"?\)', text):
        template_defaults.append((file_name, match.group(1), match.group(2)))
    for match in re.finditer(r'\(default\s+"?([^")\s]+)"?\s+\.Values\.config\.([A-Z][A-Z0-9_]*)\)', text):
        template_defaults.append((file_name, match.group(2), match.group(1)))
secret_template = template_texts.get("secret.yaml", "")
chart_secrets.update(re.findall(r"^  ([A-Z][A-Z0-9_]*):", secret_template, re.M))

# --- Kustomize ------------------------------------------------------------------------------
kubernetes = root / "deploy" / "kubernetes"
kustomize_names = {}
for path in sorted(kubernetes.rglob("*")):
    if not path.is_file():
        continue
    relative = path.relative_to(root).as_posix()
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".env":
        for number, line in enumerate(text.splitlines(), 1):
            entry = re.match(r"^#?\s*([A-Z][A-Z0-9_]*)=", line)
            if entry:
                kustomize_names.setdefault(entry.group(1), f"{relative}:{number}")
    elif path.suffix in (".yaml", ".yml"):
        for number, line in enumerate(text.splitlines(), 1):
            for pattern in (
                r"^\s*- name: ([A-Z][A-Z0-9_]*)\s*$",
                r"^\s*- ([A-Z][A-Z0-9_]*)=",
                r"^\s*key: ([A-Z][A-Z0-9_]*)\s*$",
            ):
                entry = re.match(pattern, line)
                if entry:
                    kustomize_names.setdefault(entry.group(1), f"{relative}:{number}")
        if path.name.startswith("secret"):
            for number, line in enumerate(text.splitlines(), 1):
                entry = re.match(r"^  ([A-Z][A-Z0-9_]*):", line)
                if entry:
                    kustomize_names.setdefault(entry.group(1), f"{relative}:{number}")

# --- Checks ---------------------------------------------------------------------------------
read_names = set(reads)
for name in sorted(read_names):
    where = f"{reads[name][0].path}:{reads[name][0].line}"
    if name not in env_example:
        problems.append(f"{name} (read at {where}) is not assigned in .env.example")
    if name not in schema_config and name not in chart_secrets and name not in chart_set:
        problems.append(
            f"{name} (read at {where}) is not accepted by the chart: no config property in "
            "values.schema.json, no key of its Secret, not set by its templates"
        )
for name, where in sorted(process_only.items()):
    if not re.search(r"\b" + name + r"\b", env_text):
        problems.append(f"{name} (read at {where}) is not mentioned in .env.example")

known = read_names | set(process_only)
for name in sorted(set(env_example) - read_names):
    problems.append(f".env.example: {name} is not read by the code (stale)")
for name in sorted(set(schema_config) - read_names):
    problems.append(f"values.schema.json: config property {name} is not read by the code (stale)")
for name, (_, _, number) in sorted(values_config.items()):
    if name not in read_names:
        problems.append(f"values.yaml:{number}: config {name} is not read by the code (stale)")
    elif name not in schema_config:
        problems.append(f"values.yaml:{number}: config {name} is not a property of values.schema.json")
for name in sorted((chart_secrets | chart_set) - known):
    problems.append(f"chart templates: {name} is not read by the code (stale)")
for name, where in sorted(kustomize_names.items()):
    if name not in known:
        problems.append(f"{where}: {name} is not read by the code (stale)")
for name in sorted(chart_secrets & set(schema_config)):
    problems.append(f"values.schema.json: {name} is a secret and must not be a config property")

# Types, enums, bounds and defaults, where the code's arguments are constants.
json_types = {"integer": "integer", "boolean": "boolean", "enum": "string", "string": "string"}
for name in sorted(read_names):
    kind, default, minimum, maximum, allowed = code_contract(name)
    prop = schema_config.get(name)
    if prop is not None:
        types = prop.get("type")
        types = types if isinstance(types, list) else [types]
        if json_types[kind] not in types:
            problems.append(f"values.schema.json: {name} has type {types}, the code reads {kind}")
        if kind == "integer":
            if minimum is not None and ("minimum" not in prop or prop["minimum"] < minimum):
                problems.append(f"values.schema.json: {name} needs a minimum of at least {minimum}")
            if maximum is not None and ("maximum" not in prop or prop["maximum"] > maximum):
                problems.append(f"values.schema.json: {name} needs a maximum of at most {maximum}")
        if allowed is not None:
            enum = [value for value in prop.get("enum", []) if value != ""]
            if not enum or not set(enum) <= set(allowed):
                problems.append(f"values.schema.json: {name} needs an enum within {allowed}")
    documented = env_example.get(name, "")
    if documented and default is not None:
        expected = str(default).lower() if isinstance(default, bool) else str(default)
        if documented != expected:
            problems.append(f".env.example: {name}={documented}, the code's default is {expected}")
    if kind == "integer" and documented and minimum is not None and maximum is not None:
        if not re.fullmatch(r"-?\d+", documented) or not minimum <= int(documented) <= maximum:
            problems.append(f".env.example: {name}={documented} is outside {minimum}..{maximum}")
    if name in values_config:
        commented, value, number = values_config[name]
        if commented and default not in (None, ""):
            expected = str(default).lower() if isinstance(default, bool) else str(default)
            if value.strip("\"'") != expected:
                problems.append(
                    f"values.yaml:{number}: commented default {name}: {value}, the code's default is "
                    f"{expected}"
                )

for file_name, name, value in template_defaults:
    if name not in read_names:
        problems.append(f"templates/{file_name}: default of {name}, which the code does not read")
        continue
    default = code_contract(name)[1]
    expected = str(default).lower() if isinstance(default, bool) else str(default)
    if default is not None and value != expected:
        problems.append(f"templates/{file_name}: assumes {name} defaults to {value}, the code's default is {expected}")

if problems:
    for problem in problems:
        print("check-config-reference: " + problem)
    print(f"check-config-reference: {len(problems)} problem(s)")
    sys.exit(1)
print(
    f"check-config-reference: {len(read_names)} variables read by the code; each is in .env.example "
    f"and accepted by the chart ({len(schema_config)} config properties, {len(chart_secrets)} secrets, "
    f"{len(chart_set - set(schema_config) - chart_secrets)} set by templates); nothing stale"
)
PYTHON
