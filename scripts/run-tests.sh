#!/usr/bin/env bash
# Run the whole suite with every service it needs: a throw-away PostGIS server is started
# here and stopped afterwards; Chromium is used headless by the browser tests.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
eval "$(bash scripts/pg-temp.sh start)" || { echo "could not start PostGIS" >&2; exit 1; }
trap 'bash scripts/pg-temp.sh stop "$PGTEMP_DIR"' EXIT
mkdir -p test-artifacts
"$PY" -m pytest "$@"
