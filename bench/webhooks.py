"""Webhook delivery benchmark: login events fanned out to webhooks, delivered by Celery workers
to a loopback receiver. Standalone: ``python bench/webhooks.py [--events 10000] [--webhooks 3]``.

What it does:

1. Migrates the database in ``DATABASE_URL`` (default: a PostgreSQL database
   ``iam_bench_webhooks`` on 127.0.0.1, created when missing) and makes a tenant
   ``bench-hooks`` with ``--webhooks`` ACTIVE webhooks on the login channel, each
   pointing at its own path of one loopback receiver.
2. Starts a Celery worker subprocess (prefork, ``--concurrency``) on
   ``CELERY_BROKER_URL`` (default Redis on 127.0.0.1), on a queue of its own.
3. Emits ``--events`` login events through the real path a sign-in takes
   (``publish_login_succeeded`` -> outbox row committed -> dispatch task ->
   fan-out -> one delivery task per webhook), at ``--rate`` events per second
   from ``--emitters`` threads (each event its own commit, as logins are).
4. The receiver records the arrival time of every request; the payload's
   ``iat`` is the event's commit time (the outbox row's timestamp).

Reported: deliveries per second (all receipts / time from the first commit to
the last receipt), p50/p99 commit -> receipt latency, duplicates, and the
ratios to the issue's targets (>= 500 deliveries/s, p99 < 1 s).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
TARGET_RATE = 500.0
TARGET_P99_MS = 1000.0


class Receiver:
    """Loopback HTTP server: 204 to everything, arrival time and iat of each request kept."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.receipts: list[tuple[str, str, float, int]] = []  # path, jti, arrived (epoch s), iat (ms)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            wbufsize = 65536

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                arrived = time.time()
                document = json.loads(body)
                with receiver.lock:
                    receiver.receipts.append((self.path, document["jti"], arrived, document["iat"]))
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

        ThreadingHTTPServer.request_queue_size = 256
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def count(self) -> int:
        with self.lock:
            return len(self.receipts)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--webhooks", type=int, default=3)
    parser.add_argument("--rate", type=float, default=250.0, help="login events per second offered")
    parser.add_argument("--emitters", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=4, help="Celery worker processes")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--worker-loglevel", default="WARNING")
    args = parser.parse_args()

    default_db = "postgres://postgres@127.0.0.1:5432/iam_bench_webhooks"
    os.environ.setdefault("DATABASE_URL", default_db)
    os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
    if os.environ["CELERY_BROKER_URL"].startswith("redis://"):
        # As in production (docs/production.md): a shared Redis cache, which lets commits coalesce their tasks.
        os.environ.setdefault("IAM_CACHE_URL", os.environ["CELERY_BROKER_URL"])
    os.environ.setdefault("IAM_VAR_DIR", str(Path(tempfile.gettempdir()) / "iam-bench-webhooks"))
    os.environ["IAM_WEBHOOK_ALLOW_PRIVATE_TARGETS"] = "true"
    os.environ["CELERY_TASK_DEFAULT_QUEUE"] = f"bench-webhooks-{uuid.uuid4().hex[:8]}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "iam.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if os.environ["DATABASE_URL"] == default_db:
        ensure_database(default_db)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from apps.orgs.models import Organization
    from apps.orgs.services import tenant_create
    from apps.users.models import User
    from apps.webhooks import channels as ch
    from apps.webhooks.models import Webhook
    from apps.webhooks.services import publish_login_succeeded, webhook_create

    call_command("migrate", verbosity=0)
    org = Organization.objects.filter(handle="bench-hooks").first() or tenant_create(
        actor=None, handle="bench-hooks", name="Bench webhooks", admin_password="Bench-admin-123"
    )
    user = User.objects.get(organization=org, username="admin")
    Webhook.objects.filter(organization=org).delete()
    receiver = Receiver()
    for i in range(args.webhooks):
        webhook_create(
            actor=None,
            organization=org,
            name=f"bench-{i}",
            endpoint=f"http://127.0.0.1:{receiver.port}/hook-{i}",
            channels=[ch.channel_uri("login")],
            secret=f"bench-secret-{i}",
            status="ACTIVE",
        )

    log_path = Path(settings.VAR_DIR) / "bench-webhooks-worker.log"
    log = log_path.open("wb")
    worker = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("celery")),
            "-A",
            "iam",
            "worker",
            "--pool=prefork",
            f"--concurrency={args.concurrency}",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            f"--loglevel={args.worker_loglevel}",
        ],
        cwd=BASE_DIR,
        env={**os.environ, "IAM_MASTER_KEY": settings.IAM_MASTER_KEY, "SECRET_KEY": settings.SECRET_KEY},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        time.sleep(4)  # worker boot
        expected = args.events * args.webhooks
        print(
            f"webhooks bench: {args.events} login events x {args.webhooks} webhooks = {expected} deliveries; "
            f"offered {args.rate:.0f} events/s from {args.emitters} threads; worker concurrency {args.concurrency}; "
            f"broker {os.environ['CELERY_BROKER_URL'].split('://')[0]}, "
            f"cache {settings.CACHES['default']['BACKEND'].rsplit('.', 1)[1]}, "
            f"database {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[1]}"
        )
        per_thread = args.events // args.emitters
        interval = args.emitters / args.rate

        def emit(count: int) -> None:
            from django.db import connection

            start = time.monotonic()
            for n in range(count):
                publish_login_succeeded(organization=org, user=user, authentication_methods=["BasicAuthenticator"])
                delay = start + (n + 1) * interval - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            connection.close()

        started = time.time()
        threads = [threading.Thread(target=emit, args=(per_thread,)) for _ in range(args.emitters)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        emitted_at = time.time()
        emitted = per_thread * args.emitters
        expected = emitted * args.webhooks
        deadline = time.monotonic() + args.timeout
        while receiver.count() < expected and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.2)
        with receiver.lock:
            receipts = list(receiver.receipts)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
        log.close()

    unique = {(path, jti) for path, jti, _arrived, _iat in receipts}
    latencies = [(arrived * 1000 - iat) for _path, _jti, arrived, iat in receipts]
    last = max((arrived for _p, _j, arrived, _i in receipts), default=started)
    elapsed = max(last - started, 1e-9)
    rate = len(unique) / elapsed
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    print(f"emitted {emitted} events in {emitted_at - started:.1f} s ({emitted / (emitted_at - started):.0f}/s)")
    print(
        f"delivered {len(unique)}/{expected} unique ({len(receipts) - len(unique)} duplicates) in {elapsed:.1f} s "
        f"from the first commit to the last receipt"
    )
    print(f"throughput      {rate:8.0f} deliveries/s   target >= {TARGET_RATE:.0f}   ratio {rate / TARGET_RATE:.2f}")
    print(f"latency p50     {p50:8.0f} ms            commit -> receipt")
    print(f"latency p99     {p99:8.0f} ms            target < {TARGET_P99_MS:.0f}    ratio {TARGET_P99_MS / p99:.2f}")
    if len(unique) < expected:
        print(f"MISSING {expected - len(unique)} deliveries (worker log: {log_path})")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
