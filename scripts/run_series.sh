#!/usr/bin/env bash
# README command (a): set up, then execute the notebook series into outputs/ and print a summary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh notebooks
.venv/bin/python -m aeai_lib series --out outputs "$@"
