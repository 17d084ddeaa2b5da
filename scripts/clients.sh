#!/usr/bin/env bash
# Typed clients: generate a TypeScript client (openapi-typescript + openapi-fetch) and a Python
# client (openapi-python-client) from the committed contract, and run the same 1:1 scenario
# through each against a live server with the demo organisation, on SQLite and, when
# ONEONONE_TEST_POSTGRES_URL is set, on PostgreSQL. Fails on any error.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET="${CARGO_TARGET_DIR:-target}"
WORK="$TARGET/clients"
mkdir -p "$WORK"

echo "== generating the TypeScript client"
(
  cd tests/clients/typescript
  npm ci --no-audit --no-fund --loglevel=error
  npm run --silent generate
  npm run --silent build
)

echo "== generating the Python client"
VENV="$WORK/venv"
if [ ! -x "$VENV/bin/openapi-python-client" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r tests/clients/python/requirements.txt
fi
rm -rf "$WORK/python"
mkdir -p "$WORK/python"
# (It says it skips its formatting step, ruff, which is not installed: the code is the same.)
"$VENV/bin/openapi-python-client" generate --path openapi/openapi.json \
  --output-path "$WORK/python/oneonone_client" --meta none --overwrite >"$WORK/generate.log" 2>&1 ||
  { cat "$WORK/generate.log"; exit 1; }

cargo build --quiet -p oneonone-api
BIN="$TARGET/debug/oneonone"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

run_against() {
  local label=$1 url=$2 port pid status=0
  port=$(free_port)
  echo "== typed clients on $label"
  ONEONONE_DATABASE_URL="$url" ONEONONE_LOG=warn "$BIN" seed --demo >/dev/null
  ONEONONE_DATABASE_URL="$url" ONEONONE_BIND="127.0.0.1:$port" ONEONONE_LOG=warn \
    "$BIN" serve >"$WORK/server-$label.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
    sleep 0.2
  done
  (cd tests/clients/typescript && ONEONONE_URL="http://127.0.0.1:$port" node build/scenario.js) || status=$?
  PYTHONPATH="$WORK/python" "$VENV/bin/python" tests/clients/python/scenario.py \
    "http://127.0.0.1:$port" || status=$?
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  return $status
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run_against sqlite "sqlite://$tmp/clients.db"

if [ -n "${ONEONONE_TEST_POSTGRES_URL:-}" ]; then
  db="oneonone_clients_$$"
  admin="$ONEONONE_TEST_POSTGRES_URL"
  psql "$admin" -qc "DROP DATABASE IF EXISTS $db" >/dev/null
  psql "$admin" -qc "CREATE DATABASE $db" >/dev/null
  rc=0
  run_against postgres "${admin%/*}/$db" || rc=$?
  psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null || true
  exit $rc
fi
