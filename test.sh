#!/usr/bin/env bash
# Set up (or update) .venv and run the test suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup-venv.sh
exec .venv/bin/python -m pytest "$@"
