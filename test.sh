#!/usr/bin/env bash
# Set up (or update) .venv and run the test suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup-venv.sh
# The formatter and linter first: a tree they reject fails before any test runs.
.venv/bin/ruff format --check --quiet . || { echo "error: run '.venv/bin/ruff format .' and commit the result" >&2; exit 1; }
.venv/bin/ruff check --quiet . || { echo "error: fix what 'ruff check' names above ('.venv/bin/ruff check --fix .' mends some)" >&2; exit 1; }
exec .venv/bin/python -m pytest "$@"
