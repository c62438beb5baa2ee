"""Single-use link tokens for confirmation, magic sign-in and reset links.

A token is ``<row id>.<random secret>``; only an HMAC of the secret bound to the row, purpose and
user is stored. A tampered token fails the HMAC, a replayed one finds the row consumed, and a
token of one purpose is rejected for another. Issuing a new link invalidates the previous one."""

from __future__ import annotations

import re
import secrets
import uuid
from datetime import timedelta
from urllib.parse import quote

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.errors import InvalidInput
from apps.notifications.models import LinkToken
from apps.notifications.secrets import code_hash, codes_equal
from apps.notifications.services.otp import OtpResendTooSoon, _check_purpose, resend_count_next
from apps.notifications.services.settings import notification_settings_get
from apps.users.models import User

TOKEN_RE = re.compile(r"^([0-9a-f]{32})\.([A-Za-z0-9_-]{20,128})$")


class LinkRejected(InvalidInput):
    """The link is tampered, replayed, expired, superseded or for another purpose."""

    def __init__(self, reason: str) -> None:
        super().__init__("NTF-60060", _("This link is invalid or has expired."), reason)
        self.reason = reason


def _hash(row: LinkToken, secret: str) -> str:
    return code_hash("link", row.id.hex, row.purpose, str(row.user_id), secret)


@transaction.atomic
def link_issue(*, user: User, purpose: str, ttl: int | timedelta | None = None, resend: bool = False) -> str:
    """A new single-use token for ``user`` and ``purpose`` (``ttl`` seconds; ``0``: no expiry).

    ``resend=True``: the same journey's link sent again; the resend cool-down and the
    organization's ``max_resends`` apply (``OtpResendTooSoon`` / ``ResendLimitReached``)."""
    _check_purpose(purpose)
    config = notification_settings_get(organization=user.organization)
    seconds = ttl.total_seconds() if isinstance(ttl, timedelta) else (config.link_ttl_seconds if ttl is None else ttl)
    now = timezone.now()
    latest = LinkToken.objects.select_for_update().filter(user=user, purpose=purpose).order_by("-created").first()
    if resend and latest is not None:
        waited = (now - latest.created).total_seconds()
        if waited < config.otp_resend_cooldown_seconds:
            raise OtpResendTooSoon(int(config.otp_resend_cooldown_seconds - waited) + 1)
    resend_count = resend_count_next(latest=latest, resend=resend, limit=config.max_resends)
    LinkToken.objects.filter(user=user, purpose=purpose, consumed_at=None, invalidated_at=None).update(
        invalidated_at=now
    )
    secret = secrets.token_urlsafe(32)
    row = LinkToken(
        organization=user.organization,
        user=user,
        purpose=purpose,
        created=now,
        expires_at=now + timedelta(seconds=seconds) if seconds > 0 else None,
        resend_count=resend_count,
    )
    row.secret_hash = _hash(row, secret)
    row.save()
    return f"{row.id.hex}.{secret}"


def link_consume(*, token: str, purpose: str) -> User:
    """The user the token was issued to; the token is used up. Raises ``LinkRejected``."""
    match = TOKEN_RE.match(token or "")
    if match is None:
        raise LinkRejected("malformed")
    with transaction.atomic():
        row = LinkToken.objects.select_for_update().select_related("user").filter(pk=uuid.UUID(match.group(1))).first()
        if row is None or row.purpose != purpose or not codes_equal(row.secret_hash, _hash(row, match.group(2))):
            raise LinkRejected("invalid")
        if row.consumed_at is not None:
            raise LinkRejected("used")
        if row.invalidated_at is not None:
            raise LinkRejected("superseded")
        if row.expires_at is not None and row.expires_at <= timezone.now():
            raise LinkRejected("expired")
        row.consumed_at = timezone.now()
        row.save(update_fields=["consumed_at"])
        return row.user


def link_inspect(*, token: str, purposes: tuple[str, ...]) -> tuple[User, str]:
    """The user and purpose of a still-usable token, without using it up (a page shows a form first;
    ``link_consume`` takes it when the form is sent). Raises ``LinkRejected``."""
    match = TOKEN_RE.match(token or "")
    if match is None:
        raise LinkRejected("malformed")
    row = LinkToken.objects.select_related("user", "user__organization").filter(pk=uuid.UUID(match.group(1))).first()
    if row is None or row.purpose not in purposes or not codes_equal(row.secret_hash, _hash(row, match.group(2))):
        raise LinkRejected("invalid")
    if row.consumed_at is not None:
        raise LinkRejected("used")
    if row.invalidated_at is not None:
        raise LinkRejected("superseded")
    if row.expires_at is not None and row.expires_at <= timezone.now():
        raise LinkRejected("expired")
    return row.user, row.purpose


def link_url(base_url: str, token: str) -> str:
    """``base_url`` with the token appended as the ``token`` query parameter."""
    return f"{base_url}{'&' if '?' in base_url else '?'}token={quote(token, safe='.')}"
