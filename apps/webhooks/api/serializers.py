"""Request parsing and response shapes of the webhooks API (WSO2's ``webhook-management.yaml``
and ``webhook-metadata.yaml``, plus our delivery log, redelivery, test and health endpoints).

Parsers check JSON types only; channels, endpoints and the rest are the service's rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.urls import reverse
from rest_framework import serializers

from apps.core.api.serializers import StrictBooleanField, StrictCharField, StrictSerializer
from apps.webhooks import channels as ch
from apps.webhooks.models import Webhook, WebhookDelivery, WebhookSettings
from apps.webhooks.selectors import WebhookHealth


class EventProfileSerializer(StrictSerializer):
    name = StrictCharField(max_length=64)
    uri = StrictCharField(max_length=255, required=False)


class WebhookRequestSerializer(StrictSerializer):
    name = StrictCharField(max_length=1000, trim_whitespace=False)
    endpoint = StrictCharField(max_length=4096, trim_whitespace=False)
    eventProfile = EventProfileSerializer()  # noqa: N815
    channelsSubscribed = serializers.ListField(child=StrictCharField(max_length=1000), max_length=50)  # noqa: N815
    secret = StrictCharField(required=False, max_length=4096, trim_whitespace=False, write_only=True)
    status = StrictCharField(required=False, max_length=32, help_text="ACTIVE or INACTIVE (the default).")


class RedeliverSerializer(StrictSerializer):
    deliveryIds = serializers.ListField(  # noqa: N815
        child=StrictCharField(max_length=64), required=False, max_length=500
    )
    allFailed = StrictBooleanField(required=False)  # noqa: N815


class OrganizationPolicySerializer(StrictSerializer):
    policyName = StrictCharField(max_length=64)  # noqa: N815


class MetadataPatchSerializer(StrictSerializer):
    organizationPolicy = OrganizationPolicySerializer()  # noqa: N815


# --- responses (shapes for the schema; the *_out functions build the bodies) --------------------------


class ChannelSubscriptionSerializer(serializers.Serializer):
    channelUri = serializers.CharField()  # noqa: N815
    status = serializers.CharField()


class WebhookSummarySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    endpoint = serializers.CharField()
    status = serializers.CharField()
    createdAt = serializers.DateTimeField()  # noqa: N815
    updatedAt = serializers.DateTimeField()  # noqa: N815
    self = serializers.CharField()


class WebhookListSerializer(serializers.Serializer):
    webhooks = WebhookSummarySerializer(many=True)


class WebhookResponseSerializer(WebhookSummarySerializer):
    eventProfile = EventProfileSerializer()  # noqa: N815
    channelsSubscribed = ChannelSubscriptionSerializer(many=True)  # noqa: N815


class DeliverySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    eventId = serializers.UUIDField(help_text="The payload's jti.")  # noqa: N815
    eventType = serializers.CharField()  # noqa: N815
    state = serializers.CharField(help_text="PENDING, SENDING, DELIVERED or DEAD (failed for good).")
    attempts = serializers.IntegerField()
    statusCode = serializers.IntegerField(allow_null=True)  # noqa: N815
    latencyMs = serializers.IntegerField(allow_null=True)  # noqa: N815
    responseExcerpt = serializers.CharField()  # noqa: N815
    lastError = serializers.CharField()  # noqa: N815
    createdAt = serializers.DateTimeField()  # noqa: N815
    lastAttemptAt = serializers.DateTimeField(allow_null=True)  # noqa: N815
    nextAttemptAt = serializers.DateTimeField(allow_null=True)  # noqa: N815
    deliveredAt = serializers.DateTimeField(allow_null=True)  # noqa: N815


class DeliveryListSerializer(serializers.Serializer):
    totalResults = serializers.IntegerField()  # noqa: N815
    startIndex = serializers.IntegerField()  # noqa: N815
    count = serializers.IntegerField()
    links = serializers.ListField(child=serializers.DictField())
    deliveries = DeliverySerializer(many=True)


class RedeliverResponseSerializer(serializers.Serializer):
    scheduled = serializers.IntegerField()


class HealthSerializer(serializers.Serializer):
    state = serializers.CharField(help_text="healthy, failing, circuit_open, unknown (nothing sent yet) or inactive.")
    consecutiveFailures = serializers.IntegerField()  # noqa: N815
    circuitOpenUntil = serializers.DateTimeField(allow_null=True)  # noqa: N815
    lastSuccessAt = serializers.DateTimeField(allow_null=True)  # noqa: N815
    lastFailureAt = serializers.DateTimeField(allow_null=True)  # noqa: N815
    delivered = serializers.IntegerField()
    retried = serializers.IntegerField()
    deadLettered = serializers.IntegerField()  # noqa: N815
    pending = serializers.IntegerField()
    failed = serializers.IntegerField()


class MetadataSerializer(serializers.Serializer):
    profiles = serializers.ListField(child=serializers.DictField())
    adapter = serializers.DictField()
    organizationPolicy = serializers.DictField()  # noqa: N815


class EventProfileDetailSerializer(serializers.Serializer):
    profile = serializers.CharField()
    uri = serializers.CharField()
    channels = serializers.ListField(child=serializers.DictField())


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z") if value is not None else None


def webhook_summary_out(webhook: Webhook) -> dict[str, Any]:
    return {
        "id": str(webhook.id),
        "name": webhook.name,
        "endpoint": webhook.endpoint,
        "status": webhook.status,
        "createdAt": _iso(webhook.created),
        "updatedAt": _iso(webhook.updated),
        "self": reverse("webhook-detail", kwargs={"webhook_id": webhook.id}),
    }


def webhook_out(webhook: Webhook) -> dict[str, Any]:
    """The full resource; the secret is never part of it."""
    return {
        **webhook_summary_out(webhook),
        "eventProfile": {"name": ch.PROFILE_NAME, "uri": ch.PROFILE_URI},
        "channelsSubscribed": [{"channelUri": uri, "status": "SUBSCRIPTION_ACCEPTED"} for uri in webhook.channels],
    }


def delivery_out(delivery: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": str(delivery.id),
        "eventId": str(delivery.event_id),
        "eventType": delivery.event_type,
        "state": delivery.state,
        "attempts": delivery.attempts,
        "statusCode": delivery.status_code,
        "latencyMs": delivery.latency_ms,
        "responseExcerpt": delivery.response_excerpt,
        "lastError": delivery.last_error,
        "createdAt": _iso(delivery.created),
        "lastAttemptAt": _iso(delivery.last_attempt_at),
        "nextAttemptAt": _iso(delivery.next_attempt_at) if delivery.state == WebhookDelivery.State.PENDING else None,
        "deliveredAt": _iso(delivery.delivered_at),
    }


def health_out(health: WebhookHealth) -> dict[str, Any]:
    return {
        "state": health.state,
        "consecutiveFailures": health.consecutive_failures,
        "circuitOpenUntil": _iso(health.circuit_open_until),
        "lastSuccessAt": _iso(health.last_success_at),
        "lastFailureAt": _iso(health.last_failure_at),
        "delivered": health.delivered,
        "retried": health.retried,
        "deadLettered": health.dead_lettered,
        "pending": health.pending,
        "failed": health.failed,
    }


def metadata_out(settings_row: WebhookSettings) -> dict[str, Any]:
    return {
        "profiles": [{"name": ch.PROFILE_NAME, "uri": ch.PROFILE_URI}],
        "adapter": {"name": "httppublisher", "type": "Publisher"},
        "organizationPolicy": {"policyName": settings_row.organization_policy},
    }


def event_profile_out() -> dict[str, Any]:
    return {
        "profile": ch.PROFILE_NAME,
        "uri": ch.PROFILE_URI,
        "channels": [
            {
                "name": channel.name,
                "description": channel.description,
                "uri": channel.uri,
                "events": [
                    {
                        "eventName": event.name,
                        "eventDescription": event.description,
                        "eventUri": ch.event_uri(channel.key, event.name),
                    }
                    for event in channel.events
                ],
            }
            for channel in ch.CHANNELS
        ],
    }
