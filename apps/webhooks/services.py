"""Webhook configuration writes, the organization policy, and the publishers
other apps call to put identity events on the outbox.

Rules that live here and nowhere else: endpoint and channel validation, the
write-only encrypted secret, ACTIVE/INACTIVE, and the per-process
``channel_subscribed`` guard that keeps high-volume events (logins, tokens) off
the outbox when no webhook would receive them."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from apps.core.audit import audit_record
from apps.core.cache import BoundedCache
from apps.core.errors import Conflict, InvalidInput
from apps.core.events import emit
from apps.core.text import contains_unstorable_text
from apps.keystores.crypto import decrypt_private_key, encrypt_private_key
from apps.webhooks import channels as ch
from apps.webhooks.models import Webhook, WebhookSettings
from apps.webhooks.selectors import webhooks_for_event
from apps.webhooks.targets import endpoint_resolve

log = logging.getLogger(__name__)

MAX_SECRET_LENGTH = 1024
MAX_NAME_LENGTH = 255

# --- validation -----------------------------------------------------------------------------------


def _clean_name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("WEBHOOK-60002", _("Name is required."), field="name")
    value = value.strip()
    if len(value) > MAX_NAME_LENGTH or contains_unstorable_text(value):
        raise InvalidInput("WEBHOOK-60007", _("Name must be at most 255 characters of plain text."), field="name")
    return value


def _clean_endpoint(value: Any) -> str:
    endpoint_resolve(value)  # shape, HTTPS rule and SSRF check (again at every attempt)
    return value.strip()


def clean_channels(value: Any) -> list[str]:
    """Known channel URIs of the WSO2 profile, deduplicated in the profile's order."""
    if not isinstance(value, (list, tuple)) or not value:
        raise InvalidInput("WEBHOOK-60002", _("Subscribe to at least one channel."), field="channelsSubscribed")
    unknown = [str(item)[:200] for item in value if not isinstance(item, str) or item not in ch.CHANNELS_BY_URI]
    if unknown:
        raise InvalidInput(
            "WEBHOOK-60005",
            _("Unknown channel: %(channels)s.") % {"channels": ", ".join(unknown[:5])},
            _("Channels of the WSO2 profile are: %(known)s.") % {"known": ", ".join(ch.CHANNELS_BY_URI)},
            field="channelsSubscribed",
        )
    return [channel.uri for channel in ch.CHANNELS if channel.uri in value]


def _clean_profile(value: Any) -> str:
    if value is None:
        return ch.PROFILE_NAME
    name = value.get("name") if isinstance(value, dict) else value
    uri = value.get("uri") if isinstance(value, dict) else None
    if name != ch.PROFILE_NAME or uri not in (None, ch.PROFILE_URI):
        raise InvalidInput(
            "WEBHOOK-60006",
            _("Unknown event profile."),
            _("The supported event profile is %(name)s (%(uri)s).") % {"name": ch.PROFILE_NAME, "uri": ch.PROFILE_URI},
            field="eventProfile",
        )
    return ch.PROFILE_NAME


