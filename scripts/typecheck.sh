#!/usr/bin/env bash
# mypy over every package's source (settings in pyproject.toml, pydantic plugin on).
# Each package is checked on its own: the services share module names (app, settings,
# models, …) and would otherwise collide. Any error in any package fails the run.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
for package in shared/*/src/arkiv5_* services/*/src/arkiv5_* suite/src/arkiv5_*; do
  [[ -d "$package" ]] || continue
  printf '%-60s ' "$package"
  if output=$(uv run --frozen mypy "$package" 2>&1); then
    echo "${output##*$'\n'}"
  else
    echo "FAILED"
    echo "$output"
    status=1
  fi
done
exit "$status"
