#!/usr/bin/env bash
# Run the whole test suite (installs what it needs first).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export VTK_DEFAULT_OPENGL_WINDOW=${VTK_DEFAULT_OPENGL_WINDOW:-vtkEGLRenderWindow}
export THORACIC_VIEWER_CACHE=${THORACIC_VIEWER_CACHE:-$(mktemp -d)}
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
