from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from apps.core import events
from apps.core.models import OutboxEvent


@shared_task(bind=True, max_retries=5, default_retry_delay=10)
def outbox_dispatch(self, event_id: str) -> bool:
    """Drain the fresh events in batches (this one among them), then make sure of this one."""
    events.drain_started()
    _claimed, more = events.dispatch_pending()
    if more and events.drain_requested():
        outbox_dispatch.delay(event_id)  # a long backlog: a successor carries on (this one is done)
    delivered = events.dispatch(event_id)  # a no-op when a batch took it; retried alone if it failed
    if not delivered:
        raise self.retry()
    return delivered


@shared_task
def outbox_redeliver(limit: int = 500) -> int:
    """Beat sweep: dispatch events whose on-commit task never ran or failed."""
    cutoff = timezone.now() - timedelta(seconds=settings.IAM_OUTBOX_REDELIVER_AFTER_SECONDS)
    ids = list(
        OutboxEvent.objects.filter(dispatched_at__isnull=True, created__lt=cutoff)
        .order_by("created")
        .values_list("id", flat=True)[:limit]
    )
    return sum(1 for event_id in ids if events.dispatch(str(event_id)))
