"""Shared kernel models: the transactional outbox and the append-only audit log."""

from __future__ import annotations

import uuid

from django.db import models


class OutboxEvent(models.Model):
    """An event written in the same transaction as the change it describes.

    Dispatched by a Celery task on commit; rows a crash left behind are picked
    up by the ``outbox_redeliver`` beat sweep. ``dispatched_at`` is set once
    every consumer has run."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization_id = models.UUIDField(null=True, db_index=True)
    event_type = models.CharField(max_length=128)
    payload = models.JSONField(default=dict)
    request_id = models.CharField(max_length=64, blank=True, default="")
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["dispatched_at", "created"], name="outbox_pending_idx")]

    def __str__(self) -> str:
        return f"{self.event_type} {self.id}"


class AppendOnlyError(Exception):
    pass


class AuditLogQuerySet(models.QuerySet):
    def update(self, **kwargs: object) -> int:
        raise AppendOnlyError("The audit log is append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("The audit log is append-only.")

    def for_org(self, organization: object) -> AuditLogQuerySet:
        return self.filter(organization_id=organization.pk)


class AuditLog(models.Model):
    """Who did what to what, where, from which IP, in which request."""

    id = models.BigAutoField(primary_key=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    organization_id = models.UUIDField(null=True, db_index=True)
    actor_type = models.CharField(max_length=32)  # user | agent | application | system
    actor_id = models.CharField(max_length=64, blank=True, default="")
    actor_name = models.CharField(max_length=255, blank=True, default="")
    impersonator_id = models.CharField(max_length=64, blank=True, default="")
    action = models.CharField(max_length=128, db_index=True)
    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=64)
    ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True, default="")
    data = models.JSONField(default=dict, blank=True)

    objects = AuditLogQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.target_type}:{self.target_id}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise AppendOnlyError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("The audit log is append-only.")
