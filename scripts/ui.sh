#!/usr/bin/env bash
# Set up (first time) and start the web UI on http://127.0.0.1:8765 (HOST and PORT override).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p .solara .ipython .mplconfig
export SOLARA_TELEMETRY_MIXPANEL_ENABLE=False SOLARA_HOME="$PWD/.solara" IPYTHONDIR="$PWD/.ipython" MPLCONFIGDIR="$PWD/.mplconfig"
exec .venv/bin/solara run app.py --host "${HOST:-127.0.0.1}" --port "${PORT:-8765}" --no-open --production
