#!/usr/bin/env bash
# `make bench`: production-like server on loopback, driven by wrk.
#
# 1. (Re)creates the PostgreSQL database iam_bench, unless DATABASE_URL is set
#    (then that database is used as it is, without a reset).
# 2. bench/prepare.py: migrate, collectstatic, iam_bootstrap, seed users and
#    sub-organizations, mint a bearer token for admin.
# 3. gunicorn (IAM_ENV=production, DEBUG off) on 127.0.0.1 and a free port.
# 4. bench/drive.py: the scenarios (listed there), the table, and
#    bench/results/latest.txt.
# gunicorn is always stopped on exit.
#
# Knobs (environment): BENCH_WORKERS (default: nproc), BENCH_THREADS (4),
# BENCH_CONNECTIONS (16), BENCH_DURATION (10 s), BENCH_WARMUP (2 s),
# BENCH_ONLY (scenario name filter), BENCH_DB (iam_bench), PGHOST/PGPORT/PGUSER,
# DATABASE_URL, PY (.venv/bin/python).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PY:-.venv/bin/python}
BIN=$(dirname "$PY")
WORKERS=${BENCH_WORKERS:-$(nproc)}
THREADS=${BENCH_THREADS:-4}
CONNECTIONS=${BENCH_CONNECTIONS:-16}
DURATION=${BENCH_DURATION:-10}
WARMUP=${BENCH_WARMUP:-2}
BENCH_DB=${BENCH_DB:-iam_bench}
PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}

die() { echo "bench: $*" >&2; exit 1; }
command -v wrk >/dev/null || die "wrk is not installed (apt-get install -y wrk)"
command -v curl >/dev/null || die "curl is not installed"
[[ -x "$BIN/gunicorn" ]] || die "$BIN/gunicorn not found (make install)"
[[ "$BENCH_DB" =~ ^[a-z_][a-z0-9_]*$ ]] || die "BENCH_DB must be a plain lowercase identifier"

# Bench state (SQLite broker file, static files, fixtures, server log) stays
# out of the development var/ files.
export IAM_VAR_DIR="$PWD/var/bench"
mkdir -p "$IAM_VAR_DIR" bench/results
FIXTURES="$IAM_VAR_DIR/fixtures.json"
SERVER_LOG="$IAM_VAR_DIR/gunicorn.log"
rm -f "$FIXTURES"
: >"$SERVER_LOG"

if [[ -n "${DATABASE_URL:-}" ]]; then
  db_desc="DATABASE_URL from the environment (not reset)"
else
  command -v psql >/dev/null || die "psql is not installed"
  echo "bench: resetting database $BENCH_DB on $PGHOST:$PGPORT"
  psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -v ON_ERROR_STOP=1 -q \
    -c "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" \
    -c "CREATE DATABASE $BENCH_DB" || die "could not reset $BENCH_DB on $PGHOST:$PGPORT"
  export DATABASE_URL="postgres://$PGUSER@$PGHOST:$PGPORT/$BENCH_DB"
  db_desc="PostgreSQL $(psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d "$BENCH_DB" -tAc 'SHOW server_version') \
$PGHOST:$PGPORT/$BENCH_DB"
fi

PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE_URL="http://127.0.0.1:$PORT"

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
export LOG_LEVEL=${LOG_LEVEL:-WARNING}

# Seeding only: run outbox dispatch inline instead of queueing on the broker.
CELERY_TASK_ALWAYS_EAGER=true "$PY" bench/prepare.py --out "$FIXTURES"

server_pid=""
driver_pid=""
stop_server() {
  if [[ -n "$driver_pid" ]]; then
    kill -TERM "$driver_pid" 2>/dev/null || true
    wait "$driver_pid" 2>/dev/null || true
  fi
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.2
    done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
  rm -f "$FIXTURES"
}
trap stop_server EXIT
trap 'exit 130' INT TERM

server_desc="gunicorn $WORKERS workers x $THREADS threads (gthread), IAM_ENV=production"
echo "bench: starting $server_desc on $BASE_URL (log: $SERVER_LOG)"
"$BIN/gunicorn" iam.wsgi:application \
  --bind "127.0.0.1:$PORT" \
  --workers "$WORKERS" --worker-class gthread --threads "$THREADS" \
  --graceful-timeout 5 --log-level warning --error-logfile "$SERVER_LOG" &
server_pid=$!

server_failed() { tail -n 40 "$SERVER_LOG" >&2; die "$1"; }
health=000
for _ in $(seq 100); do
  kill -0 "$server_pid" 2>/dev/null || server_failed "gunicorn exited during start-up"
  health=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$BASE_URL/health" || true)
  [[ "$health" == 000 ]] || break # 000: not listening yet
  sleep 0.2
done
[[ "$health" == 200 ]] || server_failed "/health answered HTTP $health (server log above)"

# In the background so that a signal stops the run at once (bash defers traps
# while a foreground child runs).
"$PY" bench/drive.py \
  --base-url "$BASE_URL" --fixtures "$FIXTURES" --out bench/results/latest.txt \
  --connections "$CONNECTIONS" --duration "$DURATION" --warmup "$WARMUP" --threads 2 \
  --only "${BENCH_ONLY:-}" --server "$server_desc" --database "$db_desc" &
driver_pid=$!
status=0
wait "$driver_pid" || status=$?
driver_pid=""
exit "$status"
