"""Delivering events to one webhook, at least once.

Each ``WebhookDelivery`` row is its own state machine:

    PENDING --lease--> SENDING --2xx--> DELIVERED
       ^                  |
       +--- backoff ------+ failure (attempts and age left)
                          +--> DEAD (last attempt, or older than the max age)

* A task leases a *batch* of due deliveries of one webhook (``lease_id``,
  ``lease_until``) in a short transaction holding the webhook row, which also
  enforces the per-endpoint concurrency limit (one batch = one connection, sent
  in order) and the circuit breaker; it then sends them one by one and records
  the outcomes in one more transaction. Two commits per batch, not per event:
  that is what keeps up with bursts. The first failure ends the batch; the rest
  go back to PENDING untouched (still due, no attempt spent).
* A worker killed mid-batch leaves an expired lease; the sweep makes those rows
  PENDING again, so the events are sent again (same ``jti``, same body):
  at-least-once, duplicates possible.
* Failures back off exponentially with jitter; the beat sweep
  (``webhook_deliveries_sweep``) sends retries once due.
* After ``IAM_WEBHOOK_CIRCUIT_FAILURE_THRESHOLD`` consecutive failures the
  circuit opens: nothing is sent for ``IAM_WEBHOOK_CIRCUIT_OPEN_SECONDS``, then
  one probe at a time until an attempt succeeds.
"""

from __future__ import annotations

import json
import logging
import random
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.audit import audit_record
from apps.core.errors import DomainError, InvalidInput
from apps.webhooks import signing, transport
from apps.webhooks.channels import TEST_EVENT_URI
from apps.webhooks.models import Webhook, WebhookDelivery
from apps.webhooks.payloads import envelope, issuer
from apps.webhooks.services import webhook_secret_open
from apps.webhooks.targets import endpoint_resolve

log = logging.getLogger(__name__)

State = WebhookDelivery.State
BATCH_SIZE = 50  # deliveries one lease takes (sent in order over one connection)
BATCHES_PER_TASK = 20  # a task keeps leasing batches of the same endpoint while they are due
SWEEP_LIMIT = 1000
REQUEUE_AFTER_SECONDS = 60  # a queued task not run by then is assumed lost and sent again
WAKE_MARK_SECONDS = 10  # how long a queued delivery task stands for its webhook (a lost one: this delay at most)
RECORD_FIELDS = [
    "state",
    "lease_id",
    "lease_until",
    "attempts",
    "round_attempts",
    "last_attempt_at",
    "status_code",
    "latency_ms",
    "response_excerpt",
    "last_error",
    "delivered_at",
    "next_attempt_at",
]
WEBHOOK_HEALTH_FIELDS = [
    "consecutive_failures",
    "circuit_open_until",
    "last_success_at",
    "last_failure_at",
    "delivered_count",
    "retried_count",
    "dead_lettered_count",
]


@dataclass(frozen=True)
class LeasedDelivery:
    delivery_id: uuid.UUID
    event_id: uuid.UUID
    body: str


@dataclass(frozen=True)
class Lease:
    lease_id: uuid.UUID
    webhook_id: uuid.UUID
    endpoint: str
    sealed_secret: str
    items: tuple[LeasedDelivery, ...]


def backoff_seconds(round_attempts: int) -> float:
    """base * 2^(n-1) capped, with "equal jitter": between half and all of it."""
    ceiling = min(
        settings.IAM_WEBHOOK_RETRY_MAX_DELAY_SECONDS,
        settings.IAM_WEBHOOK_RETRY_BASE_SECONDS * (2 ** max(round_attempts - 1, 0)),
    )
    return random.uniform(ceiling / 2, ceiling)


def _max_age() -> timedelta:
    return timedelta(seconds=settings.IAM_WEBHOOK_MAX_AGE_SECONDS)


def _expired(delivery: WebhookDelivery, now: datetime) -> bool:
    return now - (delivery.round_started or delivery.created) >= _max_age()


def _dead_letter(webhook: Webhook, delivery: WebhookDelivery, reason: str) -> None:
    delivery.state = State.DEAD
    delivery.next_attempt_at = None
    delivery.last_error = reason[:500]
    webhook.dead_lettered_count += 1
    log.warning(
        "webhook dead-lettered webhook=%s delivery=%s jti=%s attempts=%d reason=%s "
        "delivered=%d retried=%d dead_lettered=%d",
        webhook.id,
        delivery.id,
        delivery.event_id,
        delivery.attempts,
        reason,
        webhook.delivered_count,
        webhook.retried_count,
        webhook.dead_lettered_count,
    )


