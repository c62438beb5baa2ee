"""Reads: webhooks of an organization, which webhooks an event goes to, delivery logs and health."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, QuerySet
from django.utils import timezone

from apps.core.cache import BoundedCache
from apps.core.ids import parse_uuid
from apps.orgs.models import Organization
from apps.webhooks.models import Webhook, WebhookDelivery, WebhookSettings

DELIVERY_FILTERS = {
    "failed": (WebhookDelivery.State.DEAD,),
    "delivered": (WebhookDelivery.State.DELIVERED,),
    "pending": (WebhookDelivery.State.PENDING, WebhookDelivery.State.SENDING),
}


def webhook_list(*, organization: Organization) -> QuerySet[Webhook]:
    return Webhook.objects.for_org(organization).order_by("name", "created")


def webhook_get(*, organization: Organization, webhook_id: Any) -> Webhook | None:
    pk = parse_uuid(webhook_id)
    if pk is None:
        return None
    return Webhook.objects.for_org(organization).filter(pk=pk).first()


def webhook_settings_get(*, organization: Organization) -> WebhookSettings:
    found = WebhookSettings.objects.filter(organization=organization).first()
    return found or WebhookSettings(organization=organization)


# Organizations as events see them, per process: a rename shows in payloads within the TTL.
_organizations = BoundedCache(max_entries=2048, ttl_seconds=30)


def organization_for_events(organization_id: Any) -> Organization | None:
    """The organization (with its root) an event belongs to; cached briefly, fan-out runs per event."""
    key = str(organization_id)
    found = _organizations.get(key)
    if found is None:
        found = Organization.objects.select_related("root").filter(pk=organization_id).first()
        if found is not None:
            _organizations.put(key, found)
    return found


def _ancestor_ids(organization_id: Any) -> list[uuid.UUID]:
    organization = organization_for_events(organization_id)
    return [] if organization is None else organization.ancestor_ids()


def webhooks_for_event(*, organization_id: Any, channel_uri: str) -> list[Webhook]:
    """ACTIVE webhooks subscribed to ``channel_uri`` that receive events of ``organization_id``:
    its own, and those of ancestors whose organization policy shares sub-organization events."""
    ancestors = _ancestor_ids(organization_id)
    if not ancestors:
        return []
    candidates = Webhook.objects.filter(organization_id__in=ancestors, status=Webhook.Status.ACTIVE).only(
        "id", "organization_id", "channels", "created"
    )
    hooks = [hook for hook in candidates if channel_uri in (hook.channels or [])]
    own = uuid.UUID(str(organization_id))
    foreign = {hook.organization_id for hook in hooks if hook.organization_id != own}
    if foreign:
        sharing = set(
            WebhookSettings.objects.filter(
                organization_id__in=foreign, organization_policy=WebhookSettings.Policy.SHARE
            ).values_list("organization_id", flat=True)
        )
        hooks = [hook for hook in hooks if hook.organization_id == own or hook.organization_id in sharing]
    return hooks


def delivery_list(*, webhook: Webhook, state: str = "") -> QuerySet[WebhookDelivery]:
    qs = WebhookDelivery.objects.filter(webhook=webhook).defer("body").order_by("-created", "-id")
    if state in DELIVERY_FILTERS:
        qs = qs.filter(state__in=DELIVERY_FILTERS[state])
    return qs


def delivery_get(*, webhook: Webhook, delivery_id: Any) -> WebhookDelivery | None:
    pk = parse_uuid(delivery_id)
    return None if pk is None else WebhookDelivery.objects.filter(webhook=webhook, pk=pk).first()


@dataclass(frozen=True)
class WebhookHealth:
    state: str  # healthy | failing | circuit_open | unknown | inactive
    consecutive_failures: int
    circuit_open_until: datetime | None
    last_success_at: datetime | None
    last_failure_at: datetime | None
    delivered: int
    retried: int
    dead_lettered: int
    pending: int
    failed: int


def webhook_health(*, webhook: Webhook) -> WebhookHealth:
    counts = dict(
        WebhookDelivery.objects.filter(webhook=webhook, state__in=["PENDING", "SENDING", "DEAD"])
        .values_list("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
    now = timezone.now()
    if not webhook.is_active:
        state = "inactive"
    elif webhook.circuit_open_until and webhook.circuit_open_until > now:
        state = "circuit_open"
    elif webhook.consecutive_failures:
        state = "failing"
    elif webhook.last_success_at:
        state = "healthy"
    else:
        state = "unknown"
    return WebhookHealth(
        state=state,
        consecutive_failures=webhook.consecutive_failures,
        circuit_open_until=webhook.circuit_open_until if state == "circuit_open" else None,
        last_success_at=webhook.last_success_at,
        last_failure_at=webhook.last_failure_at,
        delivered=webhook.delivered_count,
        retried=webhook.retried_count,
        dead_lettered=webhook.dead_lettered_count,
        pending=counts.get("PENDING", 0) + counts.get("SENDING", 0),
        failed=counts.get("DEAD", 0),
    )
