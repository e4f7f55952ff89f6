#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests and local runs: `start` creates it under a temp dir (once)
# and prints its URL, `url` prints the URL, `stop` stops it and deletes its files. Installs nothing.
#
# Environment: PALISADE_PG_DIR (default /tmp/palisade-pg), PALISADE_PG_PORT (default 55432).
# Runs the server as the `postgres` user when invoked as root (PostgreSQL refuses to run as root).
set -euo pipefail

dir="${PALISADE_PG_DIR:-/tmp/palisade-pg}"
port="${PALISADE_PG_PORT:-55432}"
url="postgres://postgres@127.0.0.1:${port}/postgres"

bindir=""
for candidate in /usr/lib/postgresql/*/bin; do
  [[ -x "$candidate/initdb" ]] && bindir="$candidate"
done
if [[ -z "$bindir" ]]; then
  command -v initdb >/dev/null 2>&1 && bindir="$(dirname "$(command -v initdb)")"
fi

as_owner() {
  if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

running() {
  [[ -f "$dir/data/postmaster.pid" ]] && as_owner "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
}

cmd="${1:-}"
case "$cmd" in
  start)
    if [[ -z "$bindir" ]]; then
      echo "postgres.sh: PostgreSQL binaries not found (install the Debian package 'postgresql')" >&2
      exit 2
    fi
    if ! running; then
      mkdir -p "$dir"
      if [[ "$(id -u)" == 0 ]]; then chown postgres: "$dir"; fi
      if [[ ! -f "$dir/data/PG_VERSION" ]]; then
        as_owner "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 ||
          { cat "$dir/initdb.log" >&2; exit 1; }
      fi
      # Loopback only; the socket lives in the cluster dir so nothing needs /var/run/postgresql.
      as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null ||
        { cat "$dir/server.log" >&2; exit 1; }
    fi
    echo "$url"
    ;;
  url)
    echo "$url"
    ;;
  stop)
    if running; then as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null; fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start|stop|url" >&2
    exit 2
    ;;
esac
