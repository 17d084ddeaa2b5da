#!/usr/bin/env bash
# Conformance: validate the committed spec, then run schemathesis (all checks) against a real
# server authenticated as an HR admin, on SQLite and, when ONEONONE_TEST_POSTGRES_URL is set, on
# PostgreSQL. Fails on any server error or schema violation.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
if [ ! -x "$VENV/bin/schemathesis" ] || [ ! -x "$VENV/bin/openapi-spec-validator" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check \
    "schemathesis==4.32.5" "openapi-spec-validator==0.7.2"
fi

"$VENV/bin/openapi-spec-validator" openapi/openapi.json

cargo build --quiet -p oneonone-api
BIN=target/debug/oneonone
EXAMPLES="${CONFORMANCE_MAX_EXAMPLES:-40}"
ADMIN_EMAIL=conformance-admin@example.com
ADMIN_PASSWORD=conformance-admin-password

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

run_against() {
  local label=$1 url=$2 port pid token status=0
  port=$(free_port)
  echo "== schemathesis on $label"
  ONEONONE_DATABASE_URL="$url" ONEONONE_BIND="127.0.0.1:$port" ONEONONE_LOG=warn \
  ONEONONE_BOOTSTRAP_ADMIN_EMAIL="$ADMIN_EMAIL" ONEONONE_BOOTSTRAP_ADMIN_PASSWORD="$ADMIN_PASSWORD" \
  ONEONONE_LOGIN_ATTEMPTS_PER_MINUTE=100000 \
    "$BIN" serve >"target/conformance-$label.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
    sleep 0.2
  done
  token=$(curl -fs "http://127.0.0.1:$port/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  "$VENV/bin/schemathesis" --config-file scripts/schemathesis.toml --no-color run \
    "http://127.0.0.1:$port/openapi.json" --url "http://127.0.0.1:$port" \
    -H "Authorization: Bearer $token" --checks all --max-examples "$EXAMPLES" \
    --seed 20261123 --request-timeout 30 || status=$?
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if grep -q "panicked" "target/conformance-$label.log"; then
    echo "the server panicked during the $label run; see target/conformance-$label.log" >&2
    status=1
  fi
  return $status
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run_against sqlite "sqlite://$tmp/conformance.db"

if [ -n "${ONEONONE_TEST_POSTGRES_URL:-}" ]; then
  db="oneonone_conformance_$$"
  admin="$ONEONONE_TEST_POSTGRES_URL"
  psql "$admin" -qc "DROP DATABASE IF EXISTS $db" >/dev/null
  psql "$admin" -qc "CREATE DATABASE $db" >/dev/null
  pg_url="${admin%/*}/$db"
  rc=0
  run_against postgres "$pg_url" || rc=$?
  psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null || true
  exit $rc
fi
