#!/usr/bin/env bash
# Set up (first time) and start the web UI on http://127.0.0.1:8765 (HOST and PORT override).
# ui.server refuses foreign Host/Origin headers (HUNAN_UI_ALLOWED_HOSTS lists a deployment's public hosts)
# and serves the front end only from the installed files.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p .solara .ipython .mplconfig
export SOLARA_TELEMETRY_MIXPANEL_ENABLE=False SOLARA_HOME="$PWD/.solara" IPYTHONDIR="$PWD/.ipython" MPLCONFIGDIR="$PWD/.mplconfig"
exec .venv/bin/python -m ui.server --host "${HOST:-127.0.0.1}" --port "${PORT:-8765}"
