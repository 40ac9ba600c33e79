#!/usr/bin/env bash
# Create .venv with Python >= 3.12 and install the project with its test tools (idempotent).
# Usage: bash scripts/setup.sh [--browser]   (--browser also installs Debian's Chromium for browser tests)
set -euo pipefail
cd "$(dirname "$0")/.."
browser="${1:-}"  # read once: nothing below may change what was asked for

find_python() {
  local candidates=(python3.12 python3.13 python3)
  if command -v pyenv >/dev/null 2>&1; then
    for v in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.1[2-9]' | sort -V -r); do
      candidates=("$(pyenv root)/versions/$v/bin/python3" "${candidates[@]}")
    done
  fi
  for c in "${candidates[@]}" /usr/bin/python3.12 /usr/local/bin/python3.12; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
      command -v "$c"; return 0
    fi
  done
  echo "error: Python >= 3.12 not found (Mesa >= 3.5 needs it); install python3.12" >&2
  return 1
}

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then
  rm -rf .venv
  "$(find_python)" -m venv .venv
fi
# constraints.txt pins every package to the versions the tests last passed with (refresh: bash scripts/lock.sh);
# the stamp names both files, so a change to either reinstalls.
stamp=.venv/.installed-$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
  .venv/bin/python -m pip install -q -c constraints.txt -e ".[test]" 2>&1 | grep -v '^WARNING: Location' || true
  .venv/bin/python -c 'import sim, mesa, solara, dask, pyabc, SALib' && rm -f .venv/.installed-* && touch "$stamp"
fi
# Altair charts need these aliases inside Solara's offline CDN copy (STACK.md).
cdn=.venv/share/solara/cdn
if [ -d "$cdn" ]; then
  for pair in "vega@5.21.0 vega@5" "vega-lite@5.2.0 vega-lite@5" "vega-embed@6.20.2 vega-embed@6"; do
    read -r target link <<< "$pair"  # not `set --`: that replaced "$1" and so skipped the browser step below
    [ -e "$cdn/$link" ] || [ ! -e "$cdn/$target" ] || ln -s "$target" "$cdn/$link"
  done
fi
# Debian's Chromium for the browser tests, and a CJK font so that Chinese labels render in screenshots.
if [ "$browser" = "--browser" ] && { [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk"; }; then
  sudo_=""; [ "$(id -u)" = 0 ] || sudo_="sudo"
  $sudo_ apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -q chromium fonts-wqy-microhei >/dev/null
fi
