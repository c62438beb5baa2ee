"""The transactional outbox: ``emit`` inside a service's transaction.

The row commits or rolls back with the change. On commit a Celery task
dispatches it to the consumers registered for its type; if the broker or
worker is down, the beat sweep ``outbox_redeliver`` finds it later. Consumers
must be idempotent: a crash between a consumer and ``dispatched_at`` means a
redelivery.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.core import context
from apps.core.models import OutboxEvent

log = logging.getLogger(__name__)

Consumer = Callable[[OutboxEvent], None]
_consumers: dict[str, list[Consumer]] = defaultdict(list)


def register_consumer(event_type: str, consumer: Consumer) -> None:
    """Register ``consumer`` for ``event_type`` (``"*"`` for every event)."""
    if consumer not in _consumers[event_type]:
        _consumers[event_type].append(consumer)


def unregister_consumer(event_type: str, consumer: Consumer) -> None:
    if consumer in _consumers[event_type]:
        _consumers[event_type].remove(consumer)


def emit(event_type: str, *, organization: Any = None, payload: dict[str, Any] | None = None) -> OutboxEvent:
    event = OutboxEvent.objects.create(
        organization_id=getattr(organization, "pk", None),
        event_type=event_type,
        payload=payload or {},
        request_id=context.current().request_id,
    )

    def _enqueue() -> None:
        from apps.core.tasks import outbox_dispatch

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
        except Exception as exc:  # keep the row for the sweep, record why
            log.exception("outbox: consumer failed for %s", event.id)
            OutboxEvent.objects.filter(pk=event.pk).update(attempts=event.attempts, last_error=repr(exc)[:2000])
            return False
        event.dispatched_at = timezone.now()
        event.last_error = ""
        event.save(update_fields=["attempts", "dispatched_at", "last_error"])
        return True
