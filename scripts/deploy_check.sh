#!/usr/bin/env bash
# `make deploy-check`: everything under deploy/ checked without a cluster or a Docker engine.
#
#   1. render every overlay (kubectl kustomize)
#   2. schema: kubernetes-validate --strict for Kubernetes 1.30; custom resources against deploy/k8s/crd-schemas
#   3. policy: checkov on the rendered manifests and the Dockerfiles (skips, each with its reason: deploy/checkov.yaml)
#   4. hadolint on every Dockerfile
#   5. Prometheus: generated rules file fresh, promtool check rules / test rules (a test per alert), check config
#   6. dashboards: generated JSON fresh, every PromQL expression parses (promtool check rules on a temp file)
#   7. compose.yaml structure; KafkaTopics == the contracts' topic registry
#   8. promtool check metrics on a real scrape of every service (the suite on a free port)
#
# Installs nothing: run scripts/install_deploy_tools.sh first (CI does). Needs the project's
# environment (`uv sync`) for steps 7 and 8.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TOOLS_VENV="${DEPLOY_TOOLS_DIR:-$ROOT/.cache/deploy-tools}/venv"
K8S_VERSION="${K8S_VERSION:-1.30.0}"
export PATH="$PATH:$TOOLS_VENV/bin"

red() { printf '\033[31m%s\033[0m\n' "$*" >&2; }
die() { red "deploy-check FAILED: $*"; exit 1; }

# --- tools ----------------------------------------------------------------------------------
missing=()
for tool in kubectl promtool kubernetes-validate checkov hadolint uv curl; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
PY="$TOOLS_VENV/bin/python"
if [ ! -x "$PY" ] || ! "$PY" -c 'import yaml, jsonschema' >/dev/null 2>&1; then
    missing+=("python with PyYAML+jsonschema ($TOOLS_VENV)")
fi
if [ "${#missing[@]}" -gt 0 ]; then
    for tool in "${missing[@]}"; do red "missing tool: $tool"; done
    die "run 'bash scripts/install_deploy_tools.sh' (Debian, as root) to install them"
fi
kubectl kustomize --help >/dev/null 2>&1 || die "missing tool: kubectl with built-in kustomize (kubectl >= 1.14)"

