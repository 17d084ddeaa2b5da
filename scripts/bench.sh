#!/usr/bin/env bash
# `make bench`: a release server on SQLite and on PostgreSQL, loaded from a second process on
# 127.0.0.1 by crates/bench. Two plans per database:
#   people   — /healthz, GET /people/{id}, GET /people?limit=50, POST /people (HR admin);
#   meetings — /healthz and the 1:1 endpoints, as a manager of a seeded organisation of
#              BENCH_PEOPLE people with BENCH_MONTHS months of history (≥ 50,000 meetings);
#   enps     — /healthz and an eNPS survey's results (organisation, department, subtree) as HR,
#              for a seeded organisation of BENCH_ENPS_PEOPLE people (default 10,000);
#   feedback — /healthz, GET /feedback (a person's received feedback, 200 pieces, a page of 50)
#              and POST /feedback (praise to a colleague), on 1,000 imported people;
#   webhooks — the job runner: 3,000 people imported with 10 subscriptions on a receiver in the
#              bench process (30,000 signed deliveries), deliveries/s, and /healthz and
#              GET /people/{id} idle and while the runner sends.
#   reminders — a morning's 1:1 reminders for an organisation of 10,000 people (1,000 managers,
#              9,000 one-off 1:1s at one moment tomorrow): seconds from the moment they come due
#              to the last of the 18,000 reminders at an SMTP relay in the bench process.
#   reports   — HR's reads on a seeded organisation of BENCH_REPORT_PEOPLE people (default
#              10,000) with BENCH_REPORT_MONTHS months of history (default 24, about a million
#              meetings): one whole export of meetings and of action items (rows/s, and the
#              server's resident memory while it streams), then the program report for the
#              organisation, a department and a manager's subtree, and HR's attention list
#              (the organisation's first page, its never-met page — the whole organisation
#              read for few entries — and a subtree's).
# Figures are only comparable within one run: read the ratios to /healthz.
# A large `reports` organisation takes long to seed (100,000 people: see the README); to seed it
# once and bench it again, name where to keep it: BENCH_REPORT_SQLITE=/path/reports.db and/or
# BENCH_REPORT_PG_DB=name (a database on the PostgreSQL server). Seeded when missing, left in
# place afterwards; the size is whatever it was seeded with.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_ENDPOINT="${BENCH_SECONDS:-10}"
CONNECTIONS="${BENCH_CONNECTIONS:-32}"
PEOPLE="${BENCH_PEOPLE:-1000}"
MONTHS="${BENCH_MONTHS:-12}"
# A part of the run, while working on one thing: BENCH_DBS="sqlite" BENCH_PLANS="people".
DBS="${BENCH_DBS:-sqlite postgres}"
PLANS="${BENCH_PLANS:-people meetings enps feedback webhooks reminders reports}"
REPORT_PEOPLE="${BENCH_REPORT_PEOPLE:-10000}"
REPORT_MONTHS="${BENCH_REPORT_MONTHS:-24}"
ENPS_PEOPLE="${BENCH_ENPS_PEOPLE:-10000}"
PG_URL="${ONEONONE_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
ADMIN_EMAIL=bench-admin@example.com
ADMIN_PASSWORD=bench-admin-password
MANAGER_EMAIL=person1@synthetic.example.com
MANAGER_PASSWORD=oneonone-demo-2026

cargo build --release --quiet -p oneonone-api -p oneonone-bench
TARGET="${CARGO_TARGET_DIR:-target}"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# bench_against LABEL DATABASE_URL PLAN EMAIL PASSWORD
bench_against() {
  local label=$1 url=$2 plan=$3 email=$4 password=$5 port pid rc=0 smtp=()
  port=$(free_port)
  if [ "$plan" = reminders ]; then
    # The relay is the bench process: the server mails to the port it will listen on.
    BENCH_SMTP_PORT=$(free_port)
    export BENCH_SMTP_PORT
    smtp=(ONEONONE_SMTP_URL="smtp://127.0.0.1:$BENCH_SMTP_PORT")
  fi
  env "${smtp[@]}" \
  ONEONONE_DATABASE_URL="$url" ONEONONE_BIND="127.0.0.1:$port" ONEONONE_LOG=warn \
  ONEONONE_BOOTSTRAP_ADMIN_EMAIL="$ADMIN_EMAIL" ONEONONE_BOOTSTRAP_ADMIN_PASSWORD="$ADMIN_PASSWORD" \
    "$TARGET/release/oneonone" serve >"$TARGET/bench-$label-$plan.log" 2>&1 &
  pid=$!
  # A large organisation's first start migrates and recomputes what a migration asked for
  # (minutes at 100,000 people): wait while the server lives.
  local waited=0
  until curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null || [ $waited -ge 18000 ]; then
      echo "the server did not start: see $TARGET/bench-$label-$plan.log"
      return 1
    fi
    sleep 0.2
    waited=$((waited + 1))
  done
  [ $waited -lt 50 ] || echo "== the server was ready after $((waited / 5)) s"
  echo "== $label, $plan: $CONNECTIONS connections, ${SECONDS_PER_ENDPOINT}s per endpoint"
  BENCH_SERVER_PID=$pid "$TARGET/release/oneonone-bench" "http://127.0.0.1:$port" "$email" "$password" \
    "$SECONDS_PER_ENDPOINT" "$CONNECTIONS" "$plan" || rc=$?
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  return $rc
}

