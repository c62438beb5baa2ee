"""The auto-login ``userAssertion``: a JWT signed with the tenant's OAuth key, valid for a few
seconds (``IAM_FLOW_ASSERTION_SECONDS``) and usable once, naming the user a completed flow
registered or recovered and the authenticators the user passed in it (``amr``: ``basic``,
``email_otp``, ``sms_otp``...; the login portal checks them against the application's steps)."""

from __future__ import annotations

import time
import uuid
from typing import Any

from django.conf import settings
from django.core.cache import cache

from apps.users.models import User

AUDIENCE = "urn:iam:flows:user-assertion"


def assertion_issue(*, organization: Any, user: User, flow_type: str, methods: list[str], application_id: str) -> str:
    from apps.oauth.jose import jwt_sign

    now = int(time.time())
    claims = {
        "iss": f"{settings.IAM_BASE_URL}{organization.url_prefix}",
        "aud": AUDIENCE,
        "sub": str(user.pk),
        "org": str(organization.pk),
        "iat": now,
        "exp": now + max(1, min(settings.IAM_FLOW_ASSERTION_SECONDS, 5)),
        "jti": uuid.uuid4().hex,
        "flowType": flow_type,
        "amr": list(methods),
    }
    if application_id:
        claims["app"] = application_id
    token, _alg = jwt_sign(claims, organization=organization, typ="JWT")
    return token


def flow_assertion_consume(organization: Any, assertion: str) -> User | None:
    """The user a valid, unexpired, unused assertion of ``organization`` names, else None.

    The returned user carries ``flow_authenticators`` (the assertion's ``amr``), ``flow_type`` and
    ``flow_application_id`` for the caller's "are the application's login steps satisfied" check."""
    from apps.oauth.jose import jwt_verify

    if not isinstance(assertion, str) or not assertion:
        return None
    root = organization if organization.is_root else organization.root
    claims = jwt_verify(assertion, organization=root) or jwt_verify(assertion, organization=organization)
    if not claims or claims.get("aud") != AUDIENCE or claims.get("org") != str(organization.pk):
        return None
    now = int(time.time())
    if not isinstance(claims.get("exp"), int) or claims["exp"] < now or claims.get("iat", 0) > now + 5:
        return None
    jti = str(claims.get("jti") or "")
    if not jti or not cache.add(f"flows:assertion:{jti}", 1, timeout=60):
        return None  # already used
    user = (
        User.objects.select_related("organization")
        .filter(pk=claims.get("sub"), organization_id=organization.pk)
        .first()
    )
    if user is None or not user.is_active:
        return None
    user.flow_authenticators = [str(m) for m in claims.get("amr") or []]
    user.flow_type = str(claims.get("flowType") or "")
    user.flow_application_id = str(claims.get("app") or "")
    return user
