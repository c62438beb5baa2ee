"""Single-use JWT ids, shared by every process through the database.

A ``jti`` is remembered until the JWT carrying it expires; after that the JWT
is refused for its ``exp`` anyway, so the row can go (``used_jti_clear``)."""

from __future__ import annotations

import datetime
import hashlib

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.oauth.models import UsedJti

PURPOSE_CLIENT_ASSERTION = "client_assertion"


def _hash(issuer: str, jti: str) -> str:
    return hashlib.sha256(f"{len(issuer)}:{issuer}:{jti}".encode()).hexdigest()


def jti_use_once(*, purpose: str, issuer: str, jti: str, expires: datetime.datetime) -> bool:
    """Record ``jti`` of ``issuer``; False when it was seen before and has not expired."""
    jti_hash = _hash(issuer, jti)
    for _attempt in range(2):
        try:
            with transaction.atomic():  # a savepoint: a caller's transaction survives the conflict
                UsedJti.objects.create(purpose=purpose, jti_hash=jti_hash, expires=expires)
            return True
        except IntegrityError:
            # Seen before: a replay, unless the earlier row outlived its JWT and was not swept yet.
            stale = UsedJti.objects.filter(purpose=purpose, jti_hash=jti_hash, expires__lt=timezone.now())
            if not stale.delete()[0]:
                return False
    return False


def used_jti_clear(*, now: datetime.datetime | None = None) -> int:
    return UsedJti.objects.filter(expires__lt=now or timezone.now()).delete()[0]
