#!/usr/bin/env bash
# Create or update .venv in the repository root with the project and its test tools.
# Re-running is cheap: nothing is reinstalled unless pyproject.toml changed.
#
#   AGGREGATOR_TORCH_INDEX=https://download.pytorch.org/whl/cpu  install torch from that index
#                                                               (the lean CPU build on Linux)
#   PYTHON=python3.12                                           interpreter for the venv
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
TORCH_VERSION="2.13.0"

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "error: Python 3.11 or newer is needed (tried '$PYTHON'); set PYTHON=/path/to/python3.11" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PYTHON" -m venv .venv
fi

stamp=".venv/.aggregator-installed"
want="$(cat pyproject.toml scripts/setup-venv.sh | "$PYTHON" -c 'import hashlib,sys; print(hashlib.sha1(sys.stdin.buffer.read()).hexdigest())')"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && .venv/bin/python -c 'import spiders, aggregator' 2>/dev/null; then
  exit 0
fi

echo "==> installing dependencies into .venv (first time: a few minutes)"
pip_install() { .venv/bin/python -m pip install --disable-pip-version-check "$@"; }
# argostranslate needs torch (through stanza). Install the CPU build first, so the resolver
# does not pull a multi-gigabyte CUDA build.
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
  if [ -n "${AGGREGATOR_TORCH_INDEX:-}" ]; then
    pip_install "torch==$TORCH_VERSION" --index-url "$AGGREGATOR_TORCH_INDEX"
  else
    pip_install "torch==$TORCH_VERSION"
  fi
fi
pip_install -e ".[test]"
echo "$want" > "$stamp"
