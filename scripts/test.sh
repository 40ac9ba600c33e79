#!/usr/bin/env bash
# Set up (first time) and run the whole test suite, browser tests included.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --browser
export SOLARA_TELEMETRY_MIXPANEL_ENABLE=False MPLBACKEND=Agg
exec .venv/bin/python -m pytest "$@"
