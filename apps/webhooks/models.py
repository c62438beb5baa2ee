"""Webhook subscriptions per organization, and one delivery row per (webhook, event).

A delivery carries the exact body that is signed and sent on every attempt
(so ``jti`` and the bytes are stable across retries) and its own retry
schedule; the webhook row carries the endpoint's health (circuit breaker) and
its delivery counters."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class WebhookQuerySet(models.QuerySet):
    def for_org(self, organization: object) -> WebhookQuerySet:
        return self.filter(organization_id=organization.pk)


class Webhook(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "ACTIVE", _("Active")
        INACTIVE = "INACTIVE", _("Inactive")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="webhooks")
    name = models.CharField(_("name"), max_length=255)
    endpoint = models.CharField(_("endpoint"), max_length=2048)
    # AES-256-GCM under IAM_MASTER_KEY (apps.keystores.crypto); "" when the webhook has no secret.
    secret_encrypted = models.TextField(blank=True, default="")
    event_profile = models.CharField(max_length=32, default="WSO2")
    channels = models.JSONField(default=list)  # channel URIs
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.INACTIVE)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    # Health: the circuit opens after consecutive failures and lets one probe through once it expires.
    consecutive_failures = models.PositiveIntegerField(default=0)
    circuit_open_until = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    # Counters since creation (observability).
    delivered_count = models.PositiveBigIntegerField(default=0)
    retried_count = models.PositiveBigIntegerField(default=0)
    dead_lettered_count = models.PositiveBigIntegerField(default=0)

    objects = WebhookQuerySet.as_manager()

    class Meta:
        ordering = ["name", "created"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "endpoint"], name="webhook_unique_endpoint_per_org"),
        ]
        indexes = [models.Index(fields=["organization", "status"], name="webhook_org_status_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class WebhookDelivery(models.Model):
    class State(models.TextChoices):
        PENDING = "PENDING", _("Pending")  # waiting for its (next) attempt at next_attempt_at
        SENDING = "SENDING", _("Sending")  # an attempt holds the lease until lease_until
        DELIVERED = "DELIVERED", _("Delivered")
        DEAD = "DEAD", _("Failed")  # dead-lettered: no more automatic attempts

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.UUIDField()  # the payload's jti (the outbox event id)
    event_type = models.CharField(max_length=255)  # the event type URI
    body = models.TextField()  # the exact JSON that is signed and sent
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)  # last time a task was sent for it
    lease_id = models.UUIDField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)  # every attempt ever made
    round_attempts = models.PositiveIntegerField(default=0)  # attempts since the last (re)delivery request
    round_started = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    response_excerpt = models.TextField(blank=True, default="")
    last_error = models.CharField(max_length=500, blank=True, default="")
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(fields=["webhook", "event_id"], name="webhook_delivery_unique_event"),
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="webhook_delivery_due_idx"),
            models.Index(fields=["webhook", "state"], name="webhook_delivery_state_idx"),
            models.Index(fields=["webhook", "-created"], name="webhook_delivery_log_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} -> {self.webhook_id} ({self.state})"


class WebhookSettings(models.Model):
    """Per-organization webhook metadata: whether its webhooks also receive its sub-organizations' events."""

    class Policy(models.TextChoices):
        SHARE = "IMMEDIATE_EXISTING_AND_FUTURE_ORGS", _("Also receive events of sub-organizations")
        NO_SHARING = "NO_SHARING", _("Only this organization's events")

    organization = models.OneToOneField(
        "orgs.Organization", on_delete=models.CASCADE, primary_key=True, related_name="webhook_settings"
    )
    organization_policy = models.CharField(max_length=64, choices=Policy.choices, default=Policy.NO_SHARING)
    updated = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.organization_id}: {self.organization_policy}"
