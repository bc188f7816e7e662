#!/usr/bin/env bash
# Make sure uv is on hand: the one on PATH, or one installed into the project's own venv
# (.cache/uv). Stock Debian 12 and Ubuntu 24.04 refuse `pip install` into the system Python
# (PEP 668, "externally managed environment"), so uv goes into a venv of its own; that
# needs the python3-venv package there. The Makefile and .ci/run put .cache/uv/bin on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.cache/uv
command -v uv >/dev/null 2>&1 && exit 0
[[ -x "$venv/bin/uv" ]] && exit 0
echo "uv not found: installing it into $venv (a venv of its own)"
if ! python3 -m venv "$venv" >/dev/null 2>&1; then
  rm -rf "$venv"
  echo "cannot create a Python venv: on Debian/Ubuntu run 'sudo apt-get install python3-venv'," >&2
  echo "or install uv yourself (https://docs.astral.sh/uv/getting-started/installation/)" >&2
  exit 1
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check uv
"$venv/bin/uv" --version
