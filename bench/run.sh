#!/usr/bin/env bash
# `make bench`: production-like servers on loopback, driven by wrk (and a Python
# driver for the multi-step login), printing every figure with its ratio to two
# references measured in the same run.
#
# 1. (Re)creates the PostgreSQL databases iam_bench (unless DATABASE_URL is
#    set: then that database is used as it is, without a reset or a drop),
#    iam_bench_dot and iam_bench_ceiling.
# 2. bench/prepare.py: migrate, collectstatic, iam_bootstrap, seed users and
#    sub-organizations, mint a bearer token for admin, an M2M client, a web
#    client with login users and refresh tokens.
#    bench/baselines/dot/prepare.py: migrate the bare django-oauth-toolkit
#    project, register its client. bench/baselines/ceiling/app.py prepare:
#    table, key, client of the raw WSGI ceiling.
# 3. Three servers under the same gunicorn command (workers, threads, worker
#    class) on 127.0.0.1 and free ports: the IAM server (IAM_ENV=production,
#    DEBUG off), the DOT baseline and the ceiling.
# 4. bench/drive.py: the scenarios (listed there), the table with ratios and
#    the issue's targets (reported, never an exit status), bench/results/latest.txt.
# On exit (also on Ctrl-C or an error) the servers are stopped and the
# databases this run created are dropped (BENCH_KEEP_DB=1 keeps them).
#
# Knobs (environment): BENCH_WORKERS (default: nproc), BENCH_THREADS (4),
# BENCH_CONNECTIONS (16), BENCH_DURATION (8 s), BENCH_WARMUP (2 s),
# BENCH_HASH_SECONDS (3 s), BENCH_ONLY (scenario name filter; the references
# always run), BENCH_DB (iam_bench; the references use <BENCH_DB>_dot and
# <BENCH_DB>_ceiling), BENCH_KEEP_DB, PGHOST/PGPORT/PGUSER, DATABASE_URL,
# PY (.venv/bin/python), BENCH_SCIM (1; 0 skips the SCIM scenarios), BENCH_SCIM_USERS (100000),
# BENCH_SCIM_BIG_GROUP (10000), BENCH_SHARING (1), BENCH_WEBHOOKS (1), BENCH_WEBHOOK_EVENTS (10000),
# BENCH_FLOWS (1; 0 skips the registration flow scenario), BENCH_FLOW_REGISTRATIONS (300),
# BENCH_B2B (1), BENCH_B2B_LOGINS (200), BENCH_SCRIPTS (1), BENCH_SCRIPT_RUNS (400).
# A short smoke run:
#   BENCH_DURATION=2 BENCH_WARMUP=1 BENCH_HASH_SECONDS=1 make bench
set -euo pipefail
cd "$(dirname "$0")/.."
LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)

PY=${PY:-.venv/bin/python}
BIN=$(dirname "$PY")
WORKERS=${BENCH_WORKERS:-$(nproc)}
THREADS=${BENCH_THREADS:-4}
CONNECTIONS=${BENCH_CONNECTIONS:-16}
DURATION=${BENCH_DURATION:-8}
WARMUP=${BENCH_WARMUP:-2}
HASH_SECONDS=${BENCH_HASH_SECONDS:-3}
BENCH_DB=${BENCH_DB:-iam_bench}
DOT_DB="${BENCH_DB}_dot"
CEILING_DB="${BENCH_DB}_ceiling"
PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}

die() { echo "bench: $*" >&2; exit 1; }
command -v wrk >/dev/null || die "wrk is not installed (apt-get install -y wrk)"
command -v curl >/dev/null || die "curl is not installed"
command -v psql >/dev/null || die "psql is not installed"
[[ -x "$BIN/gunicorn" ]] || die "$BIN/gunicorn not found (make install)"
[[ "$BENCH_DB" =~ ^[a-z_][a-z0-9_]*$ ]] || die "BENCH_DB must be a plain lowercase identifier"
[[ "$PGHOST" == 127.0.0.1 || "$PGHOST" == localhost || "$PGHOST" == ::1 ]] || die "PGHOST must be loopback"