def _due(webhook: Webhook, now: datetime) -> Any:
    due = WebhookDelivery.objects.filter(webhook_id=webhook.id, state=State.PENDING, next_attempt_at__lte=now)
    return due if webhook.is_active else due.filter(event_type=TEST_EVENT_URI)  # inactive: only test events


def delivery_lease(*, webhook_id: Any, now: datetime | None = None, limit: int = BATCH_SIZE) -> Lease | None:
    """Lease the next due deliveries of a webhook, oldest first; None when nothing is due or the
    endpoint may not be called now (all slots busy, circuit open)."""
    now = now or timezone.now()
    with transaction.atomic():
        # Always the webhook row first, then deliveries: the same order as delivery_record.
        webhook = Webhook.objects.select_for_update(no_key=True).filter(pk=webhook_id).first()
        if webhook is None:
            return None
        due = _due(webhook, now)
        if webhook.circuit_open_until is not None and webhook.circuit_open_until > now:
            due.update(next_attempt_at=webhook.circuit_open_until)  # they wait for the circuit
            return None
        half_open = webhook.consecutive_failures >= settings.IAM_WEBHOOK_CIRCUIT_FAILURE_THRESHOLD
        slots = 1 if half_open else max(settings.IAM_WEBHOOK_CONCURRENCY_PER_ENDPOINT, 1)
        busy = (
            WebhookDelivery.objects.filter(webhook_id=webhook.id, state=State.SENDING, lease_until__gt=now)
            .values("lease_id")
            .distinct()
            .count()
        )
        if busy >= slots:
            return None
        candidates = list(
            due.select_for_update()
            .order_by("next_attempt_at")
            .only("id", "event_id", "body", "round_started", "created", "attempts")[: 1 if half_open else limit]
        )
        fresh = [d for d in candidates if not _expired(d, now)]
        expired = [d for d in candidates if _expired(d, now)]
        if expired:
            for delivery in expired:
                _dead_letter(webhook, delivery, _("Older than the maximum age; not sent again."))
            WebhookDelivery.objects.bulk_update(expired, ["state", "next_attempt_at", "last_error"])
            webhook.save(update_fields=["dead_lettered_count"])
        if not fresh:
            return None
        lease_id = uuid.uuid4()
        seconds = settings.IAM_WEBHOOK_TIMEOUT_SECONDS * len(fresh) + settings.IAM_WEBHOOK_LEASE_GRACE_SECONDS
        WebhookDelivery.objects.filter(pk__in=[d.id for d in fresh]).update(
            state=State.SENDING,
            lease_id=lease_id,
            lease_until=now + timedelta(seconds=seconds),
            round_started=Coalesce(F("round_started"), now),
        )
        return Lease(
            lease_id=lease_id,
            webhook_id=webhook.id,
            endpoint=webhook.endpoint,
            sealed_secret=webhook.secret_encrypted,
            items=tuple(LeasedDelivery(d.id, d.event_id, d.body) for d in fresh),
        )


def lease_send(lease: Lease) -> list[tuple[LeasedDelivery, transport.AttemptResult]]:
    """Send the leased deliveries in order (outside any transaction), stopping at the first failure.

    The endpoint is checked again (fresh DNS, SSRF rules) and the current secret signs."""
    try:
        target = endpoint_resolve(lease.endpoint)
    except DomainError as exc:
        refused = transport.AttemptResult(ok=False, status_code=None, latency_ms=0, error=f"refused: {exc.message}")
        return [(lease.items[0], refused)]
    secret = webhook_secret_open(webhook_id=lease.webhook_id, sealed=lease.sealed_secret)
    results = []
    for item in lease.items:
        body = item.body.encode()
        headers = signing.signature_headers(secret=secret, body=body, timestamp=int(time.time()))
        headers[signing.EVENT_ID_HEADER] = str(item.event_id)
        result = transport.post(target, body, headers)
        results.append((item, result))
        if not result.ok:
            break
    return results


