"""One-time codes: issue (with resend cool-down) and verify (attempt limit, expiry, single use).

At most one code per user and purpose is live: issuing invalidates the previous one. Codes are
stored as an HMAC bound to the code's row, purpose and user, and compared in constant time.

``otp_verify`` returns an ``OtpVerification`` instead of raising so a failed attempt is counted
even when the caller rolls its own transaction back on failure (do not wrap it in a transaction
you roll back on a wrong code)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.errors import DomainError, InvalidInput
from apps.notifications.models import Message, OneTimeCode
from apps.notifications.secrets import code_hash, codes_equal
from apps.notifications.services.messages import notification_send
from apps.notifications.services.settings import OTP_LENGTH_RANGE, notification_settings_get, otp_charset
from apps.users.models import User

PURPOSE_RE = re.compile(r"^[a-z][a-z0-9_.:-]{0,63}$")
# Which email template a purpose uses by default (SMS always uses ``sms_otp``).
EMAIL_OTP_TEMPLATES = {
    "ask_password": "ask_password_otp",
    "password_reset": "password_reset_otp",
    "password_recovery": "password_reset_otp",
    "admin_forced_reset": "password_reset_otp",
}


class OtpResendTooSoon(DomainError):
    """A new code was asked for within the resend cool-down."""

    status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            "NTF-60055",
            _("Please wait before asking for another code."),
            _("Try again in %(s)d seconds.") % {"s": retry_after},
        )
        self.retry_after = retry_after


class ResendLimitReached(DomainError):
    """The journey's code or link was sent again as often as the organization allows."""

    status = 429

    def __init__(self, limit: int) -> None:
        super().__init__(
            "NTF-60061",
            _("This code or link cannot be sent again."),
            _("It was already sent again %(n)d times, the most allowed. Contact your administrator.") % {"n": limit},
        )
        self.limit = limit


def resend_count_next(*, latest: Any, resend: bool, limit: int) -> int:
    """The ``resend_count`` of a new code/link: 0 for a new journey, else one more than the latest,
    refused past ``limit`` (the organization's ``max_resends``)."""
    if not resend or latest is None:
        return 0
    count = latest.resend_count + 1
    if count > limit:
        raise ResendLimitReached(limit)
    return count


@dataclass(frozen=True)
class OtpIssued:
    code_id: str
    channel: str
    recipient: str
    expires_at: datetime | None
    message: Message | None
    code: str | None = None  # only when not delivered (offline: the admin hands it over)


@dataclass(frozen=True)
class OtpVerification:
    ok: bool
    reason: str = ""  # "" | invalid | expired | locked | used | no_code
    attempts_remaining: int = 0

    def __bool__(self) -> bool:
        return self.ok


def _check_purpose(purpose: str) -> str:
    if not PURPOSE_RE.match(purpose or ""):
        raise InvalidInput("NTF-60054", _("Invalid OTP purpose."), purpose, field="purpose")
    return purpose


def _recipient(user: User, channel: str) -> str:
    if channel == Message.Channel.EMAIL:
        if not user.email:
            raise InvalidInput("NTF-60056", _("The user has no email address."), field="email")
        return user.email
    if channel == Message.Channel.SMS:
        if not user.phone:
            raise InvalidInput("NTF-60057", _("The user has no mobile number."), field="mobile")
        return user.phone
    raise InvalidInput("NTF-60058", _("Unknown channel."), channel, field="channel")


def _hash(row: OneTimeCode, code: str) -> str:
    return code_hash("otp", str(row.id), row.purpose, str(row.user_id), code)


