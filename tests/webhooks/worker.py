"""A real Celery worker subprocess (with embedded beat, so the delivery sweep runs) on the
configured broker (SQLite transport locally, Redis in CI) and the test database, consuming a
queue of its own so parallel runs never steal each other's tasks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

BASE_DIR = Path(settings.BASE_DIR)

FAST_RETRIES = {
    "IAM_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
    "IAM_WEBHOOK_REQUIRE_HTTPS": "false",
    "IAM_WEBHOOK_RETRY_BASE_SECONDS": "0.5",
    "IAM_WEBHOOK_RETRY_MAX_DELAY_SECONDS": "2",
    "IAM_WEBHOOK_MAX_ATTEMPTS": "100",
    "IAM_WEBHOOK_TIMEOUT_SECONDS": "2",
    "IAM_WEBHOOK_LEASE_GRACE_SECONDS": "1",
    "IAM_WEBHOOK_CIRCUIT_OPEN_SECONDS": "1",
    "IAM_WEBHOOK_SWEEP_SECONDS": "1",
}


def database_url_for_worker() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


class Worker:
    def __init__(self, *, concurrency: int = 2, extra_env: dict[str, str] | None = None) -> None:
        self.queue = f"test-webhooks-{uuid.uuid4().hex[:8]}"
        self.concurrency = concurrency
        self.schedule_dir = tempfile.mkdtemp(prefix="beat-")
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url_for_worker(),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
            "IAM_MASTER_KEY": settings.IAM_MASTER_KEY,
            "SECRET_KEY": settings.SECRET_KEY,
            "DJANGO_SETTINGS_MODULE": "iam.settings",
            **FAST_RETRIES,
            **(extra_env or {}),
        }
        self.process: subprocess.Popen[bytes] | None = None
        # A file, not a pipe: nobody reads a pipe while the test waits, and a full pipe blocks the worker.
        self.log_path = Path(self.schedule_dir) / "worker.log"

    def start(self) -> Worker:
        celery_bin = Path(sys.executable).with_name("celery")
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(  # noqa: S603
            [
                str(celery_bin),
                "-A",
                "iam",
                "worker",
                "--beat",
                f"--schedule={self.schedule_dir}/beat-{uuid.uuid4().hex[:6]}",
                "--pool=prefork",
                f"--concurrency={self.concurrency}",
                # kombu's polling transports (the embedded SQLite broker) sleep a second whenever every
                # prefetch slot is taken: with one slot per process a busy worker runs ~1 task/s/process.
                "--prefetch-multiplier=64",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
            ],
            cwd=BASE_DIR,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: SIGKILL takes the pool and beat with it
        )
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the worker, its pool processes and its beat, mid-whatever."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self._collect(timeout=10)

    def stop(self) -> None:
        """Warm shutdown, then SIGKILL whatever of the group is left (pool processes, beat)."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=5)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._collect(timeout=10)

    def _collect(self, timeout: float) -> None:
        assert self.process is not None
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        self._log.close()
        self.process = None

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def wait_until(predicate: Any, timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())