def _apply(webhook: Webhook, delivery: WebhookDelivery, result: transport.AttemptResult, now: datetime) -> None:
    delivery.lease_id = None
    delivery.lease_until = None
    delivery.attempts += 1
    delivery.round_attempts += 1
    delivery.last_attempt_at = now
    delivery.status_code = result.status_code
    delivery.latency_ms = result.latency_ms
    delivery.response_excerpt = result.excerpt
    delivery.last_error = result.error[:500]
    if result.ok:
        delivery.state = State.DELIVERED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
        webhook.consecutive_failures = 0
        webhook.circuit_open_until = None
        webhook.last_success_at = now
        webhook.delivered_count += 1
        return
    webhook.consecutive_failures += 1
    webhook.last_failure_at = now
    if webhook.consecutive_failures >= settings.IAM_WEBHOOK_CIRCUIT_FAILURE_THRESHOLD:
        webhook.circuit_open_until = now + timedelta(seconds=settings.IAM_WEBHOOK_CIRCUIT_OPEN_SECONDS)
    if delivery.round_attempts >= settings.IAM_WEBHOOK_MAX_ATTEMPTS or _expired(delivery, now):
        _dead_letter(webhook, delivery, result.error or "failed")
    else:
        delivery.state = State.PENDING
        delivery.next_attempt_at = now + timedelta(seconds=backoff_seconds(delivery.round_attempts))
        webhook.retried_count += 1
        log.info(
            "webhook attempt failed webhook=%s delivery=%s jti=%s attempt=%d status=%s error=%s retry_at=%s",
            webhook.id,
            delivery.id,
            delivery.event_id,
            delivery.attempts,
            result.status_code,
            result.error,
            delivery.next_attempt_at.isoformat(),
        )


