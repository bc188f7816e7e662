#!/usr/bin/env bash
# `make images`: build the service images without a Docker engine and without Docker Hub.
#
#   1. base: a Debian bookworm root file system made by mmdebstrap (python3 3.11, pip, venv,
#      ca-certificates and the essential packages, no man pages or translations), imported
#      into buildah's storage as localhost/arkiv5/base:bookworm — made once, reused after;
#   2. images: every target of deploy/docker/Dockerfile with `buildah bud`, the base passed
#      in as BASE_IMAGE, stages cached between targets (--layers);
#   3. a table of each image's size and build time.
#
# Needs root (or a user with subordinate ids), Debian's buildah and mmdebstrap, and access
# to deb.debian.org and PyPI. The conversion image (LibreOffice, Java, veraPDF) also needs
# Maven Central and is the largest by far.
#
#   bash scripts/build_images.sh                       # journal access svarut-gateway intake conversion
#   bash scripts/build_images.sh journal access        # only these
#   REBUILD_BASE=1 bash scripts/build_images.sh        # make the base again (security updates)
#
# Settings (environment): IMAGE_TAG (0.1.0), IMAGE_PREFIX (localhost/arkiv5),
# STORAGE_DRIVER (overlay where the kernel mounts one, else vfs, which works everywhere but
# copies every layer in full: 19 GB and 10+ minutes an image instead of 2.5 GB and seconds;
# `make run-images` must use the same driver),
# DEBIAN_MIRROR (http://deb.debian.org), IMAGES_WORK_DIR (.cache/images), NICE (10),
# BASE_TAR (import this root file system tar, made by the same mmdebstrap command, instead
# of running mmdebstrap), BUILD_CA_BUNDLE (a PEM bundle mounted read-only over the build
# steps' /etc/ssl/certs/ca-certificates.crt, for a network whose TLS-inspecting proxy signs
# with its own CA; the images do not keep it).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

IMAGE_TAG="${IMAGE_TAG:-0.1.0}"
IMAGE_PREFIX="${IMAGE_PREFIX:-localhost/arkiv5}"
# overlay when the kernel mounts one here (native overlay on ext4/xfs; as root), else vfs.
overlay_works() {
    local probe
    probe="$(mktemp -d)" || return 1
    mkdir -p "$probe"/{lower,upper,work,merged}
    if mount -t overlay overlay -o "lowerdir=$probe/lower,upperdir=$probe/upper,workdir=$probe/work" \
        "$probe/merged" 2>/dev/null; then
        umount "$probe/merged"; rm -rf "$probe"; return 0
    fi
    rm -rf "$probe"; return 1
}
if [ -z "${STORAGE_DRIVER:-}" ]; then
    if overlay_works; then STORAGE_DRIVER=overlay; else STORAGE_DRIVER=vfs; fi
fi
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org}"
WORK_DIR="${IMAGES_WORK_DIR:-$ROOT/.cache/images}"
NICE="${NICE:-10}"
BASE_IMAGE="$IMAGE_PREFIX/base:bookworm"
DOCKERFILE=deploy/docker/Dockerfile

if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    targets=(journal access svarut-gateway intake conversion)
fi

red() { printf '\033[31m%s\033[0m\n' "$*" >&2; }
die() { red "build-images FAILED: $*"; exit 1; }

for tool in buildah mmdebstrap; do
    command -v "$tool" >/dev/null 2>&1 \
        || die "missing tool: $tool (Debian: apt-get install buildah mmdebstrap)"
done
for target in "${targets[@]}"; do
    grep -qE "^FROM .* AS ${target}\$" "$DOCKERFILE" || die "no target '$target' in $DOCKERFILE"
done

bah() { nice -n "$NICE" buildah --storage-driver "$STORAGE_DRIVER" "$@"; }
mkdir -p "$WORK_DIR"

printf '== storage driver: %s\n' "$STORAGE_DRIVER"

