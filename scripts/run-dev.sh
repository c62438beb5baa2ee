#!/usr/bin/env bash
# Starts the web server, a Celery worker and Celery beat; Ctrl-C stops all three.
set -euo pipefail
PY=${PY:-.venv/bin/python}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
CELERY=$(dirname "$PY")/celery
mkdir -p var
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM
"$CELERY" -A iam worker --pool=solo --loglevel=INFO >var/worker.log 2>&1 &
pids+=($!)
"$CELERY" -A iam beat --loglevel=INFO --schedule var/celerybeat-schedule >var/beat.log 2>&1 &
pids+=($!)
echo "Celery worker and beat started (logs: var/worker.log, var/beat.log)."
echo "Serving on http://$HOST:$PORT/  (Console: /console/, My Account: /myaccount/)"
"$PY" manage.py runserver "$HOST:$PORT" --noreload &
pids+=($!)
wait -n "${pids[@]}"