# Bench state (SQLite broker file, static files, fixtures, keys, server logs)
# stays out of the development var/ files.
export IAM_VAR_DIR="$PWD/var/bench"
mkdir -p "$IAM_VAR_DIR" bench/results
FIXTURES="$IAM_VAR_DIR/fixtures.json"
DOT_FIXTURES="$IAM_VAR_DIR/fixtures-dot.json"
CEILING_FIXTURES="$IAM_VAR_DIR/fixtures-ceiling.json"
CEILING_CONFIG="$IAM_VAR_DIR/ceiling.json"
SERVER_LOG="$IAM_VAR_DIR/gunicorn.log"
DOT_LOG="$IAM_VAR_DIR/gunicorn-dot.log"
CEILING_LOG="$IAM_VAR_DIR/gunicorn-ceiling.log"
SECRET_FILES=("$FIXTURES" "$DOT_FIXTURES" "$CEILING_FIXTURES" "$CEILING_CONFIG" "${CEILING_CONFIG%.json}.pem")
rm -f "${SECRET_FILES[@]}"
: >"$SERVER_LOG"
: >"$DOT_LOG"
: >"$CEILING_LOG"

psql_admin() {
  PGOPTIONS="-c client_min_messages=warning" psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres \
    -v ON_ERROR_STOP=1 -q "$@"
}