def _clean_secret(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > MAX_SECRET_LENGTH or contains_unstorable_text(value):
        raise InvalidInput("WEBHOOK-60009", _("The secret must be text of at most 1024 characters."), field="secret")
    return value


def _clean_status(value: Any) -> str:
    if value is None:
        return Webhook.Status.INACTIVE
    if value not in Webhook.Status.values:
        raise InvalidInput("WEBHOOK-60010", _("Status must be ACTIVE or INACTIVE."), field="status")
    return value


def _seal_secret(webhook_id: uuid.UUID, secret: str) -> str:
    return encrypt_private_key(secret.encode(), kid=f"webhook:{webhook_id}") if secret else ""


def webhook_secret(webhook: Webhook) -> str:
    """The current secret in clear, for signing only (never shown)."""
    return webhook_secret_open(webhook_id=webhook.id, sealed=webhook.secret_encrypted)


def webhook_secret_open(*, webhook_id: Any, sealed: str) -> str:
    return decrypt_private_key(sealed, kid=f"webhook:{webhook_id}").decode() if sealed else ""


# --- the subscription guard ---------------------------------------------------------------------

_subscriptions = BoundedCache(max_entries=10_000, ttl_seconds=settings.IAM_WEBHOOK_SUBSCRIPTION_CACHE_SECONDS)


def subscriptions_invalidate() -> None:
    _subscriptions.clear()


def channel_subscribed(organization_id: Any, channel: str) -> bool:
    """Whether any ACTIVE webhook would receive ``channel`` events of ``organization_id``.

    Cached per process for ``IAM_WEBHOOK_SUBSCRIPTION_CACHE_SECONDS`` and dropped
    on every webhook write in this process; another process's change is seen
    within the TTL (events in between are not recorded for webhooks)."""
    uri = channel if channel in ch.CHANNELS_BY_URI else ch.channel_uri(channel)
    key = (str(organization_id), uri)
    cached = _subscriptions.get(key)
    if cached is None:
        cached = bool(webhooks_for_event(organization_id=organization_id, channel_uri=uri))
        _subscriptions.put(key, cached)
    return cached


def _after_write() -> None:
    subscriptions_invalidate()
    transaction.on_commit(subscriptions_invalidate)


# --- webhook writes -----------------------------------------------------------------------------


def _save(webhook: Webhook, **kwargs: Any) -> None:
    try:
        with transaction.atomic():
            webhook.save(**kwargs)
    except IntegrityError as exc:
        raise Conflict("WEBHOOK-60008", _("A webhook for this endpoint already exists."), field="endpoint") from exc


@transaction.atomic
def webhook_create(
    *,
    actor: Any,
    organization: Any,
    name: Any,
    endpoint: Any,
    channels: Any,
    secret: Any = None,
    status: Any = None,
    event_profile: Any = None,
) -> Webhook:
    webhook = Webhook(
        id=uuid.uuid4(),
        organization=organization,
        name=_clean_name(name),
        endpoint=_clean_endpoint(endpoint),
        event_profile=_clean_profile(event_profile),
        channels=clean_channels(channels),
        status=_clean_status(status),
    )
    webhook.secret_encrypted = _seal_secret(webhook.id, _clean_secret(secret))
    _save(webhook, force_insert=True)
    audit_record(
        actor=actor,
        action="webhook.create",
        target_type="webhook",
        target_id=webhook.id,
        organization=organization,
        data={"endpoint": webhook.endpoint, "channels": webhook.channels, "status": webhook.status},
    )
    _after_write()
    return webhook


@transaction.atomic
def webhook_update(
    *,
    actor: Any,
    webhook: Webhook,
    name: Any,
    endpoint: Any,
    channels: Any,
    secret: Any = None,
    event_profile: Any = None,
) -> Webhook:
    """Replace name, endpoint and channels; a ``secret`` of None keeps the current one.

    A new secret signs every attempt from now on, retries of older events included."""
    webhook = Webhook.objects.select_for_update().get(pk=webhook.pk)
    webhook.name = _clean_name(name)
    webhook.endpoint = _clean_endpoint(endpoint)
    webhook.channels = clean_channels(channels)
    webhook.event_profile = _clean_profile(event_profile)
    rotated = secret is not None
    if rotated:
        webhook.secret_encrypted = _seal_secret(webhook.id, _clean_secret(secret))
    _save(webhook)
    audit_record(
        actor=actor,
        action="webhook.update",
        target_type="webhook",
        target_id=webhook.id,
        organization=webhook.organization,
        data={"endpoint": webhook.endpoint, "channels": webhook.channels, "secretRotated": rotated},
    )
    _after_write()
    return webhook


@transaction.atomic
def webhook_set_status(*, actor: Any, webhook: Webhook, status: str) -> Webhook:
    """ACTIVE or INACTIVE. Deliveries wait while inactive; activating sends those still due."""
    from apps.webhooks.deliveries import deliveries_wake

    status = _clean_status(status)
    webhook = Webhook.objects.select_for_update().get(pk=webhook.pk)
    if webhook.status != status:
        webhook.status = status
        webhook.save(update_fields=["status", "updated"])
        audit_record(
            actor=actor,
            action=f"webhook.{'activate' if status == Webhook.Status.ACTIVE else 'deactivate'}",
            target_type="webhook",
            target_id=webhook.id,
            organization=webhook.organization,
        )
        if webhook.is_active:
            deliveries_wake(webhook=webhook)
    _after_write()
    return webhook


@transaction.atomic
def webhook_delete(*, actor: Any, webhook: Webhook) -> None:
    audit_record(
        actor=actor,
        action="webhook.delete",
        target_type="webhook",
        target_id=webhook.id,
        organization=webhook.organization,
        data={"endpoint": webhook.endpoint},
    )
    webhook.delete()
    _after_write()


@transaction.atomic
def webhook_settings_update(*, actor: Any, organization: Any, organization_policy: Any) -> WebhookSettings:
    if organization_policy not in WebhookSettings.Policy.values:
        raise InvalidInput(
            "WEBHOOK-METADATA-60001",
            _("Unknown organization policy."),
            _("Use one of: %(p)s.") % {"p": ", ".join(WebhookSettings.Policy.values)},
            field="organizationPolicy",
        )
    found, _created = WebhookSettings.objects.select_for_update().get_or_create(organization=organization)
    found.organization_policy = organization_policy
    found.save()
    audit_record(
        actor=actor,
        action="webhook.metadata.update",
        target_type="organization",
        target_id=organization.pk,
        organization=organization,
        data={"organizationPolicy": organization_policy},
    )
    _after_write()
    return found


# --- publishers: what other apps call -----------------------------------------------------------


def _application_fields(application: Any) -> dict[str, str]:
    if application is None:
        return {}
    return {
        "applicationId": str(getattr(application, "uuid", None) or getattr(application, "id", "") or ""),
        "applicationName": str(getattr(application, "name", "") or ""),
        "clientId": str(getattr(application, "client_id", "") or ""),
    }


def publish_login_succeeded(
    *, organization: Any, user: Any, application: Any = None, authentication_methods: Iterable[str], ip: str = ""
) -> bool:
    """A completed sign-in; True when it was recorded (someone subscribed to the login channel)."""
    if organization is None or not channel_subscribed(organization.pk, ch.LOGIN):
        return False
    payload = {
        "userId": str(user.pk),
        "username": user.get_username(),
        "authenticationMethods": list(authentication_methods),
        "initiatorType": "USER",
        **_application_fields(application),
    }
    if ip:
        payload["ip"] = ip
    emit("login.succeeded", organization=organization, payload=payload)
    return True


def publish_login_failed(
    *, organization: Any, username: str, application: Any = None, authenticator: str, ip: str = ""
) -> bool:
    """A failed sign-in attempt: only what was entered is kept, never whether the account exists."""
    if organization is None or not channel_subscribed(organization.pk, ch.LOGIN):
        return False
    payload = {"username": str(username)[:150], "authenticator": authenticator, **_application_fields(application)}
    if ip:
        payload["ip"] = ip
    emit("login.failed", organization=organization, payload=payload)
    return True


def publish_token_issued(
    *,
    organization: Any,
    application: Any,
    user: Any,
    grant_type: str,
    token_type: str,
    scopes: Iterable[str],
    issued_at: int | None = None,
) -> bool:
    """An access token was issued. ``token_type`` is ``JWT`` or ``Opaque``.

    Costs one cached check when no webhook listens to the token channel."""
    if not channel_subscribed(organization.pk, ch.TOKEN):
        return False
    import time

    payload = {
        **_application_fields(application),
        "grantType": grant_type,
        "tokenType": token_type,
        "scopes": sorted(scopes),
        "iat": issued_at if issued_at is not None else int(time.time()),
    }
    if user is not None:
        payload["userId"] = str(user.pk)
        if hasattr(user, "get_username"):  # the refresh grant carries a lean reference without one
            payload["username"] = user.get_username()
    emit("token.issued", organization=organization, payload=payload)
    return True


def publish_token_revoked(*, organization: Any, applications: Iterable[Any], user: Any = None) -> bool:
    if not channel_subscribed(organization.pk, ch.TOKEN):
        return False
    payload: dict[str, Any] = {
        "applications": [
            {"id": str(getattr(a, "id", "")), "name": getattr(a, "name", ""), "clientId": getattr(a, "client_id", "")}
            for a in applications
        ]
    }
    if user is not None:
        payload.update(userId=str(user.pk), username=user.get_username(), initiatorType="USER")
    emit("token.revoked", organization=organization, payload=payload)
    return True


def publish_registration(
    *,
    organization: Any,
    succeeded: bool,
    username: str,
    user: Any = None,
    action: str = "REGISTER",
    initiator_type: str = "USER",
    application: Any = None,
    reason: str = "",
) -> bool:
    """For the registration flows: ``action`` REGISTER (self/app) or INVITE (admin invite).
    Send success only once the account is usable."""
    if not channel_subscribed(organization.pk, ch.REGISTRATION):
        return False
    payload: dict[str, Any] = {
        "username": str(username)[:150],
        "action": action,
        "initiatorType": initiator_type,
        **_application_fields(application),
    }
    if user is not None:
        payload["userId"] = str(user.pk)
    if not succeeded:
        payload["reason"] = reason
    emit("registration.succeeded" if succeeded else "registration.failed", organization=organization, payload=payload)
    return True


def publish_session(
    *,
    organization: Any,
    kind: str,
    user: Any,
    session_id: str = "",
    login_time: int | None = None,
    applications: Iterable[dict[str, str]] = (),
    application: Any = None,
    sessions: Iterable[dict[str, Any]] = (),
    initiator_type: str = "USER",
) -> bool:
    """For SSO sessions: ``kind`` is established, presented or revoked (``sessions`` lists the revoked ones)."""
    if kind not in {"established", "presented", "revoked"}:
        raise ValueError(f"unknown session event {kind}")
    if not channel_subscribed(organization.pk, ch.SESSION):
        return False
    payload: dict[str, Any] = {
        "userId": str(user.pk),
        "username": user.get_username(),
        "initiatorType": initiator_type,
        "sessionId": session_id,
        "loginTime": login_time,
        "applications": list(applications),
        "sessions": list(sessions),
        **_application_fields(application),
    }
    emit(f"session.{kind}", organization=organization, payload=payload)
    return True
