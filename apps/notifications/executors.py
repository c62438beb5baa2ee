"""Channel primitives for the flow executor: send an email/SMS OTP, send a link, validate.

Contract (what the flows issue adapts): every function takes keyword arguments only, never
raises for user-caused problems, and returns a ``StepResult``:

- ``ok``: the step succeeded (code/link sent, or code/link accepted);
- ``status``: ``sent`` | ``verified`` | ``invalid`` | ``retry_later`` | ``error``;
- ``error_code`` / ``message``: our ``NTF-6xxxx`` code and a message fit for the end user;
- ``data``: JSON-serialisable facts for the next page: ``channel``, ``maskedRecipient``,
  ``expiresAt`` (ISO 8601), ``retryAfter`` (seconds), ``attemptsRemaining``, ``reason``
  (``invalid``/``expired``/``locked``/``used``/``no_code`` for codes; ``malformed``/``invalid``/
  ``used``/``superseded``/``expired`` for links) and ``userId`` after a link is accepted.

Purposes are free-form slugs that bind a code or link to one journey: ``email_verification``,
``ask_password``, ``password_recovery``, ``admin_forced_reset``, ``login``, ``magic_link``.
Password recovery by email link, email OTP and SMS OTP is ``send_link`` / ``send_email_otp`` /
``send_sms_otp`` with purpose ``password_recovery``, then ``validate_link`` / ``validate_code``.

Sending only queues the message (it leaves after commit, from the worker), so call these inside
the flow step's transaction. ``validate_code`` records failed attempts itself: do not roll back
the surrounding transaction on an ``invalid`` result."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.utils import timezone

from apps.core.errors import DomainError
from apps.notifications.services import (
    LinkRejected,
    OtpResendTooSoon,
    link_consume,
    link_issue,
    link_url,
    notification_send,
    notification_settings_get,
    otp_issue,
    otp_verify,
)
from apps.users.models import User

LINK_TEMPLATES = {
    "email_verification": "email_verification_link",
    "ask_password": "ask_password_link",
    "password_recovery": "password_reset_link",
    "password_reset": "password_reset_link",
    "admin_forced_reset": "password_reset_link",
}


@dataclass(frozen=True)
class StepResult:
    ok: bool
    status: str
    error_code: str = ""
    message: str = ""
    data: dict[str, Any] = field(default_factory=dict)


def mask_recipient(value: str) -> str:
    """``alice@example.org`` -> ``a****@example.org``; ``+15550001111`` -> ``+155******11``."""
    if "@" in value:
        local, domain = value.rsplit("@", 1)
        return f"{local[:1]}{'*' * max(1, len(local) - 1)}@{domain}"
    return value[:4] + "*" * max(0, len(value) - 6) + value[-2:]


def _error(exc: DomainError) -> StepResult:
    if isinstance(exc, OtpResendTooSoon):
        return StepResult(False, "retry_later", exc.code, exc.message, {"retryAfter": exc.retry_after})
    return StepResult(False, "error", exc.code, exc.message)


def _send_otp(user: User, purpose: str, channel: str, **kwargs: Any) -> StepResult:
    try:
        issued = otp_issue(user=user, purpose=purpose, channel=channel, **kwargs)
    except DomainError as exc:
        return _error(exc)
    return StepResult(
        True,
        "sent",
        data={
            "channel": channel,
            "maskedRecipient": mask_recipient(issued.recipient),
            "expiresAt": issued.expires_at.isoformat() if issued.expires_at else None,
        },
    )


def send_email_otp(
    *, user: User, purpose: str, context: dict[str, Any] | None = None, locale: str | None = None
) -> StepResult:
    return _send_otp(user, purpose, "email", context=context, locale=locale)


def send_sms_otp(
    *, user: User, purpose: str, context: dict[str, Any] | None = None, locale: str | None = None
) -> StepResult:
    return _send_otp(user, purpose, "sms", context=context, locale=locale)


def send_link(
    *,
    user: User,
    purpose: str,
    url: str,
    template_type: str | None = None,
    ttl: int | None = None,
    context: dict[str, Any] | None = None,
    locale: str | None = None,
) -> StepResult:
    """Email ``url?token=<single-use token>`` to the user (confirmation, magic or reset link)."""
    if not user.email:
        return StepResult(False, "error", "NTF-60056", "The user has no email address.")
    try:
        seconds = notification_settings_get(organization=user.organization).link_ttl_seconds if ttl is None else ttl
        token = link_issue(user=user, purpose=purpose, ttl=seconds)
        expires_at = timezone.now() + timedelta(seconds=seconds) if seconds > 0 else None
        notification_send(
            organization=user.organization,
            channel="email",
            template_type=template_type or LINK_TEMPLATES.get(purpose, "magic_link"),
            recipient=user.email,
            context={
                "user_name": user.display_name,
                "expiry_minutes": max(1, seconds // 60) if seconds > 0 else "",
                **(context or {}),
                "link": link_url(url, token),
            },
            locale=locale,
            expires_at=expires_at,
        )
    except DomainError as exc:
        return _error(exc)
    return StepResult(True, "sent", data={"channel": "email", "maskedRecipient": mask_recipient(user.email)})


def validate_code(*, user: User, purpose: str, code: str) -> StepResult:
    try:
        result = otp_verify(user=user, purpose=purpose, code=code)
    except DomainError as exc:
        return _error(exc)
    if result.ok:
        return StepResult(True, "verified")
    return StepResult(
        False,
        "invalid",
        "NTF-60059",
        "The code is wrong or no longer valid.",
        {"reason": result.reason, "attemptsRemaining": result.attempts_remaining},
    )


def validate_link(*, token: str, purpose: str) -> StepResult:
    try:
        user = link_consume(token=token, purpose=purpose)
    except LinkRejected as exc:
        return StepResult(False, "invalid", exc.code, exc.message, {"reason": exc.reason})
    return StepResult(True, "verified", data={"userId": str(user.pk)})