# --- 1. base ------------------------------------------------------------------------------------
if [ -n "${REBUILD_BASE:-}" ] || ! bah inspect --type image "$BASE_IMAGE" >/dev/null 2>&1; then
    printf '== base %s (mmdebstrap, Debian bookworm)\n' "$BASE_IMAGE"
    start=$(date +%s)
    # minbase: Essential and Priority: required only (dpkg, apt, passwd for useradd, ...).
    # The path excludes are what the official slim images leave out too; the copyright
    # files stay.
    base_tar="${BASE_TAR:-$WORK_DIR/base.tar}"
    if [ -z "${BASE_TAR:-}" ]; then
        nice -n "$NICE" mmdebstrap --variant=minbase --format=tar \
            --include=python3,python3-venv,python3-pip,ca-certificates \
            --dpkgopt='path-exclude=/usr/share/man/*' \
            --dpkgopt='path-exclude=/usr/share/locale/*' \
            --dpkgopt='path-exclude=/usr/share/doc/*' \
            --dpkgopt='path-include=/usr/share/doc/*/copyright' \
            bookworm "$WORK_DIR/base.tar" \
            "deb $DEBIAN_MIRROR/debian bookworm main" \
            "deb $DEBIAN_MIRROR/debian bookworm-updates main" \
            "deb $DEBIAN_MIRROR/debian-security bookworm-security main"
    fi
    container="$(bah from scratch)"
    trap 'bah rm "$container" >/dev/null 2>&1 || true' EXIT
    # buildah add unpacks a local tar archive into the container's root.
    bah add "$container" "$base_tar" /
    bah config --env LANG=C.UTF-8 --cmd '["python3"]' \
        --label org.opencontainers.image.title=arkiv5-base \
        --label org.opencontainers.image.base.name=debian:bookworm "$container"
    bah commit --rm "$container" "$BASE_IMAGE" >/dev/null
    trap - EXIT
    [ -n "${BASE_TAR:-}" ] || rm -f "$base_tar"
    printf '   ok (%ss)\n' "$(( $(date +%s) - start ))"
else
    printf '== base %s (already built; REBUILD_BASE=1 makes it again)\n' "$BASE_IMAGE"
fi

# --- 2. images ----------------------------------------------------------------------------------
declare -A seconds
build_volumes=()
if [ -n "${BUILD_CA_BUNDLE:-}" ]; then
    [ -r "$BUILD_CA_BUNDLE" ] || die "BUILD_CA_BUNDLE=$BUILD_CA_BUNDLE is not a readable file"
    build_volumes=(--volume "$(realpath "$BUILD_CA_BUNDLE"):/etc/ssl/certs/ca-certificates.crt:ro")
fi
for target in "${targets[@]}"; do
    image="$IMAGE_PREFIX/$target:$IMAGE_TAG"
    printf '\n== %s (target %s)\n' "$image" "$target"
    start=$(date +%s)
    # chroot isolation: no runtime (runc/crun) and no container network needed; the build
    # steps use the host's network (deb.debian.org, PyPI, Maven Central).
    bah bud --isolation chroot --network host --layers "${build_volumes[@]}" \
        --file "$DOCKERFILE" --ignorefile "$DOCKERFILE.dockerignore" \
        --build-arg "BASE_IMAGE=$BASE_IMAGE" \
        --target "$target" --tag "$image" . \
        || die "buildah bud --target $target"
    seconds[$target]=$(( $(date +%s) - start ))
done

# --- 3. table ---------------------------------------------------------------------------------
printf '\n%-44s %10s %8s\n' image size seconds
for target in "${targets[@]}"; do
    image="$IMAGE_PREFIX/$target:$IMAGE_TAG"
    size="$(bah images --format '{{.Size}}' "$image" | head -n 1)"
    printf '%-44s %10s %8s\n' "$image" "$size" "${seconds[$target]}"
done
printf '%-44s %10s %8s\n' "$BASE_IMAGE" "$(bah images --format '{{.Size}}' "$BASE_IMAGE" | head -n 1)" -
