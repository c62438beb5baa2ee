"""The transactional outbox: ``emit`` inside a service's transaction.

The row commits or rolls back with the change. On commit a Celery task
dispatches it to the consumers registered for its type; if the broker or
worker is down, the beat sweep ``outbox_redeliver`` finds it later. Consumers
must be idempotent: a crash between a consumer and ``dispatched_at`` means a
redelivery.

Throughput: a dispatch task first drains *batches* of fresh events
(``dispatch_batch``: up to ``BATCH_SIZE`` rows claimed with ``SELECT ... FOR
UPDATE SKIP LOCKED`` on PostgreSQL, so concurrent workers take disjoint
batches), runs the consumers once per batch where they accept a batch
(``register_batch_consumer``) and marks the batch dispatched in one UPDATE.
With a shared cache (Redis: ``IAM_OUTBOX_COALESCE``) a commit only queues a
task when none is already queued, so a burst of commits costs a few tasks,
not one each; the sweep still covers a task that never runs.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.core import context
from apps.core.models import OutboxEvent

log = logging.getLogger(__name__)

Consumer = Callable[[OutboxEvent], None]
BatchConsumer = Callable[[list[OutboxEvent]], None]
_consumers: dict[str, list[Consumer]] = defaultdict(list)
_batch_consumers: list[BatchConsumer] = []
BATCH_SIZE = 200  # events one claim takes
BATCHES_PER_DRAIN = 25  # a task drains at most this many batches, then queues a successor
DRAIN_MARK = "outbox:drain-queued"
DRAIN_MARK_SECONDS = 10  # a queued task lost with the broker delays the next one this long at most


def register_consumer(event_type: str, consumer: Consumer) -> None:
    """Register ``consumer`` for ``event_type`` (``"*"`` for every event)."""
    if consumer not in _consumers[event_type]:
        _consumers[event_type].append(consumer)


def unregister_consumer(event_type: str, consumer: Consumer) -> None:
    if consumer in _consumers[event_type]:
        _consumers[event_type].remove(consumer)


def register_batch_consumer(consumer: BatchConsumer) -> None:
    """Register ``consumer`` for every event type, called with a list of events (one or a batch).

    For consumers that gain from seeing many events at once (one INSERT and one task per batch)."""
    if consumer not in _batch_consumers:
        _batch_consumers.append(consumer)


def _coalescing() -> bool:
    from django.conf import settings

    return bool(getattr(settings, "IAM_OUTBOX_COALESCE", False))


def drain_requested() -> bool:
    """Whether a commit should queue a dispatch task: always without a shared cache; with one, only
    when no task is queued yet (the queued task drains this event too)."""
    if not _coalescing():
        return True
    from django.core.cache import cache

    try:
        return bool(cache.add(DRAIN_MARK, 1, timeout=DRAIN_MARK_SECONDS))
    except Exception:  # cache down: queue a task, as without coalescing
        log.warning("outbox: the shared cache is unavailable; queueing a task per event", exc_info=True)
        return True


def drain_started() -> None:
    """A dispatch task starts: commits from now on queue a new task (this one may have claimed already)."""
    if not _coalescing():
        return
    from django.core.cache import cache

    try:
        cache.delete(DRAIN_MARK)
    except Exception:
        log.warning("outbox: could not clear the drain mark", exc_info=True)


def emit(event_type: str, *, organization: Any = None, payload: dict[str, Any] | None = None) -> OutboxEvent:
    event = OutboxEvent.objects.create(
        organization_id=getattr(organization, "pk", None),
        event_type=event_type,
        payload=payload or {},
        request_id=context.current().request_id,
    )

    def _enqueue() -> None:
        from apps.core.tasks import outbox_dispatch

        if not drain_requested():
            return  # a queued task drains this event with the others
        try:
            outbox_dispatch.delay(str(event.id))
        except Exception:  # broker down: the sweep redelivers
            log.warning("outbox: could not enqueue %s; the sweep will redeliver it", event.id, exc_info=True)

    transaction.on_commit(_enqueue)
    return event


def dispatch(event_id: str) -> bool:
    """Run the consumers of one event once; True when it is (now) delivered."""
    with transaction.atomic():
        event = OutboxEvent.objects.select_for_update().filter(pk=event_id, dispatched_at__isnull=True).first()
        if event is None:
            return True
        event.attempts += 1
        try:
            for consumer in [*_consumers.get(event.event_type, []), *_consumers.get("*", [])]:
                consumer(event)
            for batch_consumer in _batch_consumers:
                batch_consumer([event])
        except Exception as exc:  # keep the row for the sweep, record why
            log.exception("outbox: consumer failed for %s", event.id)
            OutboxEvent.objects.filter(pk=event.pk).update(attempts=event.attempts, last_error=repr(exc)[:2000])
            return False
        event.dispatched_at = timezone.now()
        event.last_error = ""
        event.save(update_fields=["attempts", "dispatched_at", "last_error"])
        return True


def dispatch_batch(*, limit: int = BATCH_SIZE) -> int:
    """Claim up to ``limit`` fresh events (never attempted, oldest first, skipping rows another
    worker holds), run their consumers and mark them dispatched in one UPDATE. Returns how many
    were claimed. If any consumer fails, the batch is undone and each event is dispatched on its
    own, so one bad event holds back only itself (and keeps its error for the sweep)."""
    with transaction.atomic():
        batch = list(
            OutboxEvent.objects.select_for_update(skip_locked=True)
            .filter(dispatched_at__isnull=True, attempts=0)
            .order_by("created")[:limit]
        )
        if not batch:
            return 0
        try:
            with transaction.atomic():  # a savepoint: a failure drops the consumers' writes and on-commit tasks
                for event in batch:
                    for consumer in [*_consumers.get(event.event_type, []), *_consumers.get("*", [])]:
                        consumer(event)
                for batch_consumer in _batch_consumers:
                    batch_consumer(batch)
        except Exception:
            log.warning("outbox: a batch of %d failed; dispatching its events one by one", len(batch), exc_info=True)
        else:
            OutboxEvent.objects.filter(pk__in=[event.pk for event in batch]).update(
                attempts=F("attempts") + 1, dispatched_at=timezone.now(), last_error=""
            )
            return len(batch)
    for event in batch:
        dispatch(str(event.pk))
    return len(batch)


def dispatch_pending(*, batches: int = BATCHES_PER_DRAIN, limit: int = BATCH_SIZE) -> tuple[int, bool]:
    """Drain fresh events batch by batch: ``(events claimed, whether more may be left)``."""
    claimed = 0
    for _batch in range(batches):
        taken = dispatch_batch(limit=limit)
        claimed += taken
        if taken < limit:
            return claimed, False
    return claimed, True
