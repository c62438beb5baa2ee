"""The outbox consumer: one delivery row per matching webhook, nothing else.

It runs inside the outbox dispatch transaction, so it must be quick and
idempotent: the rows are unique on (webhook, event), a redispatch adds none,
and the HTTP calls happen in their own tasks after commit. It takes a batch of
events at a time (``apps.core.events.dispatch_batch``): one query for the
webhooks of each organization and channel, one for the users the payloads
name, one INSERT for all rows, and after commit one task per webhook (not per
event), which then sends that webhook's due deliveries in batches."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone

from apps.core.models import OutboxEvent
from apps.webhooks.channels import channel_uri
from apps.webhooks.deliveries import webhooks_wake
from apps.webhooks.models import Webhook, WebhookDelivery
from apps.webhooks.payloads import CHANNEL_OF_EVENT_TYPE, payload_users_load, webhook_payload_build
from apps.webhooks.selectors import organization_for_events, webhooks_for_event


def webhook_fanout(event: OutboxEvent) -> None:
    webhooks_fanout([event])


def webhooks_fanout(events: list[OutboxEvent]) -> None:
    hooks_by_key: dict[tuple[uuid.UUID, str], list[Webhook]] = {}
    matched: list[tuple[OutboxEvent, list[Webhook]]] = []
    for event in events:
        channel = CHANNEL_OF_EVENT_TYPE.get(event.event_type)
        if channel is None or event.organization_id is None:
            continue
        key = (event.organization_id, channel)
        if key not in hooks_by_key:
            hooks_by_key[key] = webhooks_for_event(
                organization_id=event.organization_id, channel_uri=channel_uri(channel)
            )
        # A webhook receives what happened while it existed: an event older than the webhook (still
        # undispatched because its task was slow or lost) is not sent to it.
        hooks = [hook for hook in hooks_by_key[key] if hook.created <= event.created]
        if hooks:
            matched.append((event, hooks))
    if not matched:
        return
    users = payload_users_load([event for event, _hooks in matched])
    now = timezone.now()
    rows: list[WebhookDelivery] = []
    for event, hooks in matched:
        organization = organization_for_events(event.organization_id)
        if organization is None:
            continue
        built = webhook_payload_build(event, organization, users=users)
        if built is None:
            continue
        event_type, body = built
        rows += [
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
    if not rows:
        return
    WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    webhook_ids = sorted({row.webhook_id for row in rows}, key=str)
    transaction.on_commit(lambda: webhooks_wake(webhook_ids))
