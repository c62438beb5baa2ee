"""The UserInfo endpoint's rules (OIDC Core §5.3) with RFC 6750 bearer errors."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from apps.oauth import store
from apps.oauth.claims import user_claims
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
        return "Bearer " + ", ".join(parts)


def bearer_token(request: HttpRequest) -> str:
    """From the Authorization header, or the form body of a POST (RFC 6750 §2.1, §2.2); never the query."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    body_token = request.POST.get("access_token", "") if request.method == "POST" else ""
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip() or body_token:
            raise BearerError("invalid_request", "Malformed bearer credentials.", status=400)
        return value.strip()
    if body_token:
        return body_token
    raise BearerError()


def userinfo_claims(*, raw: str, organization: Any) -> tuple[dict[str, Any], Any]:
    """The claims for the token's user, and the application the token was issued to."""
    token = store.access_token_find(raw)
    if (
        token is None
        or token.expires <= timezone.now()
        or token.application is None
        or token.application.organization_id != organization.id
        or not organization.is_active
    ):
        raise BearerError("invalid_token", "The access token is invalid or expired.")
    user = token.user
    if user is None or user.state != User.State.ACTIVE:
        raise BearerError("invalid_token", "The access token does not belong to an active user.")
    scopes = token.scope.split()
    if "openid" not in scopes:
        raise BearerError("insufficient_scope", "The access token lacks the openid scope.", status=403)
    return {"sub": str(user.id), **user_claims(user, scopes)}, token.application
