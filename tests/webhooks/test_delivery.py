"""Delivery semantics against a real loopback receiver: retries with backoff, dead letters,
timeouts, resets, redirects, enormous bodies, secret rotation, circuit breaker,
concurrency limit, SSRF at send time, fan-out idempotency and the sweep."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from apps.core import cache as core_cache
from apps.core.models import OutboxEvent
from apps.orgs.services import organization_create
from apps.users.services import user_create
from apps.webhooks import channels as ch
from apps.webhooks import deliveries
from apps.webhooks.fanout import webhook_fanout
from apps.webhooks.models import Webhook, WebhookDelivery
from apps.webhooks.services import channel_subscribed, webhook_set_status, webhook_settings_update, webhook_update
from tests.webhooks.conftest import SECRET

pytestmark = pytest.mark.django_db
State = WebhookDelivery.State


def _queued(webhook: Webhook) -> WebhookDelivery:
    """A test event for ``webhook``, stored but not sent yet (no commit ran its task)."""
    return deliveries.webhook_send_test(actor=None, webhook=webhook)


def _again(delivery: WebhookDelivery) -> WebhookDelivery:
    """Make the delivery due now and run the task body, as the sweep would."""
    WebhookDelivery.objects.filter(pk=delivery.pk, state=State.PENDING).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    deliveries.delivery_process(delivery.pk)
    delivery.refresh_from_db()
    return delivery


def test_success_records_status_latency_and_counters(make_webhook, receiver):
    webhook = make_webhook()
    receiver.behaviour.body = b'{"accepted": true}'
    delivery = _again(_queued(webhook))
    assert delivery.state == State.DELIVERED
    assert (delivery.attempts, delivery.status_code) == (1, 200)
    assert delivery.latency_ms is not None
    assert delivery.latency_ms < 2000
    assert delivery.response_excerpt == '{"accepted": true}'
    webhook.refresh_from_db()
    assert (webhook.delivered_count, webhook.retried_count, webhook.consecutive_failures) == (1, 0, 0)
    (item,) = receiver.received
    assert item.event_type == ch.TEST_EVENT_URI
    assert item.signed_with(SECRET)


def test_500_is_retried_with_backoff_then_dead_lettered_after_max_attempts(make_webhook, receiver, settings):
    """WSO2's acceptance: with the receiver answering 500, 1 + 2 attempts, then the event is dropped (DEAD)."""
    settings.IAM_WEBHOOK_MAX_ATTEMPTS = 3
    receiver.behaviour.status = 500
    receiver.behaviour.body = b"internal error"
    webhook = make_webhook()
    delivery = _queued(webhook)
    deliveries.delivery_process(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.state == State.PENDING
    assert (delivery.attempts, delivery.status_code, delivery.last_error) == (1, 500, "HTTP 500")
    assert delivery.response_excerpt == "internal error"
    wait = (delivery.next_attempt_at - timezone.now()).total_seconds()
    assert 0.3 < wait <= 1.0  # base 1 s, equal jitter
    # Not due yet: a duplicate task sends nothing.
    deliveries.delivery_process(delivery.pk)
    assert len(receiver.received) == 1

    assert _again(delivery).state == State.PENDING
    assert _again(delivery).state == State.DEAD
    assert _again(delivery).attempts == 3  # nothing more is sent
    assert len(receiver.received) == 3
    assert len({item.jti for item in receiver.received}) == 1
    assert len({item.body for item in receiver.received}) == 1
    webhook.refresh_from_db()
    assert (webhook.retried_count, webhook.dead_lettered_count, webhook.delivered_count) == (2, 1, 0)


def test_backoff_grows_exponentially_with_jitter_and_a_cap(settings):
    settings.IAM_WEBHOOK_RETRY_BASE_SECONDS = 10
    settings.IAM_WEBHOOK_RETRY_MAX_DELAY_SECONDS = 300
    for attempt, ceiling in ((1, 10), (2, 20), (3, 40), (6, 300), (20, 300)):
        samples = [deliveries.backoff_seconds(attempt) for _ in range(200)]
        assert all(ceiling / 2 <= s <= ceiling for s in samples)
        assert max(samples) - min(samples) > ceiling / 10  # jittered, not fixed


@pytest.mark.parametrize("status", [400, 404, 410, 503])
def test_any_non_2xx_is_a_failure(make_webhook, receiver, status):
    receiver.behaviour.status = status
    delivery = _again(_queued(make_webhook()))
    assert (delivery.state, delivery.status_code, delivery.last_error) == (State.PENDING, status, f"HTTP {status}")


def test_timeout(make_webhook, receiver, settings):
    settings.IAM_WEBHOOK_TIMEOUT_SECONDS = 0.5
    receiver.behaviour.delay = 2
    started = time.monotonic()
    delivery = _again(_queued(make_webhook()))
    assert time.monotonic() - started < 1.8
    assert delivery.state == State.PENDING
    assert delivery.status_code is None
    assert delivery.last_error == "timed out"


def test_connection_reset(make_webhook, receiver):
    receiver.behaviour.reset = True
    delivery = _again(_queued(make_webhook()))
    assert delivery.state == State.PENDING
    assert delivery.last_error.startswith("connection error")


def test_receiver_down_is_connection_refused(make_webhook, receiver):
    webhook = make_webhook()
    receiver.down()
    delivery = _again(_queued(webhook))
    assert (delivery.state, delivery.last_error) == (State.PENDING, "connection refused or unreachable")


def test_redirect_is_not_followed(make_webhook, receiver):
    receiver.behaviour.redirect_to = receiver.url("/elsewhere")
    delivery = _again(_queued(make_webhook()))
    assert (delivery.state, delivery.status_code) == (State.PENDING, 302)
    assert "redirect not followed" in delivery.last_error
    assert [item.path for item in receiver.received] == ["/receiver"]


def test_enormous_response_body_is_read_only_up_to_the_cap(make_webhook, receiver, settings):
    settings.IAM_WEBHOOK_MAX_RESPONSE_BYTES = 4096
    receiver.behaviour.huge_body_bytes = 200 * 1024 * 1024
    started = time.monotonic()
    delivery = _again(_queued(make_webhook()))
    assert time.monotonic() - started < 2
    assert delivery.state == State.DELIVERED
    assert len(delivery.response_excerpt) <= 500


def test_secret_rotation_mid_retry_signs_with_the_current_secret(make_webhook, receiver):
    webhook = make_webhook()
    receiver.behaviour.status = 500
    delivery = _again(_queued(webhook))
    assert receiver.received[0].signed_with(SECRET)
    webhook_update(
        actor=None,
        webhook=webhook,
        name=webhook.name,
        endpoint=webhook.endpoint,
        channels=webhook.channels,
        secret="rotated-secret",
    )
    receiver.behaviour.status = 200
    assert _again(delivery).state == State.DELIVERED
    first, retry = receiver.received
    assert retry.body == first.body
    assert retry.jti == first.jti
    assert retry.signed_with("rotated-secret")
    assert not retry.signed_with(SECRET)


def test_webhook_without_secret_sends_unsigned(make_webhook, receiver):
    _again(_queued(make_webhook(secret=None)))
    (item,) = receiver.received
    assert "x-wso2-event-signature" not in item.headers
    assert "x-iam-event-signature" not in item.headers


def test_circuit_breaker_opens_then_lets_one_probe_through(make_webhook, receiver, settings):
    settings.IAM_WEBHOOK_CIRCUIT_FAILURE_THRESHOLD = 2
    settings.IAM_WEBHOOK_CIRCUIT_OPEN_SECONDS = 60
    webhook = make_webhook()
    receiver.behaviour.status = 503
    first, second, third = (_queued(webhook) for _ in range(3))
    _again(first)
    _again(second)
    webhook.refresh_from_db()
    assert webhook.consecutive_failures == 2
    assert webhook.circuit_open_until > timezone.now() + timedelta(seconds=50)
    # While open nothing is sent: the due delivery waits for the circuit.
    third = _again(third)
    assert (third.state, third.attempts) == (State.PENDING, 0)
    assert third.next_attempt_at == webhook.circuit_open_until
    assert len(receiver.received) == 2

    # Half-open: the endpoint recovered; one probe closes the circuit and the rest follow.
    Webhook.objects.filter(pk=webhook.pk).update(circuit_open_until=timezone.now() - timedelta(seconds=1))
    receiver.behaviour.status = 200
    WebhookDelivery.objects.filter(webhook=webhook).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    deliveries.delivery_process(third.pk)
    webhook.refresh_from_db()
    assert (webhook.consecutive_failures, webhook.circuit_open_until) == (0, None)
    assert set(WebhookDelivery.objects.filter(webhook=webhook).values_list("state", flat=True)) == {State.DELIVERED}


@pytest.mark.django_db(transaction=True)
def test_per_endpoint_concurrency_limit(make_webhook, receiver, settings):
    settings.IAM_WEBHOOK_CONCURRENCY_PER_ENDPOINT = 1
    webhook = make_webhook()
    first = _queued(webhook)
    hold = threading.Event()
    receiver.behaviour.hold = hold

    def process_first() -> None:
        try:
            deliveries.delivery_process(first.pk)
        finally:
            connection.close()

    worker = threading.Thread(target=process_first)
    worker.start()
    try:
        assert receiver.arrived.wait(5)
        # The endpoint's only slot is taken: a second event is not sent now...
        second = _queued(webhook)
        assert deliveries.delivery_process(second.pk) == 0
        second.refresh_from_db()
        assert (second.state, second.attempts) == (State.PENDING, 0)
        assert len(receiver.received) == 1
    finally:
        hold.set()
        worker.join(10)
    # ...but by the task holding the slot, right after its own.
    second.refresh_from_db()
    assert second.state == State.DELIVERED
    assert len(receiver.received) == 2


def test_a_batch_stops_at_the_first_failure(make_webhook, receiver):
    webhook = make_webhook()
    queued = [_queued(webhook) for _ in range(4)]
    receiver.behaviour.status = 500
    deliveries.delivery_process(queued[0].pk)
    states = sorted(WebhookDelivery.objects.filter(webhook=webhook).values_list("attempts", "state"))
    assert states == [(0, State.PENDING), (0, State.PENDING), (0, State.PENDING), (1, State.PENDING)]
    assert len(receiver.received) == 1  # one failure, the rest not tried (and no attempt spent)
    receiver.behaviour.status = 200
    WebhookDelivery.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert deliveries.delivery_process(queued[1].pk) == 4  # one batch, one connection
    assert set(WebhookDelivery.objects.values_list("state", flat=True)) == {State.DELIVERED}


def test_endpoint_checked_again_at_send_time(make_webhook, receiver, settings):
    webhook = make_webhook()
    settings.IAM_WEBHOOK_ALLOW_PRIVATE_TARGETS = False  # e.g. the name now resolves to a private address
    delivery = _again(_queued(webhook))
    assert delivery.state == State.PENDING
    assert delivery.last_error.startswith("refused: ")
    assert receiver.received == []


def test_fanout_is_idempotent_and_skips_inactive_and_unsubscribed(root_org, make_webhook, receiver):
    on = make_webhook(channels=[ch.channel_uri("user")], name="On")
    make_webhook(channels=[ch.channel_uri("user")], name="Off", active=False)
    make_webhook(channels=[ch.channel_uri("login")], name="Login only")
    user_create(actor=None, organization=root_org, username="zoe")
    event = OutboxEvent.objects.get(event_type="user.created", payload__username="zoe")
    webhook_fanout(event)
    webhook_fanout(event)  # a redispatch after a crash
    rows = WebhookDelivery.objects.filter(event_id=event.id)
    assert [(row.webhook_id, row.event_type) for row in rows] == [
        (on.id, "https://schemas.identity.wso2.org/events/user/event-type/userCreated")
    ]


def test_test_event_reaches_an_inactive_webhook_but_events_wait_for_activation(root_org, make_webhook, receiver):
    webhook = make_webhook(active=False, channels=[ch.channel_uri("user")])
    assert _again(_queued(webhook)).state == State.DELIVERED
    webhook_set_status(actor=None, webhook=webhook, status="ACTIVE")
    user_create(actor=None, organization=root_org, username="yann")
    webhook_fanout(OutboxEvent.objects.get(event_type="user.created", payload__username="yann"))
    webhook_set_status(actor=None, webhook=webhook, status="INACTIVE")
    waiting = WebhookDelivery.objects.get(webhook=webhook, event_type__endswith="userCreated")
    assert _again(waiting).state == State.PENDING
    assert len(receiver.received) == 1
    webhook_set_status(actor=None, webhook=webhook, status="ACTIVE")
    assert _again(waiting).state == State.DELIVERED


def test_sub_organization_events_follow_the_organization_policy(root_org, make_webhook, receiver):
    sub = organization_create(actor=None, parent=root_org, name="Lab", handle="lab")
    webhook = make_webhook(channels=[ch.channel_uri("user")])
    user_create(actor=None, organization=sub, username="sam")
    webhook_fanout(OutboxEvent.objects.get(event_type="user.created", payload__username="sam"))
    assert not WebhookDelivery.objects.filter(webhook=webhook).exists()

    webhook_settings_update(actor=None, organization=root_org, organization_policy="IMMEDIATE_EXISTING_AND_FUTURE_ORGS")
    user_create(actor=None, organization=sub, username="sue")
    webhook_fanout(OutboxEvent.objects.get(event_type="user.created", payload__username="sue"))
    delivery = _again(WebhookDelivery.objects.get(webhook=webhook))
    assert delivery.state == State.DELIVERED
    event = receiver.received[0].event
    assert event["organization"]["id"] == str(sub.id)
    assert event["organization"]["depth"] == 1
    assert event["tenant"]["id"] == str(root_org.id)


def test_max_age_dead_letters(make_webhook, receiver, settings):
    settings.IAM_WEBHOOK_MAX_AGE_SECONDS = 60
    receiver.behaviour.status = 500
    delivery = _queued(make_webhook())
    WebhookDelivery.objects.filter(pk=delivery.pk).update(round_started=timezone.now() - timedelta(minutes=5))
    assert _again(delivery).state == State.DEAD
    assert receiver.received == []  # too old to try at all


def test_sweep_revives_a_lost_attempt_and_sends_due_retries_once(make_webhook, receiver, monkeypatch):
    sent: list[str] = []
    monkeypatch.setattr(deliveries, "deliveries_enqueue", lambda ids: sent.extend(str(i) for i in ids))
    webhook = make_webhook()
    lost, retry, fresh = _queued(webhook), _queued(webhook), _queued(webhook)
    past = timezone.now() - timedelta(seconds=5)
    WebhookDelivery.objects.filter(pk=lost.pk).update(state=State.SENDING, lease_until=past, attempts=1)
    WebhookDelivery.objects.filter(pk=retry.pk).update(next_attempt_at=past, enqueued_at=past - timedelta(seconds=9))
    assert deliveries.deliveries_sweep() == 2
    assert sorted(sent) == sorted([str(lost.pk), str(retry.pk)])  # the fresh one has its task already
    lost.refresh_from_db()
    assert lost.state == State.PENDING
    assert "worker stopped" in lost.last_error
    assert deliveries.deliveries_sweep() == 0  # just sent: not sent again
    assert fresh.pk


def test_rolled_back_event_creates_no_delivery(root_org, make_webhook, committed):
    make_webhook(channels=[ch.channel_uri("user")])

    class Boom(Exception):
        pass

    def create_then_fail() -> None:
        with transaction.atomic():
            user_create(actor=None, organization=root_org, username="ghost")
            raise Boom

    with committed(), pytest.raises(Boom):
        create_then_fail()
    assert not WebhookDelivery.objects.exists()


def test_subscription_guard_is_cached_and_invalidated_by_writes(root_org, make_webhook, monkeypatch):
    assert channel_subscribed(root_org.pk, "token") is False
    webhook = make_webhook(channels=[ch.channel_uri("token")])
    assert channel_subscribed(root_org.pk, "token") is True  # this process's write dropped the cache
    assert channel_subscribed(root_org.pk, ch.channel_uri("token")) is True
    # A change made by another process is seen once the TTL has passed.
    Webhook.objects.filter(pk=webhook.pk).update(status="INACTIVE")
    assert channel_subscribed(root_org.pk, "token") is True
    now = time.monotonic()
    monkeypatch.setattr(core_cache, "clock", lambda: now + 3600)
    assert channel_subscribed(root_org.pk, "token") is False


def test_redeliver_failed_events_with_a_fresh_budget(
    make_webhook, receiver, settings, django_capture_on_commit_callbacks
):
    settings.IAM_WEBHOOK_MAX_ATTEMPTS = 1
    receiver.behaviour.status = 500
    webhook = make_webhook()
    delivery = _again(_queued(webhook))
    assert delivery.state == State.DEAD
    receiver.behaviour.status = 200
    with django_capture_on_commit_callbacks() as callbacks:
        assert deliveries.webhook_redeliver(actor=None, webhook=webhook, all_failed=True) == 1
    assert len(callbacks) == 1
    delivery.refresh_from_db()
    assert (delivery.state, delivery.round_attempts) == (State.PENDING, 0)
    assert _again(delivery).state == State.DELIVERED
    assert delivery.attempts == 2
    assert receiver.received[0].jti == receiver.received[1].jti


def test_the_readme_receiver_verifies_our_requests(make_webhook, settings):
    """The 10-line receiver of README.md accepts a real delivery and refuses a wrong secret."""
    import re
    import threading
    from pathlib import Path

    readme = (Path(settings.BASE_DIR) / "README.md").read_text()
    section = readme.split("## Webhooks", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    code = code.replace('b"change-me"', f"{SECRET.encode()!r}").replace(
        'HTTPServer(("127.0.0.1", 9000), Hook).serve_forever()', 'server = HTTPServer(("127.0.0.1", 0), Hook)'
    )
    assert len(code.strip().splitlines()) == 2 + 10  # two import lines, then ten lines
    namespace: dict = {"__name__": "readme_receiver"}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    server = namespace["server"]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        good = _again(_queued(make_webhook(endpoint=url)))
        assert (good.state, good.status_code) == (State.DELIVERED, 204)
        assert namespace["seen"] == {str(good.event_id)}
        bad = _again(_queued(make_webhook(endpoint=url + "?other", secret="another-secret", name="Wrong")))
        assert (bad.state, bad.status_code) == (State.PENDING, 401)
    finally:
        server.shutdown()
        server.server_close()