def _records_save(rows: list[WebhookDelivery]) -> None:
    """Write the outcome fields of many deliveries: one prepared UPDATE sent for all rows
    (``executemany``: pipelined by psycopg 3) instead of ``bulk_update``'s CASE expressions, whose
    construction cost more CPU than the HTTP attempts themselves."""
    meta = WebhookDelivery._meta
    fields = [meta.get_field(name) for name in RECORD_FIELDS]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    # Only the model's own table and column names, quoted: no input reaches the statement text.
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608
    params = [
        [field.get_db_prep_save(getattr(row, field.attname), connection) for field in fields]
        + [meta.pk.get_db_prep_save(row.pk, connection)]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def delivery_record(
    lease: Lease, results: list[tuple[LeasedDelivery, transport.AttemptResult]], *, now: datetime | None = None
) -> dict[str, int]:
    """Store the outcomes of a batch; deliveries not attempted go back to PENDING. Returns state counts."""
    now = now or timezone.now()
    attempted = {item.delivery_id: result for item, result in results}
    outcome: dict[str, int] = {}
    with transaction.atomic():
        webhook = Webhook.objects.select_for_update(no_key=True).filter(pk=lease.webhook_id).first()
        if webhook is None:
            return outcome
        rows = list(
            WebhookDelivery.objects.select_for_update()
            .filter(pk__in=[item.delivery_id for item in lease.items], state=State.SENDING, lease_id=lease.lease_id)
            .defer("body")
        )
        by_id = {row.id: row for row in rows}
        for item in lease.items:  # in sending order, so the circuit sees failures as they happened
            row = by_id.get(item.delivery_id)
            if row is None:
                continue  # the lease ran out and someone else took over
            result = attempted.get(item.delivery_id)
            if result is None:
                row.state, row.lease_id, row.lease_until = State.PENDING, None, None
            else:
                _apply(webhook, row, result, now)
            outcome[row.state] = outcome.get(row.state, 0) + 1
        if rows:
            _records_save(rows)
            webhook.save(update_fields=WEBHOOK_HEALTH_FIELDS)
    latencies = [result.latency_ms for result in attempted.values()]
    log.info(
        "webhook batch webhook=%s sent=%d outcome=%s max_latency_ms=%d delivered=%d retried=%d dead_lettered=%d",
        webhook.id,
        len(attempted),
        ",".join(f"{k}:{v}" for k, v in sorted(outcome.items())) or "-",
        max(latencies, default=0),
        webhook.delivered_count,
        webhook.retried_count,
        webhook.dead_lettered_count,
    )
    return outcome


def webhook_deliver_due(*, webhook_id: Any, batches: int = BATCHES_PER_TASK) -> int:
    """Lease, send and record batches of one webhook's due deliveries; returns attempts made."""
    return webhook_deliver_batches(webhook_id=webhook_id, batches=batches)[0]


def webhook_deliver_batches(*, webhook_id: Any, batches: int = BATCHES_PER_TASK) -> tuple[int, bool]:
    """As ``webhook_deliver_due``; also says whether it stopped at ``batches`` with full batches (more may be due)."""
    made = 0
    for _batch in range(batches):
        lease = delivery_lease(webhook_id=webhook_id)
        if lease is None:
            return made, False
        results = lease_send(lease)
        delivery_record(lease, results)
        made += len(results)
        if len(results) < len(lease.items):
            return made, False  # a failure ended the batch: leave the rest to the backoff and the circuit
    return made, True


def webhook_deliver_endpoint(webhook_id: Any) -> int:
    """The task body for one webhook woken by new deliveries: its due deliveries, batch by batch;
    a successor task carries on after ``BATCHES_PER_TASK`` full batches (other endpoints get a turn)."""
    _wake_started(webhook_id)
    made, more = webhook_deliver_batches(webhook_id=webhook_id)
    if more:
        webhooks_wake([webhook_id])
    return made


def delivery_process(delivery_id: Any) -> int:
    """The task body for one delivery: its webhook's due deliveries, this one among them."""
    webhook_id = (
        WebhookDelivery.objects.filter(pk=delivery_id, state=State.PENDING).values_list("webhook_id", flat=True).first()
    )
    return 0 if webhook_id is None else webhook_deliver_due(webhook_id=webhook_id)


def deliveries_process(delivery_ids: Iterable[Any]) -> int:
    """The task body for several deliveries (an event's fan-out, a sweep): once per webhook."""
    webhook_ids = set(
        WebhookDelivery.objects.filter(pk__in=list(delivery_ids), state=State.PENDING).values_list(
            "webhook_id", flat=True
        )
    )
    return sum(webhook_deliver_due(webhook_id=webhook_id) for webhook_id in webhook_ids)


# --- enqueueing -------------------------------------------------------------------------------------


def _wake_mark(webhook_id: Any) -> str:
    return f"webhooks:wake-queued:{webhook_id}"


def _wake_started(webhook_id: Any) -> None:
    if not settings.IAM_OUTBOX_COALESCE:
        return
    try:
        cache.delete(_wake_mark(webhook_id))
    except Exception:
        log.warning("webhook: could not clear the wake mark of %s", webhook_id, exc_info=True)


def webhooks_wake(webhook_ids: Iterable[Any]) -> None:
    """After commit: a delivery task per webhook, unless one is already queued for it (with a shared
    cache, ``IAM_OUTBOX_COALESCE``); the queued task sends the new deliveries with the earlier ones.

    A broker outage or a lost task only delays them: the sweep sends due deliveries again."""
    from apps.webhooks.tasks import webhook_deliver_for

    for webhook_id in webhook_ids:
        if settings.IAM_OUTBOX_COALESCE:
            try:
                if not cache.add(_wake_mark(webhook_id), 1, timeout=WAKE_MARK_SECONDS):
                    continue
            except Exception:
                log.warning("webhook: the shared cache is unavailable; queueing a task", exc_info=True)
        try:
            webhook_deliver_for.delay(str(webhook_id))
        except Exception:  # broker down: the sweep finds the rows
            log.warning("webhook: could not enqueue deliveries of %s; the sweep will", webhook_id, exc_info=True)
            return


def deliveries_enqueue(ids: Iterable[Any], *, chunk: int = 100) -> None:
    """Send tasks for these deliveries after commit (one per ``chunk`` ids: a task works per webhook).

    A broker outage only delays them: the sweep sends them again later."""
    from apps.webhooks.tasks import webhook_deliver

    ids = [str(delivery_id) for delivery_id in ids]
    for start in range(0, len(ids), chunk):
        try:
            webhook_deliver.delay(ids[start : start + chunk])
        except Exception:  # broker down: the sweep finds the rows
            log.warning("webhook: could not enqueue %d deliveries; the sweep will", len(ids) - start, exc_info=True)
            return


def deliveries_sweep(*, limit: int = SWEEP_LIMIT, now: datetime | None = None) -> int:
    """Beat task body: revive deliveries whose worker died, send what is due. Returns tasks sent."""
    now = now or timezone.now()
    revived = WebhookDelivery.objects.filter(state=State.SENDING, lease_until__lt=now).update(
        state=State.PENDING,
        next_attempt_at=now,
        lease_id=None,
        lease_until=None,
        last_error=_("The attempt did not finish (the worker stopped); sending again."),
    )
    if revived:
        log.warning("webhook: %d deliveries lost their worker mid-attempt; sending them again", revived)
    requeue_before = now - timedelta(seconds=REQUEUE_AFTER_SECONDS)
    due = (
        WebhookDelivery.objects.filter(state=State.PENDING, next_attempt_at__lte=now)
        .filter(Q(webhook__status=Webhook.Status.ACTIVE) | Q(event_type=TEST_EVENT_URI))
        .filter(
            Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=F("next_attempt_at")) | Q(enqueued_at__lt=requeue_before)
        )
        .order_by("next_attempt_at")
        .values_list("id", flat=True)[:limit]
    )
    ids = list(due)
    if ids:
        WebhookDelivery.objects.filter(pk__in=ids).update(enqueued_at=now)
        deliveries_enqueue(ids)
    return len(ids)


