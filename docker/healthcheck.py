"""Container health checks for docker/compose.yaml (standard library only).

    python docker/healthcheck.py web    # GET /health on the local gunicorn
    python docker/healthcheck.py beat   # the beat schedule file was written recently

``web`` sends a Host header taken from ALLOWED_HOSTS, so the check passes
whatever public host name production allows. ``/health`` also runs
``SELECT 1``, so a web container without its database is unhealthy.

``beat``: Celery's persistent scheduler writes its schedule file at start-up
and again at most ~3 minutes after sending a task; the outbox sweep is sent
every minute, so a file untouched for 10 minutes means beat is stuck.
"""

from __future__ import annotations

import glob
import os
import sys
import time
import urllib.request

WEB_URL = os.environ.get("HEALTHCHECK_URL", "http://127.0.0.1:8000/health")
BEAT_SCHEDULE = os.environ.get("BEAT_SCHEDULE", "/app/var/celery/celerybeat-schedule")
BEAT_MAX_AGE_SECONDS = 600


def _host_header() -> str:
    first = os.environ.get("ALLOWED_HOSTS", "127.0.0.1").split(",")[0].strip()
    if not first or first == "*":
        return "localhost"
    return first.lstrip(".")  # ".example.com" allows example.com itself too


def check_web() -> str:
    request = urllib.request.Request(WEB_URL, headers={"Host": _host_header()})  # noqa: S310 - local URL
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        if response.status != 200:
            return f"/health answered HTTP {response.status}"
    return ""


def check_beat() -> str:
    # shelve may add a suffix (.db, .dat, ...) depending on the dbm backend.
    files = glob.glob(BEAT_SCHEDULE + "*")
    if not files:
        return f"no schedule file at {BEAT_SCHEDULE}"
    age = time.time() - max(os.path.getmtime(path) for path in files)
    if age > BEAT_MAX_AGE_SECONDS:
        return f"schedule file not written for {age:.0f} s"
    return ""


def main() -> int:
    checks = {"web": check_web, "beat": check_beat}
    what = sys.argv[1] if len(sys.argv) > 1 else "web"
    if what not in checks:
        sys.stderr.write(f"usage: healthcheck.py {'|'.join(checks)}\n")
        return 2
    try:
        problem = checks[what]()
    except Exception as exc:
        problem = f"{type(exc).__name__}: {exc}"
    if problem:
        sys.stderr.write(f"unhealthy: {problem}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
