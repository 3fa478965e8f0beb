#!/usr/bin/env bash
# Create .venv (if missing) and install aeai_lib with the given extras, on the CPU torch wheel.
# Usage: bash scripts/setup.sh [notebooks|dev]
# With a GPU: pre-install your CUDA build of torch into .venv first; the constraint then only
# pins the version, so pass AEAI_TORCH_CONSTRAINT=none to skip it.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-notebooks}"
python3 -m venv .venv
constraint=(-c constraints-cpu.txt)
if [ "${AEAI_TORCH_CONSTRAINT:-}" = "none" ]; then constraint=(); fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check "${constraint[@]}" -e ".[${extras}]"
