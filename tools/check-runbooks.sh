#!/usr/bin/env bash
# Checks that the runbooks (docs/runbooks/*.md) only name things that exist: every
# `gpt-adapter-admin GROUP COMMAND` is a command of the built CLI, every --option used with it is
# one of that command's options (from its --help), and every repository path they name
# (scripts/, tools/, bench/, deploy/, charts/, docs/; kubectl's deploy/gpt-adapter-* aside) is there.
# Usage: tools/check-runbooks.sh PATH-TO-gpt-adapter-admin
set -euo pipefail

admin=${1:?usage: tools/check-runbooks.sh PATH-TO-gpt-adapter-admin}
cd "$(dirname "$0")/.."
python3 - "$admin" docs/runbooks/*.md <<'PY'
import os, re, subprocess, sys
admin, pages = sys.argv[1], sys.argv[2:]
problems, commands, paths = [], 0, 0
helps = {}
for page in pages:
    text = open(page).read()
    for match in re.finditer(r"gpt-adapter-admin((?: +[a-z][a-z-]*){1,2})([^`\n]*)", text):
        words = match.group(1).split()
        if len(words) < 2:
            continue
        group, command = words[0], words[1]
        commands += 1
        key = (group, command)
        if key not in helps:
            run = subprocess.run([admin, group, command, "--help"], capture_output=True, text=True)
            helps[key] = run.stdout + run.stderr if run.returncode == 0 else None
        help_text = helps[key]
        if help_text is None:
            problems.append(f"{page}: gpt-adapter-admin {group} {command} is not a command")
            continue
        for option in re.findall(r"(?<![\w-])--([a-z][a-z-]*)", match.group(2)):
            if f"--{option}" not in help_text:
                problems.append(f"{page}: gpt-adapter-admin {group} {command} has no --{option}")
    for path in re.findall(r"(?<![\w./-])((?:scripts|tools|bench|deploy|charts|docs)/[\w./-]*\w)", text):
        if path.startswith("deploy/gpt-adapter-"):
            continue  # kubectl's deploy/NAME, not a path
        paths += 1
        if not os.path.exists(path) and not os.path.exists(os.path.join("docs/runbooks", path)):
            problems.append(f"{page}: {path} does not exist")
print("\n".join(problems) or f"{commands} admin commands and {paths} paths in {len(pages)} runbooks exist")
sys.exit(1 if problems or commands < 20 else 0)
PY