# seed_org DATABASE_URL [PEOPLE MONTHS]
seed_org() {
  local people=${2:-$PEOPLE} months=${3:-$MONTHS}
  echo "== seeding $people people with $months months of 1:1 history"
  ONEONONE_DATABASE_URL="$1" ONEONONE_LOG=warn "$TARGET/release/oneonone" seed --people "$people" --months "$months"
}

wants() { [[ " $1 " == *" $2 "* ]]; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sqlite_rc=0
if wants "$DBS" sqlite; then
  if wants "$PLANS" people; then
    bench_against sqlite "sqlite://$tmp/people.db" people "$ADMIN_EMAIL" "$ADMIN_PASSWORD"
  fi
  if wants "$PLANS" meetings; then
    seed_org "sqlite://$tmp/org.db"
    bench_against sqlite "sqlite://$tmp/org.db" meetings "$MANAGER_EMAIL" "$MANAGER_PASSWORD"
  fi
  if wants "$PLANS" enps; then
    seed_org "sqlite://$tmp/enps.db" "$ENPS_PEOPLE" 0
    bench_against sqlite "sqlite://$tmp/enps.db" enps "$ADMIN_EMAIL" "$ADMIN_PASSWORD"
  fi
  if wants "$PLANS" feedback; then
    bench_against sqlite "sqlite://$tmp/feedback.db" feedback "$ADMIN_EMAIL" "$ADMIN_PASSWORD"
  fi
  if wants "$PLANS" webhooks; then
    bench_against sqlite "sqlite://$tmp/webhooks.db" webhooks "$ADMIN_EMAIL" "$ADMIN_PASSWORD"
  fi
  if wants "$PLANS" reminders; then
    bench_against sqlite "sqlite://$tmp/reminders.db" reminders "$ADMIN_EMAIL" "$ADMIN_PASSWORD"
  fi
  if wants "$PLANS" reports; then
    reports_db="${BENCH_REPORT_SQLITE:-$tmp/reports.db}"
    if [ -n "${BENCH_REPORT_SQLITE:-}" ] && [ -s "$reports_db" ]; then
      echo "== reusing the seeded organisation in $reports_db"
    else
      seed_org "sqlite://$reports_db" "$REPORT_PEOPLE" "$REPORT_MONTHS"
    fi
    # Its figures are printed either way; a failed request fails the run at the end.
    bench_against sqlite "sqlite://$reports_db" reports "$ADMIN_EMAIL" "$ADMIN_PASSWORD" ||
      sqlite_rc=$?
  fi
fi

if ! wants "$DBS" postgres; then
  exit $sqlite_rc
elif pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  rc=$sqlite_rc
  for plan in $PLANS; do
    db="oneonone_bench_${plan}_$$"
    if [ "$plan" = reports ] && [ -n "${BENCH_REPORT_PG_DB:-}" ]; then
      db=$BENCH_REPORT_PG_DB
      if psql "${PG_URL%/*}/$db" -qtAc "SELECT 1 FROM people LIMIT 1" 2>/dev/null | grep -q 1; then
        echo "== reusing the seeded organisation in the database $db"
      else
        psql "$PG_URL" -qc "CREATE DATABASE $db" >/dev/null 2>&1 || true
        seed_org "${PG_URL%/*}/$db" "$REPORT_PEOPLE" "$REPORT_MONTHS" || rc=$?
      fi
      bench_against postgres "${PG_URL%/*}/$db" reports "$ADMIN_EMAIL" "$ADMIN_PASSWORD" || rc=$?
      continue
    fi
    psql "$PG_URL" -qc "CREATE DATABASE $db" >/dev/null
    if [ "$plan" = meetings ]; then
      seed_org "${PG_URL%/*}/$db" || rc=$?
      bench_against postgres "${PG_URL%/*}/$db" meetings "$MANAGER_EMAIL" "$MANAGER_PASSWORD" || rc=$?
    elif [ "$plan" = reports ]; then
      seed_org "${PG_URL%/*}/$db" "$REPORT_PEOPLE" "$REPORT_MONTHS" || rc=$?
      bench_against postgres "${PG_URL%/*}/$db" reports "$ADMIN_EMAIL" "$ADMIN_PASSWORD" || rc=$?
    elif [ "$plan" = enps ]; then
      seed_org "${PG_URL%/*}/$db" "$ENPS_PEOPLE" 0 || rc=$?
      bench_against postgres "${PG_URL%/*}/$db" enps "$ADMIN_EMAIL" "$ADMIN_PASSWORD" || rc=$?
    else
      bench_against postgres "${PG_URL%/*}/$db" "$plan" "$ADMIN_EMAIL" "$ADMIN_PASSWORD" || rc=$?
    fi
    psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null || true
  done
  exit $rc
else
  echo "PostgreSQL is not reachable at 127.0.0.1:5432: skipped"
fi