WORK="$(mktemp -d)"
SUITE_PID=""
cleanup() {
    if [ -n "$SUITE_PID" ] && kill -0 "$SUITE_PID" 2>/dev/null; then
        kill "$SUITE_PID" 2>/dev/null || true
        wait "$SUITE_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

STEP_START=0
step() { STEP_START=$(date +%s); printf '\n== %s\n' "$*"; }
done_step() { printf '   ok (%ss)\n' "$(( $(date +%s) - STEP_START ))"; }
TOTAL_START=$(date +%s)

# --- 1. render ----------------------------------------------------------------------------------
step "render every overlay"
mkdir -p "$WORK/rendered"
overlays=()
for dir in deploy/k8s/overlays/*/; do
    env="$(basename "$dir")"
    kubectl kustomize "$dir" >"$WORK/rendered/$env.yaml" || die "kustomize cannot render $dir"
    printf '   %-6s %s objects\n' "$env" "$(grep -c '^kind:' "$WORK/rendered/$env.yaml")"
    overlays+=("$WORK/rendered/$env.yaml")
done
[ "${#overlays[@]}" -gt 0 ] || die "no overlays under deploy/k8s/overlays"
done_step

# --- 2. schema ----------------------------------------------------------------------------------
step "kubernetes-validate --strict (Kubernetes $K8S_VERSION) and custom resources"
kubernetes-validate --strict --quiet --no-warn -k "$K8S_VERSION" "${overlays[@]}" \
    || die "rendered manifests do not validate against Kubernetes $K8S_VERSION"
"$PY" deploy/tools/deploytool.py crds "${overlays[@]}" || die "custom resources invalid"
done_step

# --- 3. policy ----------------------------------------------------------------------------------
step "checkov (skips and reasons: deploy/checkov.yaml)"
mapfile -t dockerfiles < <(find deploy -type f \( -name 'Dockerfile' -o -name '*.Dockerfile' -o -name 'Dockerfile.*' \) ! -name '*.dockerignore' | sort)
[ "${#dockerfiles[@]}" -gt 0 ] || die "no Dockerfile under deploy/"
checkov_args=()
for f in "${overlays[@]}" "${dockerfiles[@]}"; do checkov_args+=(-f "$f"); done
checkov --config-file deploy/checkov.yaml "${checkov_args[@]}" >"$WORK/checkov.txt" 2>&1 \
    || { cat "$WORK/checkov.txt"; die "checkov found failing checks"; }
grep -E 'Passed checks|Failed checks' "$WORK/checkov.txt" | sed 's/^/   /'
done_step

# --- 4. hadolint --------------------------------------------------------------------------------
step "hadolint"
for f in "${dockerfiles[@]}"; do
    hadolint "$f" || die "hadolint: $f"
    # CKV_DOCKER_7 in place of checkov (deploy/checkov.yaml): a base given by ARG has a
    # default with an explicit tag that is not "latest".
    if grep -qE '^FROM \$\{?BASE_IMAGE' "$f"; then
        grep -qE '^ARG BASE_IMAGE=[^[:space:]]+:[^[:space:]]+$' "$f" \
            && ! grep -qE '^ARG BASE_IMAGE=[^[:space:]]+:latest$' "$f" \
            || die "$f: ARG BASE_IMAGE needs a default with an explicit tag other than latest"
    fi
    echo "   $f clean"
done
done_step

# --- 5. Prometheus rules ------------------------------------------------------------------------
step "Prometheus rules: generated file, promtool check rules, promtool test rules, config"
"$PY" deploy/tools/deploytool.py rules-check || die "rules file stale"
promtool check rules deploy/prometheus/rules/*.yaml || die "promtool check rules"
promtool test rules deploy/prometheus/tests/*.yaml || die "promtool test rules"
"$PY" deploy/tools/deploytool.py alerts-tested || die "an alert lacks a unit test or runbook"
promtool check config --syntax-only deploy/prometheus/prometheus.yml || die "promtool check config"
done_step

# --- 6. dashboards ------------------------------------------------------------------------------
step "Grafana dashboards: generated JSON, every PromQL expression parses"
"$PY" deploy/tools/deploytool.py dashboards-check || die "dashboards stale"
"$PY" deploy/tools/deploytool.py promql-rules "$WORK/dashboard-expressions.rules.yaml"
promtool check rules "$WORK/dashboard-expressions.rules.yaml" \
    || die "a dashboard expression does not parse (see above; the rule's labels name the dashboard and panel)"
done_step

# --- 7. compose, topics, settings ---------------------------------------------------------------
step "compose.yaml; KafkaTopics against the contracts; every setting documented"
"$PY" deploy/tools/deploytool.py compose || die "compose.yaml"
[ -x .venv/bin/python ] || die "missing the project environment (.venv): run 'uv sync --frozen' first"
uv run --frozen --no-sync python -c '
import json, sys
from arkiv5_contracts.topics import TOPICS
json.dump({name: spec.partitions for name, spec in TOPICS.items()}, sys.stdout)
' >"$WORK/topics.json" || die "cannot read the contracts' topic registry"
"$PY" deploy/tools/deploytool.py topics "$WORK/topics.json" || die "KafkaTopics"
uv run --frozen --no-sync python -c '
import json, sys
from arkiv5_kit.settings import ServiceSettings
from arkiv5_journal.settings import JournalSettings
from arkiv5_access.settings import AccessSettings
from arkiv5_conversion.settings import ConversionSettings
from arkiv5_svarut_gateway.settings import SvarutGatewaySettings
from arkiv5_intake.settings import IntakeSettings
common = set(ServiceSettings.model_fields)
json.dump({cls.model_config["env_prefix"]: {"common": sorted(set(cls.model_fields) & common),
                                            "own": sorted(set(cls.model_fields) - common)}
           for cls in (JournalSettings, AccessSettings, ConversionSettings, SvarutGatewaySettings, IntakeSettings)}, sys.stdout)
' >"$WORK/settings.json" || die "cannot read the services' settings"
"$PY" deploy/tools/deploytool.py settings-documented "$WORK/settings.json" docs/operations.md \
    || die "docs/operations.md misses settings"
uv run --frozen --no-sync python scripts/settings_reference.py --check \
    || die "the generated settings table in docs/operations.md is stale: run 'make settings-doc'"
done_step

# --- 8. real scrape -----------------------------------------------------------------------------
step "promtool check metrics on a real scrape of every service"
PORT="$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"
uv run --frozen --no-sync arkiv5 run --host 127.0.0.1 --port "$PORT" --var-dir "$WORK/var" >"$WORK/suite.log" 2>&1 &
SUITE_PID=$!
ready=0
for _ in $(seq 1 120); do
    if curl -fsS "$BASE/journal/healthz/ready" >/dev/null 2>&1; then ready=1; break; fi
    kill -0 "$SUITE_PID" 2>/dev/null || break
    sleep 0.5
done
[ "$ready" = 1 ] || { tail -n 40 "$WORK/suite.log" >&2; die "the suite did not become ready on $BASE"; }
services=(journal access conversion svarut-gateway intake)
for svc in "${services[@]}"; do
    # Some traffic first, so that the HTTP histogram has series (a 200 and a 404).
    curl -fsS "$BASE/$svc/openapi.json" >/dev/null || die "$svc: no openapi.json"
    curl -sS -o /dev/null "$BASE/$svc/no-such-route" || true
done
for svc in "${services[@]}"; do
    curl -fsS "$BASE/$svc/metrics" >"$WORK/$svc.prom" || die "$svc: /metrics did not answer"
    grep -q '^arkiv5_build_info{' "$WORK/$svc.prom" || die "$svc: arkiv5_build_info missing from /metrics"
    grep -q "^http_server_request_duration_seconds_count{.*service=\"$svc\"" "$WORK/$svc.prom" \
        || die "$svc: http_server_request_duration_seconds missing from /metrics"
    promtool check metrics <"$WORK/$svc.prom" || die "promtool check metrics: $svc"
    printf '   %-15s %4s lines, clean\n' "$svc" "$(wc -l <"$WORK/$svc.prom")"
done
kill "$SUITE_PID" 2>/dev/null || true
wait "$SUITE_PID" 2>/dev/null || true
SUITE_PID=""
done_step

printf '\ndeploy-check passed (%ss)\n' "$(( $(date +%s) - TOTAL_START ))"