# --- cleanup: everything this run started or created ----------------------------------
# A child that exited stays a zombie until `wait`, and `kill -0` still finds it.
running() { local state; state=$(ps -o stat= -p "$1" 2>/dev/null) && [[ "$state" != Z* ]]; }
server_pids=()
driver_pid=""
created_dbs=()
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [[ -n "$driver_pid" ]]; then
    kill -TERM "$driver_pid" 2>/dev/null || true
    wait "$driver_pid" 2>/dev/null || true
  fi
  local pid
  for pid in "${server_pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${server_pids[@]}"; do
    for _ in $(seq 50); do
      running "$pid" || break
      sleep 0.2
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -f "${SECRET_FILES[@]}"
  if [[ "${BENCH_KEEP_DB:-}" != 1 ]]; then
    local db
    for db in "${created_dbs[@]}"; do
      psql_admin -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" || echo "bench: could not drop $db" >&2
    done
  elif ((${#created_dbs[@]})); then
    echo "bench: BENCH_KEEP_DB=1, kept ${created_dbs[*]}"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

reset_db() {
  psql_admin -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" \
    || die "could not reset $1 on $PGHOST:$PGPORT"
  created_dbs+=("$1")
}

pg_version=$(psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -tAc 'SHOW server_version') \
  || die "PostgreSQL is not reachable on $PGHOST:$PGPORT"
if [[ -n "${DATABASE_URL:-}" ]]; then
  db_desc="IAM: DATABASE_URL from the environment (not reset); references: PostgreSQL $pg_version $PGHOST:$PGPORT"
else
  echo "bench: resetting database $BENCH_DB on $PGHOST:$PGPORT"
  reset_db "$BENCH_DB"
  export DATABASE_URL="postgres://$PGUSER@$PGHOST:$PGPORT/$BENCH_DB"
  db_desc="PostgreSQL $pg_version $PGHOST:$PGPORT (databases $BENCH_DB, $DOT_DB, $CEILING_DB)"
fi
echo "bench: resetting databases $DOT_DB and $CEILING_DB"
reset_db "$DOT_DB"
reset_db "$CEILING_DB"

free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
DOT_PORT=$(free_port)
CEILING_PORT=$(free_port)
BASE_URL="http://127.0.0.1:$PORT"
DOT_URL="http://127.0.0.1:$DOT_PORT"
CEILING_URL="http://127.0.0.1:$CEILING_PORT"

# Production settings, as docs/production.md describes them.
export IAM_ENV=production
export DEBUG=false
export SECRET_KEY IAM_MASTER_KEY
IAM_MASTER_KEY=$("$PY" -c 'import base64, secrets; print(base64.b64encode(secrets.token_bytes(32)).decode())')
SECRET_KEY=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')
# Empty: iam_bootstrap gives a new admin a random password and never changes
# an existing one (the bench authenticates with a minted token).
export IAM_ADMIN_PASSWORD=
export ALLOWED_HOSTS=127.0.0.1
export IAM_BASE_URL="$BASE_URL"
# The flow bench registers from one address; the per-IP execution limit is not what it measures.
export IAM_FLOW_EXECUTE_RATE_PER_IP=1000000
export LOG_LEVEL=${LOG_LEVEL:-WARNING}

# Seeding only: run outbox dispatch inline instead of queueing on the broker.
# Refresh-token chains: one preflight plus two per connection for the warm-up and the measured run.
CELERY_TASK_ALWAYS_EAGER=true "$PY" bench/prepare.py --out "$FIXTURES" --refresh-seeds $((4 * CONNECTIONS + 16))
DOT_SECRET_KEY=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')
DOT_ENV=(DJANGO_SETTINGS_MODULE=bench.baselines.dot.settings
  "DOT_DATABASE_URL=postgres://$PGUSER@$PGHOST:$PGPORT/$DOT_DB" "DOT_SECRET_KEY=$DOT_SECRET_KEY")
env "${DOT_ENV[@]}" "$PY" bench/baselines/dot/prepare.py --out "$DOT_FIXTURES"
"$PY" bench/baselines/ceiling/app.py prepare --iam-fixtures "$FIXTURES" \
  --dsn "postgresql://$PGUSER@$PGHOST:$PGPORT/$CEILING_DB" --config "$CEILING_CONFIG" --out "$CEILING_FIXTURES"

# The one gunicorn command line for all three servers.
GUNICORN_OPTS=(--workers "$WORKERS" --worker-class gthread --threads "$THREADS" --graceful-timeout 5 --log-level warning)
gunicorn_version=$("$BIN/gunicorn" --version 2>&1 | grep -o '[0-9][0-9.]*' | head -n1)
server_desc="gunicorn $gunicorn_version, $WORKERS workers x $THREADS threads (gthread), the same for the three servers; \
IAM_ENV=production"

start_server() { # name port log app [env...]
  local name=$1 port=$2 log=$3 app=$4
  shift 4
  env "$@" "$BIN/gunicorn" "$app" --bind "127.0.0.1:$port" "${GUNICORN_OPTS[@]}" --error-logfile "$log" &
  server_pids+=($!)
  echo "bench: started $name on http://127.0.0.1:$port (log: $log)"
}
wait_ready() { # name url expected-status log
  local pid=${server_pids[-1]} status=000
  for _ in $(seq 100); do
    running "$pid" || { tail -n 40 "$4" >&2; die "$1 exited during start-up"; }
    status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$2" || true)
    [[ "$status" == 000 ]] || break # 000: not listening yet
    sleep 0.2
  done
  [[ "$status" == "$3" ]] || { tail -n 40 "$4" >&2; die "$1: $2 answered HTTP $status (log above)"; }
}

start_server "IAM server" "$PORT" "$SERVER_LOG" iam.wsgi:application
wait_ready "IAM server" "$BASE_URL/health" 200 "$SERVER_LOG"
start_server "DOT baseline" "$DOT_PORT" "$DOT_LOG" bench.baselines.dot.wsgi:application "${DOT_ENV[@]}"
wait_ready "DOT baseline" "$DOT_URL/o/token/" 405 "$DOT_LOG"
start_server "ceiling" "$CEILING_PORT" "$CEILING_LOG" bench.baselines.ceiling.app:application \
  "CEILING_CONFIG=$CEILING_CONFIG"
wait_ready "ceiling" "$CEILING_URL/oauth2/token" 405 "$CEILING_LOG"

wrk_version=$( (wrk -v 2>&1 || true) | head -n1 | cut -d' ' -f1-2) # `wrk -v` exits 1
machine="$(nproc) CPUs visible; load average (1/5/15 min) before the setup $LOAD_AT_START, \
after it $(cut -d' ' -f1-3 /proc/loadavg); $wrk_version"

# In the background so that a signal stops the run at once (bash defers traps
# while a foreground child runs).
"$PY" bench/drive.py \
  --base-url "$BASE_URL" --dot-url "$DOT_URL" --ceiling-url "$CEILING_URL" \
  --fixtures "$FIXTURES" --fixtures "$DOT_FIXTURES" --fixtures "$CEILING_FIXTURES" \
  --out bench/results/latest.txt \
  --connections "$CONNECTIONS" --duration "$DURATION" --warmup "$WARMUP" --threads 2 \
  --hash-seconds "$HASH_SECONDS" --only "${BENCH_ONLY:-}" \
  --server "$server_desc" --database "$db_desc" --machine "$machine" &
driver_pid=$!
status=0
wait "$driver_pid" || status=$?
driver_pid=""
if [[ "$status" == 3 ]]; then # no OAuth scenario matched BENCH_ONLY: fine if an extra one does
  for extra in scim sharing b2b webhooks flows scripts; do
    [[ "$extra" == *"${BENCH_ONLY}"* ]] && status=0
  done
fi
[[ "$status" == 0 ]] || exit "$status"

# SCIM (issue 5): seeds BENCH_SCIM_USERS users straight into the IAM database, then measures over HTTP
# against the same server. BENCH_SCIM=0 skips it.
if [[ "${BENCH_SCIM:-1}" == 1 && ( -z "${BENCH_ONLY:-}" || "scim" == *"${BENCH_ONLY}"* ) ]]; then
  admin_token=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["admin_token"])' "$FIXTURES")
  "$PY" bench/scim.py --base-url "$BASE_URL" --token "$admin_token" --seed \
    --users "${BENCH_SCIM_USERS:-100000}" --big-group "${BENCH_SCIM_BIG_GROUP:-10000}" \
    | tee -a bench/results/latest.txt || status=$?
fi

# Application sharing (issue 8): share with 1,000 organizations in mode (c), list over HTTP.
if [[ "${BENCH_SHARING:-1}" == 1 && ( -z "${BENCH_ONLY:-}" || "sharing" == *"${BENCH_ONLY}"* ) ]]; then
  "$PY" bench/sharing.py --base-url "$BASE_URL" | tee -a bench/results/latest.txt || status=$?
fi

# B2B login (issue 8): login + token of a depth-3 organization user; inherited-setting resolution cost.
if [[ "${BENCH_B2B:-1}" == 1 && ( -z "${BENCH_ONLY:-}" || "b2b" == *"${BENCH_ONLY}"* ) ]]; then
  "$PY" bench/b2b.py --logins "${BENCH_B2B_LOGINS:-200}" | tee -a bench/results/latest.txt || status=$?
fi

# Webhooks (issue 9): login events fanned out to 3 webhooks, delivered by a Celery worker on Redis
# (CELERY_BROKER_URL, default redis://127.0.0.1:6379) to a loopback receiver.
if [[ "${BENCH_WEBHOOKS:-1}" == 1 && ( -z "${BENCH_ONLY:-}" || "webhooks" == *"${BENCH_ONLY}"* ) ]]; then
  "$PY" bench/webhooks.py --events "${BENCH_WEBHOOK_EVENTS:-10000}" --webhooks 3 \
    | tee -a bench/results/latest.txt || status=$?
fi

# Flows (issue 7): complete three-step registrations through the execution API against the same server.
if [[ "${BENCH_FLOWS:-1}" == 1 && ( -z "${BENCH_ONLY:-}" || "flows" == *"${BENCH_ONLY}"* ) ]]; then
  "$PY" bench/flows.py --base-url "$BASE_URL" --registrations "${BENCH_FLOW_REGISTRATIONS:-300}" \
    --concurrency "$CONNECTIONS" --hash-seconds "$HASH_SECONDS" | tee -a bench/results/latest.txt || status=$?
fi

# Conditional authentication (issue 4): one role-based MFA script execution as the portal runs it.
if [[ "${BENCH_SCRIPTS:-1}" == 1 && ( -z "${BENCH_ONLY:-}" || "scripts" == *"${BENCH_ONLY}"* ) ]]; then
  "$PY" bench/scripts.py "${BENCH_SCRIPT_RUNS:-400}" | tee -a bench/results/latest.txt || status=$?
fi
exit "$status"
