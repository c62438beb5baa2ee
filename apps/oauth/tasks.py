"""Periodic sweep of expired codes, code redemptions, access tokens, device authorizations and used jtis."""

from __future__ import annotations

from celery import shared_task

from apps.oauth.device import device_authorizations_clear
from apps.oauth.replay import used_jti_clear
from apps.oauth.store import expired_clear


@shared_task(name="apps.oauth.tasks.oauth_expired_clear")
def oauth_expired_clear() -> dict[str, int]:
    return {**expired_clear(), "device_authorizations": device_authorizations_clear(), "used_jtis": used_jti_clear()}
