#!/usr/bin/env bash
# Builds the two-layer sample image from examples/sample-image, locally and offline, and saves it
# as a docker-archive: build-sample-image.sh OUT.tar. Needs podman and Go (scripts/install-deps.sh).
set -euo pipefail
out=${1:?usage: build-sample-image.sh OUT.tar}
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tag=${SAMPLE_IMAGE_TAG:-localhost/palisade-sample:latest}
base="${tag%:*}-base:latest"

(cd examples/sample-image/app && CGO_ENABLED=0 GOFLAGS=-mod=mod GOPROXY=off go build -trimpath -o "$work/server" .)
tar -C examples/sample-image/rootfs -c . | podman import -q - "$base" >/dev/null
sed "s#^FROM .*#FROM $base#" examples/sample-image/Containerfile > "$work/Containerfile"
podman build -q --network none -t "$tag" "$work" >/dev/null
rm -f "$out"
podman save -q --format docker-archive -o "$out" "$tag"