def _schedule_now(queryset: Any) -> list[uuid.UUID]:
    now = timezone.now()
    ids = list(queryset.values_list("id", flat=True))
    if ids:
        WebhookDelivery.objects.filter(pk__in=ids).update(
            state=State.PENDING, next_attempt_at=now, round_attempts=0, round_started=now, enqueued_at=now
        )
        transaction.on_commit(lambda: deliveries_enqueue(ids))
    return ids


def deliveries_wake(*, webhook: Webhook) -> int:
    """After activation: send what waited (already due) now."""
    now = timezone.now()
    ids = list(
        WebhookDelivery.objects.filter(webhook=webhook, state=State.PENDING, next_attempt_at__lte=now).values_list(
            "id", flat=True
        )[:SWEEP_LIMIT]
    )
    if ids:
        WebhookDelivery.objects.filter(pk__in=ids).update(enqueued_at=now)
        transaction.on_commit(lambda: deliveries_enqueue(ids))
    return len(ids)


# --- Console / API actions ------------------------------------------------------------------------


@transaction.atomic
def webhook_redeliver(
    *, actor: Any, webhook: Webhook, delivery_ids: Iterable[Any] = (), all_failed: bool = False
) -> int:
    """Send failed (or delivered) events again with a fresh attempt budget; same ``jti`` and body."""
    from apps.core.ids import parse_uuid

    if all_failed:
        selected = WebhookDelivery.objects.filter(webhook=webhook, state=State.DEAD)
    else:
        raw = list(delivery_ids)
        ids = [parse_uuid(value) for value in raw]
        if not raw or any(value is None for value in ids):
            raise InvalidInput("WEBHOOK-60011", _("Give the ids of the deliveries to send again."), field="deliveryIds")
        selected = WebhookDelivery.objects.filter(webhook=webhook, pk__in=ids)
        if selected.count() != len(set(ids)):
            raise InvalidInput("WEBHOOK-60011", _("Unknown delivery of this webhook."), field="deliveryIds")
    selected = selected.select_for_update().exclude(state=State.SENDING)
    scheduled = _schedule_now(selected)
    audit_record(
        actor=actor,
        action="webhook.redeliver",
        target_type="webhook",
        target_id=webhook.id,
        organization=webhook.organization,
        data={"deliveries": len(scheduled)},
    )
    return len(scheduled)


@transaction.atomic
def webhook_send_test(*, actor: Any, webhook: Webhook) -> WebhookDelivery:
    """A test event to the endpoint (even while inactive), through the normal delivery path."""
    event_id = uuid.uuid4()
    now = timezone.now()
    organization = webhook.organization
    body = {
        "message": "A test event from the identity server. Receivers must ignore event types they do not know.",
        "webhook": {"id": str(webhook.id), "name": webhook.name},
        "organization": {"id": str(organization.id), "name": organization.name, "orgHandle": organization.handle},
    }
    text = envelope(
        jti=str(event_id),
        iat_ms=int(now.timestamp() * 1000),
        rci=str(uuid.uuid4()),
        iss=issuer(organization),
        event_type=TEST_EVENT_URI,
        body=body,
    )
    delivery = WebhookDelivery.objects.create(
        webhook=webhook,
        event_id=event_id,
        event_type=TEST_EVENT_URI,
        body=text,
        next_attempt_at=now,
        round_started=now,
        enqueued_at=now,
    )
    audit_record(
        actor=actor, action="webhook.test", target_type="webhook", target_id=webhook.id, organization=organization
    )
    transaction.on_commit(lambda: deliveries_enqueue([delivery.id]))
    return delivery


def delivery_event_summary(delivery: WebhookDelivery) -> dict[str, Any]:
    """The body as sent (for the Console's detail view)."""
    try:
        return json.loads(delivery.body)
    except ValueError:
        return {}
