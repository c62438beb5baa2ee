"""The transactional outbox: events leave only after commit, survive a broker
outage, and are delivered by a real Celery worker on the configured broker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from apps.core import events
from apps.core.models import OutboxEvent
from apps.core.tasks import outbox_dispatch, outbox_redeliver
from apps.orgs.services import organization_create

BASE_DIR = Path(settings.BASE_DIR)


@pytest.fixture
def received() -> Iterator[list[OutboxEvent]]:
    """Consumer that records every event it is given."""
    seen: list[OutboxEvent] = []

    def consumer(event: OutboxEvent) -> None:
        seen.append(event)

    events.register_consumer("*", consumer)
    yield seen
    events.unregister_consumer("*", consumer)


@pytest.mark.django_db(transaction=True)
def test_event_emitted_in_rolled_back_transaction_never_leaves(root_org, eager_celery, received):
    class Boom(Exception):
        pass

    seen_inside: list[bool] = []

    def create_then_fail() -> None:
        with transaction.atomic():
            organization_create(actor=None, parent=root_org, name="Doomed")
            seen_inside.append(OutboxEvent.objects.filter(payload__name="Doomed").exists())
            raise Boom

    with pytest.raises(Boom):
        create_then_fail()

    assert seen_inside == [True]  # the row was written inside the transaction...

    assert not OutboxEvent.objects.filter(payload__name="Doomed").exists()
    assert [e for e in received if e.payload.get("name") == "Doomed"] == []


@pytest.mark.django_db(transaction=True)
def test_committed_event_is_dispatched_once_after_commit(root_org, eager_celery, received):
    with transaction.atomic():
        org = organization_create(actor=None, parent=root_org, name="Kept")
        # Inside the transaction nothing has left yet.
        assert [e for e in received if e.payload.get("name") == "Kept"] == []

    delivered = [e for e in received if e.payload.get("id") == str(org.id)]
    assert len(delivered) == 1
    row = OutboxEvent.objects.get(pk=delivered[0].pk)
    assert row.dispatched_at is not None
    assert row.attempts == 1

    # A second dispatch (e.g. a duplicate task) does not run consumers again.
    assert events.dispatch(str(row.pk)) is True
    assert len([e for e in received if e.payload.get("id") == str(org.id)]) == 1


@pytest.mark.django_db(transaction=True)
def test_broker_down_then_sweep_redelivers(root_org, received):
    with mock.patch.object(outbox_dispatch, "delay", side_effect=ConnectionError("broker down")):
        org = organization_create(actor=None, parent=root_org, name="Offline")
    row = OutboxEvent.objects.get(event_type="organization.created", payload__id=str(org.id))
    assert row.dispatched_at is None
    assert all(e.payload.get("id") != str(org.id) for e in received)

    # Too fresh for the sweep: it leaves rows whose on-commit task may still be running.
    assert outbox_redeliver() == 0
    OutboxEvent.objects.filter(pk=row.pk).update(created=timezone.now() - timedelta(minutes=5))
    assert outbox_redeliver() >= 1
    row.refresh_from_db()
    assert row.dispatched_at is not None
    assert [e.payload["id"] for e in received if e.pk == row.pk] == [str(org.id)]


@pytest.mark.django_db(transaction=True)
def test_failing_consumer_keeps_the_event_for_redelivery(root_org):
    calls: list[str] = []

    def flaky(event: OutboxEvent) -> None:
        calls.append(event.event_type)
        if len(calls) == 1:
            raise RuntimeError("webhook endpoint unreachable")

    events.register_consumer("organization.created", flaky)
    try:
        with mock.patch.object(outbox_dispatch, "delay"):
            organization_create(actor=None, parent=root_org, name="Flaky")
        row = OutboxEvent.objects.get(event_type="organization.created", payload__name="Flaky")
        assert events.dispatch(str(row.pk)) is False
        row.refresh_from_db()
        assert row.dispatched_at is None
        assert row.attempts == 1
        assert "webhook endpoint unreachable" in row.last_error
        assert events.dispatch(str(row.pk)) is True
        row.refresh_from_db()
        assert row.dispatched_at is not None
        assert row.attempts == 2
        assert row.last_error == ""
    finally:
        events.unregister_consumer("organization.created", flaky)


def _database_url_for_worker() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_real_worker_on_the_configured_broker_delivers_committed_events(root_org):
    """emit -> on_commit -> broker (SQLite transport locally, Redis in CI) -> celery worker -> dispatched."""
    queue = f"test-outbox-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url_for_worker(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "DJANGO_SETTINGS_MODULE": "iam.settings",
    }
    celery_bin = Path(sys.executable).with_name("celery")
    worker = subprocess.Popen(  # noqa: S603
        [
            str(celery_bin),
            "-A",
            "iam",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:

        def send_to_test_queue(event_id: str) -> None:
            outbox_dispatch.apply_async(args=[event_id], queue=queue)

        with mock.patch.object(outbox_dispatch, "delay", side_effect=send_to_test_queue):
            org = organization_create(actor=None, parent=root_org, name="Via worker")
        row = OutboxEvent.objects.get(event_type="organization.created", payload__id=str(org.id))
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            row.refresh_from_db()
            if row.dispatched_at is not None or worker.poll() is not None:
                break
            time.sleep(0.5)
        assert worker.poll() is None, "worker exited early"
        assert row.dispatched_at is not None, "the worker did not deliver the event"
        assert row.attempts == 1
    finally:
        worker.terminate()
        try:
            output, _ = worker.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            output, _ = worker.communicate()
        print(output)  # noqa: T201 - pytest shows the worker log only when the test fails
