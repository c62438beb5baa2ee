"""Device authorization (RFC 8628): starting one, and the user's decision on
the verification page. Polling for the token is ``grants.device_code``.

* The device code is 256 random bits; only its SHA-256 is stored, like every
  other token here.
* The user code is 8 characters of the base-20 alphabet RFC 8628 §6.1 suggests
  (consonants only, nothing to confuse, no words), shown as ``XXXX-XXXX`` and
  accepted in any case, with or without the dash or spaces. It is stored as a
  keyed hash: about 34 bits are few enough to brute-force a plain hash of a
  database dump within a code's lifetime.
* A user code only matches within the organization whose verification page
  the user is on, and only while pending and unexpired."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.oauth import store
from apps.oauth.clients import AuthorizedResource, Client
from apps.oauth.models import DeviceAuthorization
from apps.oauth.tokens import random_token

USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
USER_CODE_LENGTH = 8
SLOW_DOWN_STEP_SECONDS = 5  # RFC 8628 §3.5


def code_lifetime() -> int:
    return int(getattr(settings, "IAM_OAUTH_DEVICE_CODE_LIFETIME_SECONDS", 600))


def poll_interval() -> int:
    return int(getattr(settings, "IAM_OAUTH_DEVICE_POLL_INTERVAL_SECONDS", 5))


def user_code_display(code: str) -> str:
    half = USER_CODE_LENGTH // 2
    return f"{code[:half]}-{code[half:]}"


def user_code_normalize(text: str) -> str | None:
    """``bcdf-ghjk`` and ``BCDF GHJK`` both mean ``BCDFGHJK``; None when it cannot be a user code."""
    code = "".join(text.split()).replace("-", "").upper() if isinstance(text, str) and len(text) <= 32 else ""
    if len(code) != USER_CODE_LENGTH or any(ch not in USER_CODE_ALPHABET for ch in code):
        return None
    return code


def _user_code_hash(code: str) -> str:
    key = hashlib.sha256(b"iam-device-user-code:" + settings.IAM_MASTER_KEY.encode()).digest()
    return hmac.new(key, code.encode("ascii"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class DeviceStart:
    """RFC 8628 §3.2: what the device is told."""

    device_code: str
    user_code: str
    expires_in: int
    interval: int


def device_authorization_start(
    *, client: Client, scopes: tuple[str, ...], resources: tuple[AuthorizedResource, ...]
) -> DeviceStart:
    lifetime, interval = code_lifetime(), poll_interval()
    device_code = random_token()
    expires = timezone.now() + datetime.timedelta(seconds=lifetime)
    for _attempt in range(5):
        user_code = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(USER_CODE_LENGTH))
        try:
            with transaction.atomic():  # a savepoint, so a user-code collision can be retried
                DeviceAuthorization.objects.create(
                    device_code_checksum=store.checksum(device_code),
                    user_code_hash=_user_code_hash(user_code),
                    application_id=client.id,
                    scope=" ".join(scopes),
                    resource=[resource.identifier for resource in resources],
                    interval=interval,
                    expires=expires,
                )
        except IntegrityError:
            continue
        return DeviceStart(device_code, user_code_display(user_code), lifetime, interval)
    raise RuntimeError("could not allocate a unique user code")


def device_authorization_pending(*, user_code: str, organization: Any) -> DeviceAuthorization | None:
    """The pending, unexpired authorization ``user_code`` names in ``organization``."""
    code = user_code_normalize(user_code)
    if code is None:
        return None
    return (
        DeviceAuthorization.objects.select_related("application")
        .filter(
            user_code_hash=_user_code_hash(code),
            status=DeviceAuthorization.Status.PENDING,
            expires__gt=timezone.now(),
            application__organization_id=organization.id,
        )
        .first()
    )


def device_authorization_decide(
    authorization: DeviceAuthorization, *, user: Any, approve: bool, auth_time: int
) -> bool:
    """Record the user's decision; False when it was decided, or expired, in the meantime."""
    status = DeviceAuthorization.Status.APPROVED if approve else DeviceAuthorization.Status.DENIED
    updated = DeviceAuthorization.objects.filter(
        pk=authorization.pk, status=DeviceAuthorization.Status.PENDING, expires__gt=timezone.now()
    ).update(status=status, user_id=user.id, auth_time=auth_time)
    return updated == 1


def device_authorization_find(device_code: str) -> DeviceAuthorization | None:
    if not device_code or len(device_code) > 512:
        return None
    return (
        DeviceAuthorization.objects.select_related("user")
        .filter(device_code_checksum=store.checksum(device_code))
        .first()
    )


def device_poll_too_fast(authorization: DeviceAuthorization, *, now: datetime.datetime) -> bool:
    """Record this poll; True (and a longer interval from now on) when it came before the interval was over.

    One conditional UPDATE, so concurrent polls from several processes are counted right."""
    threshold = now - datetime.timedelta(seconds=authorization.interval)
    on_time = DeviceAuthorization.objects.filter(pk=authorization.pk).filter(
        Q(last_polled__isnull=True) | Q(last_polled__lte=threshold)
    )
    if on_time.update(last_polled=now):
        return False
    DeviceAuthorization.objects.filter(pk=authorization.pk).update(
        interval=F("interval") + SLOW_DOWN_STEP_SECONDS, last_polled=now
    )
    return True


def device_authorization_redeem(authorization: DeviceAuthorization) -> bool:
    """Mark an approved authorization used; False when another poll got there first."""
    return bool(
        DeviceAuthorization.objects.filter(pk=authorization.pk, status=DeviceAuthorization.Status.APPROVED).update(
            status=DeviceAuthorization.Status.REDEEMED
        )
    )


def device_authorizations_clear(*, now: datetime.datetime | None = None) -> int:
    """Sweep: authorizations whose codes expired (an hour later, so late polls still hear ``expired_token``)."""
    cutoff = (now or timezone.now()) - datetime.timedelta(hours=1)
    return DeviceAuthorization.objects.filter(expires__lt=cutoff).delete()[0]