@transaction.atomic
def otp_issue(
    *,
    user: User,
    purpose: str,
    channel: str,
    length: int | None = None,
    charset: str | None = None,
    ttl: int | timedelta | None = None,
    template_type: str | None = None,
    context: dict[str, Any] | None = None,
    locale: str | None = None,
    deliver: bool = True,
    recipient: str | None = None,
    resend: bool = False,
) -> OtpIssued:
    """Issue a code for ``user`` and ``purpose`` and queue it by ``channel`` (``email``/``sms``).

    Length, alphabet and lifetime default to the organization's settings; ``ttl`` may be
    seconds or a timedelta (``0``/negative: never expires). Raises ``OtpResendTooSoon`` within
    the cool-down. With ``deliver=False`` nothing is sent and the code is returned.

    ``recipient`` sends to another address than the user's (a new email or mobile number being
    verified). ``resend=True`` marks a resend of the same journey: it counts against the
    organization's ``max_resends`` (``ResendLimitReached``); a first send starts the count again."""
    _check_purpose(purpose)
    if recipient is None:
        recipient = _recipient(user, channel) if deliver else (user.email if channel == "email" else user.phone)
    config = notification_settings_get(organization=user.organization)
    length = length or config.otp_length
    low, high = OTP_LENGTH_RANGE
    if not low <= length <= high:
        raise InvalidInput("NTF-60041", _("OTP length must be between %(a)d and %(b)d.") % {"a": low, "b": high})
    alphabet = "".join(dict.fromkeys(charset)) if charset else otp_charset(config)
    if len(alphabet) < 2:
        raise InvalidInput("NTF-60042", _("The OTP alphabet needs at least two characters."))
    seconds = ttl.total_seconds() if isinstance(ttl, timedelta) else (config.otp_ttl_seconds if ttl is None else ttl)
    now = timezone.now()

    previous = list(
        OneTimeCode.objects.select_for_update().filter(user=user, purpose=purpose).order_by("-created")[:20]
    )
    if previous:
        waited = (now - previous[0].last_sent_at).total_seconds()
        if waited < config.otp_resend_cooldown_seconds:
            raise OtpResendTooSoon(int(config.otp_resend_cooldown_seconds - waited) + 1)
    resend_count = resend_count_next(latest=previous[0] if previous else None, resend=resend, limit=config.max_resends)
    live_ids = [row.pk for row in previous if row.consumed_at is None and row.invalidated_at is None]
    if live_ids:
        OneTimeCode.objects.filter(pk__in=live_ids).update(invalidated_at=now)

    code = "".join(secrets.choice(alphabet) for _ in range(length))
    row = OneTimeCode(
        organization=user.organization,
        user=user,
        purpose=purpose,
        channel=channel,
        created=now,
        last_sent_at=now,
        expires_at=now + timedelta(seconds=seconds) if seconds > 0 else None,
        max_attempts=config.otp_max_attempts,
        resend_count=resend_count,
    )
    row.code_hash = _hash(row, code)
    message = None
    if deliver:
        kind = template_type or ("sms_otp" if channel == "sms" else EMAIL_OTP_TEMPLATES.get(purpose, "email_otp"))
        message = notification_send(
            organization=user.organization,
            channel=channel,
            template_type=kind,
            recipient=recipient,
            context={
                "user_name": user.display_name,
                "expiry_minutes": max(1, int(seconds // 60)) if seconds > 0 else "",
                **(context or {}),
                "otp": code,
            },
            locale=locale,
            expires_at=row.expires_at,
        )
        row.message = message
    row.save()
    return OtpIssued(
        code_id=str(row.id),
        channel=channel,
        recipient=recipient,
        expires_at=row.expires_at,
        message=message,
        code=None if deliver else code,
    )


def otp_verify(*, user: User, purpose: str, code: str) -> OtpVerification:
    """Check ``code`` against the user's live code for ``purpose``; a match consumes it.

    Every wrong code counts; reaching the attempt limit invalidates the code (``locked``)."""
    _check_purpose(purpose)
    candidate = (code or "").strip()
    now = timezone.now()
    with transaction.atomic():
        row = OneTimeCode.objects.select_for_update().filter(user=user, purpose=purpose).order_by("-created").first()
        if row is None:
            return OtpVerification(False, "no_code")
        if row.consumed_at is not None:
            return OtpVerification(False, "used")
        if row.invalidated_at is not None:
            return OtpVerification(False, "locked" if row.attempts >= row.max_attempts else "no_code")
        if row.expires_at is not None and row.expires_at <= now:
            return OtpVerification(False, "expired")
        if candidate and len(candidate) <= 64 and codes_equal(row.code_hash, _hash(row, candidate)):
            row.consumed_at = now
            row.save(update_fields=["consumed_at"])
            return OtpVerification(True)
        row.attempts += 1
        if row.attempts >= row.max_attempts:
            row.invalidated_at = now
        row.save(update_fields=["attempts", "invalidated_at"])
        remaining = max(0, row.max_attempts - row.attempts)
        return OtpVerification(False, "invalid" if remaining else "locked", remaining)
