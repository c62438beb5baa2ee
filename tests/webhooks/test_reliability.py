"""At-least-once delivery with a real loopback receiver and a real Celery worker subprocess
on the configured broker (Redis in CI, the SQLite transport locally):

(a) the receiver is down for a while, then up: every event arrives, none lost;
(b) the worker is SIGKILLed mid-delivery and restarted: the event arrives after the restart
    (a duplicate is allowed, with the same jti);
(c) an event emitted in a transaction that rolls back is never delivered;
(d) 1,000 events in one burst all arrive.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction

from apps.core.models import OutboxEvent
from apps.users.services import user_create
from apps.webhooks import channels as ch
from apps.webhooks.models import WebhookDelivery
from apps.webhooks.services import publish_login_succeeded, webhook_create
from iam.celery import app as celery_app
from tests.webhooks.conftest import SECRET
from tests.webhooks.receiver import Receiver
from tests.webhooks.worker import Worker, wait_until

pytestmark = pytest.mark.django_db(transaction=True)
USER_CHANNEL = ch.channel_uri("user")


@pytest.fixture
def worker(settings: Any) -> Iterator[Worker]:
    """A worker on a queue of its own; this process sends its tasks there too."""
    running = Worker()
    previous = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = running.queue
    running.start()
    yield running
    running.stop()
    celery_app.conf.task_default_queue = previous
    if hasattr(running, "failed"):
        print(running.output())  # noqa: T201 - shown only when the test fails


@pytest.fixture
def hook(root_org: Any, receiver: Receiver) -> Any:
    return webhook_create(
        actor=None,
        organization=root_org,
        name="Reliable",
        endpoint=receiver.url(),
        channels=[USER_CHANNEL],
        secret=SECRET,
        status="ACTIVE",
    )


def _jtis_of(usernames: list[str]) -> set[str]:
    rows = OutboxEvent.objects.filter(event_type="user.created", payload__username__in=usernames)
    return {str(pk) for pk in rows.values_list("id", flat=True)}


def _received_jtis(receiver: Receiver) -> set[str]:
    return {item.jti for item in list(receiver.received) if item.signed_with(SECRET)}


def _check(worker: Worker, ok: bool, message: str) -> None:
    if not ok:
        worker.failed = True
        raise AssertionError(f"{message}\n--- worker log ---\n{worker.output()[-6000:]}")


def test_a_receiver_down_then_up_loses_nothing(root_org, hook, receiver, worker):
    receiver.down()
    names = [f"down-{i}" for i in range(20)]
    for name in names:
        user_create(actor=None, organization=root_org, username=name)
    expected = _jtis_of(names)
    assert len(expected) == 20
    # Attempts fail while the receiver is down (and the circuit opens)...
    ok = wait_until(lambda: WebhookDelivery.objects.filter(webhook=hook, attempts__gte=2).exists(), timeout=60)
    _check(worker, ok, "no retries happened while the receiver was down")
    assert receiver.received == []
    receiver.up()
    ok = wait_until(lambda: expected <= _received_jtis(receiver), timeout=90)
    _check(worker, ok, f"missing {len(expected - _received_jtis(receiver))} events after the receiver came back")
    # The receiver saw the last request a moment before the worker recorded its outcome.
    ok = wait_until(lambda: not WebhookDelivery.objects.filter(webhook=hook).exclude(state="DELIVERED").exists(), 30)
    _check(worker, ok, "deliveries not all recorded as delivered")
    hook.refresh_from_db()
    assert hook.retried_count >= 1  # the circuit breaker spared the endpoint most of them
    assert hook.delivered_count == 20
    assert hook.dead_lettered_count == 0


def test_b_worker_killed_mid_delivery_delivers_after_restart(root_org, hook, receiver, worker):
    hold = threading.Event()
    receiver.behaviour.hold = hold
    user_create(actor=None, organization=root_org, username="mid-flight")
    (jti,) = _jtis_of(["mid-flight"])
    _check(worker, receiver.arrived.wait(60), "the first attempt never reached the receiver")
    worker.kill()  # SIGKILL while the request is in flight, before any response
    receiver.behaviour.hold = None
    hold.set()
    delivery = WebhookDelivery.objects.get(webhook=hook)
    assert delivery.state == "SENDING"  # the dead worker's lease

    worker.start()
    ok = wait_until(lambda: WebhookDelivery.objects.get(pk=delivery.pk).state == "DELIVERED", timeout=90)
    _check(worker, ok, "the event was not delivered after the worker restarted")
    copies = [item for item in receiver.received if item.jti == jti]
    assert len(copies) >= 2  # the interrupted attempt and the redelivery: a duplicate, same jti
    assert len({item.body for item in copies}) == 1
    assert all(item.signed_with(SECRET) for item in copies)


def test_c_rolled_back_event_is_never_delivered(root_org, hook, receiver, worker):
    class Boom(Exception):
        pass

    def create_then_fail() -> None:
        with transaction.atomic():
            user_create(actor=None, organization=root_org, username="rolled-back")
            raise Boom

    with pytest.raises(Boom):
        create_then_fail()
    user_create(actor=None, organization=root_org, username="committed-after")
    (marker,) = _jtis_of(["committed-after"])
    ok = wait_until(lambda: marker in _received_jtis(receiver), timeout=60)
    _check(worker, ok, "the committed event did not arrive")
    # The worker is idle now; give the sweep a few rounds to prove nothing else is pending.
    wait_until(lambda: False, timeout=3)
    usernames = [claim["value"] for item in receiver.received for claim in item.event["user"]["claims"]]
    assert "rolled-back" not in usernames
    assert not OutboxEvent.objects.filter(payload__username="rolled-back").exists()
    assert WebhookDelivery.objects.filter(webhook=hook).count() == 1


def test_d_a_burst_of_1000_events_all_arrive(root_org, admin_user, receiver, worker):
    hook = webhook_create(
        actor=None,
        organization=root_org,
        name="Burst",
        endpoint=receiver.url("/burst"),
        channels=[ch.channel_uri("login")],
        secret=SECRET,
        status="ACTIVE",
    )
    with transaction.atomic():  # one commit: 1,000 outbox tasks leave at once
        for _ in range(1000):
            assert publish_login_succeeded(
                organization=root_org, user=admin_user, authentication_methods=["BasicAuthenticator"]
            )
    expected = {str(pk) for pk in OutboxEvent.objects.filter(event_type="login.succeeded").values_list("id", flat=True)}
    assert len(expected) == 1000
    ok = wait_until(lambda: expected <= _received_jtis(receiver), timeout=240, interval=1)
    _check(worker, ok, f"{len(expected - _received_jtis(receiver))} of 1000 events missing")
    ok = wait_until(lambda: WebhookDelivery.objects.filter(webhook=hook, state="DELIVERED").count() == 1000, 30)
    _check(worker, ok, "deliveries not all recorded as delivered")
    assert WebhookDelivery.objects.filter(webhook=hook).count() == 1000
