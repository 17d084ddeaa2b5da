#!/usr/bin/env bash
# `make bench`: a release server on SQLite and on PostgreSQL, loaded from a second process on
# 127.0.0.1 by crates/bench. Figures are only comparable within one run: read the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_ENDPOINT="${BENCH_SECONDS:-10}"
CONNECTIONS="${BENCH_CONNECTIONS:-32}"
PG_URL="${ONEONONE_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
ADMIN_EMAIL=bench-admin@example.com
ADMIN_PASSWORD=bench-admin-password

cargo build --release --quiet -p oneonone-api -p oneonone-bench

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

bench_against() {
  local label=$1 url=$2 port pid rc=0
  port=$(free_port)
  ONEONONE_DATABASE_URL="$url" ONEONONE_BIND="127.0.0.1:$port" ONEONONE_LOG=warn \
  ONEONONE_BOOTSTRAP_ADMIN_EMAIL="$ADMIN_EMAIL" ONEONONE_BOOTSTRAP_ADMIN_PASSWORD="$ADMIN_PASSWORD" \
    target/release/oneonone serve >"target/bench-$label.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
    sleep 0.2
  done
  echo "== $label: $CONNECTIONS connections, ${SECONDS_PER_ENDPOINT}s per endpoint"
  target/release/oneonone-bench "http://127.0.0.1:$port" "$ADMIN_EMAIL" "$ADMIN_PASSWORD" \
    "$SECONDS_PER_ENDPOINT" "$CONNECTIONS" || rc=$?
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  return $rc
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bench_against sqlite "sqlite://$tmp/bench.db"

if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  db="oneonone_bench_$$"
  psql "$PG_URL" -qc "CREATE DATABASE $db" >/dev/null
  rc=0
  bench_against postgres "${PG_URL%/*}/$db" || rc=$?
  psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null || true
  exit $rc
else
  echo "PostgreSQL is not reachable at 127.0.0.1:5432: skipped"
fi
