#!/usr/bin/env bash
# Conformance: validate the committed spec, then run schemathesis (all checks) against a real
# server, on SQLite and, when ONEONONE_TEST_POSTGRES_URL is set, on PostgreSQL: as an HR admin on
# an empty database, then on the seeded demo organisation as a manager and as an employee (HR
# gets 403 on meeting content, so only participants exercise those operations past
# authentication). Fails on any server error or schema violation.
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
TARGET="${CARGO_TARGET_DIR:-target}"
BIN="$TARGET/debug/oneonone"
EXAMPLES="${CONFORMANCE_MAX_EXAMPLES:-40}"
ADMIN_EMAIL=conformance-admin@example.com
ADMIN_PASSWORD=conformance-admin-password

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# run_against LABEL DATABASE_URL [EMAIL PASSWORD]: without a login, the bootstrap HR admin on
# the database as it is; with one, that demo person after seeding the demo organisation.
run_against() {
  local label=$1 url=$2 email=${3:-$ADMIN_EMAIL} password=${4:-$ADMIN_PASSWORD} port pid token status=0
  port=$(free_port)
  echo "== schemathesis on $label as $email"
  if [ "$email" != "$ADMIN_EMAIL" ]; then
    ONEONONE_DATABASE_URL="$url" ONEONONE_LOG=warn "$BIN" seed --demo >/dev/null
  fi
  # No job runner: schemathesis subscribes webhooks to whatever URLs it makes up, and only
  # loopback addresses may ever be sent to from here.
  ONEONONE_DATABASE_URL="$url" ONEONONE_BIND="127.0.0.1:$port" ONEONONE_LOG=warn \
  ONEONONE_BOOTSTRAP_ADMIN_EMAIL="$ADMIN_EMAIL" ONEONONE_BOOTSTRAP_ADMIN_PASSWORD="$ADMIN_PASSWORD" \
  ONEONONE_LOGIN_ATTEMPTS_PER_MINUTE=100000 ONEONONE_JOBS=off \
    "$BIN" serve >"$TARGET/conformance-$label.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
    sleep 0.2
  done
  token=$(curl -fs "http://127.0.0.1:$port/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"email\":\"$email\",\"password\":\"$password\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  "$VENV/bin/schemathesis" --config-file scripts/schemathesis.toml --no-color run \
    "http://127.0.0.1:$port/openapi.json" --url "http://127.0.0.1:$port" \
    -H "Authorization: Bearer $token" --checks all --max-examples "$EXAMPLES" \
    --exclude-operation-id sign_out_everywhere \
    --seed 20261123 --request-timeout 30 || status=$?
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if grep -q "panicked" "$TARGET/conformance-$label.log"; then
    echo "the server panicked during the $label run; see $TARGET/conformance-$label.log" >&2
    status=1
  fi
  return $status
}

# `sign_out_everywhere` is left out: it ends the very session the run authenticates with, and
# every request after it would be a 401 (the HTTP suite tests it on both databases).
# Each database: HR admin on an empty database, then the demo as a manager and as an employee.
run_all() {
  local label=$1 empty=$2 demo=$3 rc=0
  run_against "$label" "$empty" || rc=$?
  run_against "$label-manager" "$demo" grace.hopper@example.com oneonone-demo-2026 || rc=$?
  run_against "$label-employee" "$demo" priya.raman@example.com oneonone-demo-2026 || rc=$?
  return $rc
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rc=0
run_all sqlite "sqlite://$tmp/conformance.db" "sqlite://$tmp/demo.db" || rc=$?

if [ -n "${ONEONONE_TEST_POSTGRES_URL:-}" ]; then
  db="oneonone_conformance_$$"
  demo="oneonone_conformance_demo_$$"
  admin="$ONEONONE_TEST_POSTGRES_URL"
  for d in "$db" "$demo"; do
    psql "$admin" -qc "DROP DATABASE IF EXISTS $d" >/dev/null
    psql "$admin" -qc "CREATE DATABASE $d" >/dev/null
  done
  run_all postgres "${admin%/*}/$db" "${admin%/*}/$demo" || rc=$?
  for d in "$db" "$demo"; do
    psql "$admin" -qc "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null || true
  done
fi
exit $rc
