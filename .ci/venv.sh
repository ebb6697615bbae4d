#!/usr/bin/env bash
# venv.sh: create .venv with a Python >= 3.11 when it is missing (or too old),
# then install the project with its test extras and touch the stamp file.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
STAMP="$VENV/.pd-installed"
cd "$ROOT"

version_ok() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; }

if ! { [ -x "$VENV/bin/python" ] && version_ok "$VENV/bin/python"; }; then
    py=""
    for candidate in python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null && version_ok "$candidate"; then
            py="$(command -v "$candidate")"
            break
        fi
    done
    [ -n "$py" ] || { echo "venv.sh: ERROR: Python >= 3.11 is required (found: $(python3 --version 2>&1))" >&2; exit 1; }
    # Debian ships venv/ensurepip separately (python3.X-venv).
    if ! "$py" -c 'import ensurepip, venv' 2>/dev/null; then
        "$ROOT/.ci/packages.sh" "python$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')-venv"
    fi
    echo "[venv] creating .venv with $py ($("$py" --version))"
    rm -rf "$VENV"
    "$py" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
fi

echo "[venv] pip install -e '.[test,ray]'"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[test,ray]' \
    2> >(grep -v "^WARNING: Location .* is ignored" >&2)
touch "$STAMP"
