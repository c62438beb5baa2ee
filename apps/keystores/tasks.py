"""Celery beat task: the hourly sweep that retires signing keys past their overlap."""

from __future__ import annotations

from celery import shared_task

from apps.keystores import services


@shared_task
def keystore_retire_expired() -> int:
    return services.keystore_retire_expired()
