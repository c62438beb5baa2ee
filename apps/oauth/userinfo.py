"""The UserInfo endpoint's rules (OIDC Core §5.3) with RFC 6750 bearer errors,
and DPoP-bound tokens (RFC 9449 §7): ``Authorization: DPoP <token>`` with a
proof; a bound token sent as a bearer token is refused with a DPoP challenge."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from apps.oauth import store
from apps.oauth.claims import user_claims
from apps.oauth.dpop import dpop_challenge, dpop_presentation_check
from apps.users.models import User


class BearerError(Exception):
    """RFC 6750 §3: ``error`` empty means "no credentials" (a bare challenge)."""

    def __init__(self, error: str = "", description: str = "", *, status: int = 401) -> None:
        super().__init__(error or "unauthorized")
        self.error = error
        self.description = description
        self.status = status

    def challenge(self, realm: str = "userinfo") -> str:
        parts = [f'realm="{realm}"']
        if self.error:
            parts.append(f'error="{self.error}"')
        if self.description:
            parts.append(f'error_description="{self.description}"')
        if self.error == "insufficient_scope":
            parts.append('scope="openid"')
        # RFC 9449 §7.2: the DPoP scheme is offered beside Bearer, without error details.
        return "Bearer " + ", ".join(parts) + ", " + dpop_challenge(realm=realm)


def access_token_credentials(request: HttpRequest) -> tuple[str, str]:
    """``(scheme, token)`` from the Authorization header (``Bearer`` or ``DPoP``), or the form body
    of a POST as a bearer token (RFC 6750 §2.1, §2.2); never the query."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    body_token = request.POST.get("access_token", "") if request.method == "POST" else ""
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() not in ("bearer", "dpop") or not value.strip() or body_token:
            raise BearerError("invalid_request", "Malformed bearer credentials.", status=400)
        return scheme.lower(), value.strip()
    if body_token:
        return "bearer", body_token
    raise BearerError()


def userinfo_claims(request: HttpRequest, *, scheme: str, raw: str, organization: Any) -> tuple[dict[str, Any], Any]:
    """The claims for the token's user, and the application the token was issued to.

    Raises ``BearerError``, or ``DPoPError`` for the DPoP rules (answered with a DPoP challenge)."""
    token = store.access_token_find(raw)
    owners = (token.application.organization_id,) if token is not None and token.application is not None else ()
    if owners and owners[0] != organization.id:  # a token acting in this sub-organization (shared application)
        owners = (store.access_token_organization_id(raw),)
    if (
        token is None
        or token.expires <= timezone.now()
        or token.application is None
        or organization.id not in owners
        or not organization.is_active
    ):
        raise BearerError("invalid_token", "The access token is invalid or expired.")
    user = token.user
    if user is None or user.state != User.State.ACTIVE:
        raise BearerError("invalid_token", "The access token does not belong to an active user.")
    dpop_presentation_check(request, scheme=scheme, access_token=raw, bound_jkt=token.dpop_jkt)
    scopes = token.scope.split()
    if "openid" not in scopes:
        raise BearerError("insufficient_scope", "The access token lacks the openid scope.", status=403)
    return {"sub": str(user.id), **user_claims(user, scopes)}, token.application
