"""The outbox consumer: one delivery row per matching webhook, nothing else.

It runs inside the outbox dispatch transaction, so it must be quick and
idempotent: the rows are unique on (webhook, event), a redispatch adds none,
and the HTTP calls happen in their own tasks after commit."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from apps.core.models import OutboxEvent
from apps.webhooks.channels import channel_uri
from apps.webhooks.deliveries import deliveries_enqueue
from apps.webhooks.models import WebhookDelivery
from apps.webhooks.payloads import CHANNEL_OF_EVENT_TYPE, webhook_payload_build
from apps.webhooks.selectors import organization_for_events, webhooks_for_event


def webhook_fanout(event: OutboxEvent) -> None:
    channel = CHANNEL_OF_EVENT_TYPE.get(event.event_type)
    if channel is None or event.organization_id is None:
        return
    hooks = webhooks_for_event(organization_id=event.organization_id, channel_uri=channel_uri(channel))
    if not hooks:
        return
    organization = organization_for_events(event.organization_id)
    if organization is None:
        return
    built = webhook_payload_build(event, organization)
    if built is None:
        return
    event_type, body = built
    now = timezone.now()
    rows = [
        WebhookDelivery(
            webhook_id=hook.id,
            event_id=event.id,
            event_type=event_type,
            body=body,
            next_attempt_at=now,
            round_started=now,
            enqueued_at=now,
        )
        for hook in hooks
    ]
    WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    ids = [row.id for row in rows]
    transaction.on_commit(lambda: deliveries_enqueue(ids))
