"""Periodic sweep of expired codes, code redemptions and access tokens."""

from __future__ import annotations

from celery import shared_task

from apps.oauth.store import expired_clear


@shared_task(name="apps.oauth.tasks.oauth_expired_clear")
def oauth_expired_clear() -> dict[str, int]:
    return expired_clear()
