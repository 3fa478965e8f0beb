#!/usr/bin/env bash
# README command (b): set up (Python packages and Debian's Chromium for the browser test), lint,
# then run the whole test suite: unit tests, notebooks under nbval and papermill, browser test.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then sudo_cmd=(); else sudo_cmd=(sudo); fi
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq chromium chromium-driver >/dev/null
fi
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 bash scripts/setup.sh dev
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/python -m pytest "$@"
