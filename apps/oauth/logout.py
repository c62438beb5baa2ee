"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0).

``post_logout_redirect_uri`` is honoured only when it is registered for the
client named by ``id_token_hint`` or ``client_id``; anything else ends on our
own page, so the endpoint is never an open redirect."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import QueryDict

from apps.oauth.authorize import redirect_uri_with
from apps.oauth.clients import Client, client_for_redirect
from apps.oauth.issuer import issuer
from apps.oauth.jose import jwt_verify


class LogoutFatal(Exception):
    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


@dataclass(frozen=True)
class LogoutRequest:
    client: Client | None
    hint_subject: str | None  # sub of a valid id_token_hint
    redirect: str  # post-logout redirect with state, or ""


def logout_request_parse(params: QueryDict, *, organization: Any) -> LogoutRequest:
    hint = params.get("id_token_hint", "")
    client_id = params.get("client_id", "")
    subject = None
    if hint:
        claims = jwt_verify(hint, organization=organization)
        if claims is None or claims.get("iss") != issuer(organization):
            raise LogoutFatal("The id_token_hint is not valid.")
        audience = claims.get("aud")
        hinted = audience if isinstance(audience, str) else (audience[0] if audience else "")
        if client_id and client_id != hinted:
            raise LogoutFatal("client_id does not match the id_token_hint.")
        client_id = hinted
        subject = str(claims.get("sub", "")) or None
    client = client_for_redirect(client_id, organization=organization) if client_id else None
    if client_id and client is None:
        raise LogoutFatal("Unknown client.")
    target = params.get("post_logout_redirect_uri", "")
    redirect = ""
    if target:
        if client is None or target not in client.post_logout_redirect_uris:
            raise LogoutFatal("The post_logout_redirect_uri is not registered for this client.")
        redirect = redirect_uri_with(target, {"state": params.get("state", "")})
    return LogoutRequest(client=client, hint_subject=subject, redirect=redirect)
