#!/usr/bin/env bash
# Installs what the build and the tests need on a fresh Debian machine: Debian packages first
# (tools the tests drive for real), then the npm workspace. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(
  rpm          # rpm's own version comparison and rpmdb fixtures (differential tests)
  podman runc  # real container images (podman save, podman:NAME)
  skopeo       # OCI layout / OCI archive fixtures
  debootstrap  # a real Debian root filesystem for scans and benchmarks
  zip unzip    # function package fixtures
  zstd         # zstd-compressed layer fixtures
  git          # repository scans (HEAD commit)
  db5.3-util   # real Berkeley DB rpmdb fixtures (db5.3_load)
  golang-go    # Go binaries for build-info fixtures and the sample image
  time         # GNU time: peak memory in bench/
  python3 python3-packaging                # PEP 440 differential tests (packaging is the oracle)
  clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev make gcc  # the eBPF sensor (packages/sensor)
  util-linux   # unshare, for pid-namespace sensor tests
  postgresql   # the server's store tests run against a real PostgreSQL (scripts/postgres.sh)
  openssl      # TLS certificates for the server's HTTPS test
  busybox-static  # tiny container images built locally for runtime tests
  containerd   # containerd/CRI enrichment tests run a private containerd (brings ctr)
  libc6-dev    # static C programs in runtime tests (memfd loader)
  nftables iproute2  # network policy enforcement and its namespace lab tests
  conntrack tcpdump  # flow logs: conntrack events (allowed) and NFLOG via tcpdump (denied)
  lynis        # bench/host-audit compares against it
  nats-server  # the NATS JetStream bus and alert output tests start their own (test-support/nats.ts)
)

missing=()
for p in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing Debian packages: ${missing[*]} (run as root, or install them)" >&2
    exit 2
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The Debian nats-server package enables a system service on 127.0.0.1:4222; nothing here uses it
# (tests start their own on free ports), so it is stopped and kept off where systemd runs.
if [ "$(id -u)" -eq 0 ] && [ -d /run/systemd/system ] && systemctl is-enabled --quiet nats-server 2>/dev/null; then
  systemctl disable --now nats-server >/dev/null 2>&1 || true
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
