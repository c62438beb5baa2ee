#!/usr/bin/env bash
# Starts the web server, a Celery worker and Celery beat; Ctrl-C stops all three.
set -euo pipefail
PY=${PY:-.venv/bin/python}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
CELERY=$(dirname "$PY")/celery
VAR=${IAM_VAR_DIR:-var}
mkdir -p "$VAR"
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM
"$CELERY" -A iam worker --pool=solo --loglevel=INFO >"$VAR/worker.log" 2>&1 &
pids+=($!)
"$CELERY" -A iam beat --loglevel=INFO --schedule "$VAR/celerybeat-schedule" >"$VAR/beat.log" 2>&1 &
pids+=($!)
echo "Celery worker and beat started (logs: $VAR/worker.log, $VAR/beat.log)."
echo "Serving on http://$HOST:$PORT/  (Console: /console/, My Account: /myaccount/)"
"$PY" manage.py runserver "$HOST:$PORT" --noreload &
pids+=($!)
wait -n "${pids[@]}"
