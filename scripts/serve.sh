#!/usr/bin/env bash
# Start the web app on http://127.0.0.1:5006 (installs what it needs first).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python serve.py "$@"
