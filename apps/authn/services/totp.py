"""TOTP (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits, one step of drift) and recovery codes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time
from typing import Any
from urllib.parse import quote, urlencode

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.authn.models import RecoveryCode, TotpDevice
from apps.authn.services.events import auth_event
from apps.core.errors import InvalidInput
from apps.notifications.secrets import code_hash, codes_equal, open_secret, seal_secret

STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1
RECOVERY_CODE_COUNT = 10


def totp_code(secret: bytes, step: int) -> str:
    """RFC 4226 HOTP of counter ``step`` (dynamic truncation), as RFC 6238 uses it."""
    digest = hmac.new(secret, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**DIGITS).zfill(DIGITS)


def current_step(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // STEP_SECONDS)


def _seal_context(user_id: object) -> str:
    return f"authn:totp:{user_id}"


def totp_secret(device: TotpDevice) -> bytes:
    return base64.b32decode(open_secret(device.secret_sealed, context=_seal_context(device.user_id)))


def provisioning_uri(device: TotpDevice, *, issuer: str) -> str:
    secret = open_secret(device.secret_sealed, context=_seal_context(device.user_id)).rstrip("=")
    label = quote(f"{issuer}:{device.user.username}")
    query = urlencode(
        {"secret": secret, "issuer": issuer, "algorithm": "SHA1", "digits": DIGITS, "period": STEP_SECONDS}
    )
    return f"otpauth://totp/{label}?{query}"


@transaction.atomic
def totp_enrol_begin(*, user: Any) -> TotpDevice:
    """A fresh, unconfirmed secret for ``user``; an already confirmed device must be removed first."""
    device = TotpDevice.objects.select_for_update().filter(user=user).first()
    if device is not None and device.confirmed_at is not None:
        raise InvalidInput("AUT-60010", _("An authenticator app is already set up."))
    secret = base64.b32encode(secrets.token_bytes(20)).decode("ascii")
    sealed = seal_secret(secret, context=_seal_context(user.pk))
    if device is None:
        device = TotpDevice.objects.create(user=user, secret_sealed=sealed)
    else:
        device.secret_sealed = sealed
        device.last_used_step = 0
        device.save(update_fields=["secret_sealed", "last_used_step"])
    return device


def _match_step(device: TotpDevice, code: str, now: float | None) -> int | None:
    code = (code or "").strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        return None
    secret = totp_secret(device)
    step = current_step(now)
    for candidate in range(step - DRIFT_STEPS, step + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp_code(secret, candidate), code):
            return candidate
    return None


@transaction.atomic
def totp_enrol_confirm(*, user: Any, code: str, now: float | None = None) -> list[str]:
    """Confirm enrolment with a first code; returns fresh recovery codes (shown once)."""
    device = TotpDevice.objects.select_for_update().filter(user=user, confirmed_at__isnull=True).first()
    if device is None:
        raise InvalidInput("AUT-60011", _("Start the set-up again."))
    step = _match_step(device, code, now)
    if step is None:
        raise InvalidInput("AUT-60012", _("That code is not valid. Check the time on your phone."), field="code")
    device.confirmed_at = timezone.now()
    device.last_used_step = step
    device.save(update_fields=["confirmed_at", "last_used_step"])
    codes = recovery_codes_generate(user=user)
    auth_event("mfa.enrolled", user=user, organization=user.organization, data={"authenticator": "totp"})
    return codes


def totp_verify(*, user: Any, code: str, now: float | None = None) -> str:
    """ "" when ``code`` is valid now and not used before, else the reason (no_device/invalid/reused)."""
    with transaction.atomic():
        device = TotpDevice.objects.select_for_update().filter(user=user, confirmed_at__isnull=False).first()
        if device is None:
            return "no_device"
        step = _match_step(device, code, now)
        if step is None:
            return "invalid"
        if step <= device.last_used_step:
            return "reused"  # RFC 6238 §5.2: a code (and any older one) is accepted once
        device.last_used_step = step
        device.save(update_fields=["last_used_step"])
        return ""


def totp_enrolled(user: Any) -> bool:
    return TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


@transaction.atomic
def totp_remove(*, actor: Any, user: Any) -> None:
    deleted, _rows = TotpDevice.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    if deleted:
        auth_event(
            "mfa.removed", user=user, organization=user.organization, actor=actor, data={"authenticator": "totp"}
        )


def _recovery_hash(user_id: object, code: str) -> str:
    return code_hash("authn-recovery", str(user_id), code.replace("-", "").lower())


@transaction.atomic
def recovery_codes_generate(*, user: Any) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = []
    for _index in range(RECOVERY_CODE_COUNT):
        raw = secrets.token_hex(5)
        codes.append(f"{raw[:5]}-{raw[5:]}")
    RecoveryCode.objects.bulk_create(RecoveryCode(user=user, code_hash=_recovery_hash(user.pk, c)) for c in codes)
    return codes


def recovery_code_use(*, user: Any, code: str) -> bool:
    """Consume one unused recovery code; each works once."""
    if not code or len(code) > 32:
        return False
    wanted = _recovery_hash(user.pk, code.strip())
    with transaction.atomic():
        for row in RecoveryCode.objects.select_for_update().filter(user=user, used_at__isnull=True):
            if codes_equal(row.code_hash, wanted):
                row.used_at = timezone.now()
                row.save(update_fields=["used_at"])
                return True
    return False
