"""authorization_code (RFC 6749 §4.1.3) with PKCE (RFC 7636) and OIDC ID tokens.

A code is single-use: exchanging it deletes it and records the redemption; a
second exchange finds the redemption, revokes the tokens the first one
produced, and fails with invalid_grant (RFC 6749 §4.1.2)."""

from __future__ import annotations

import datetime
import json
import uuid
from typing import Any

from django.db import transaction
from django.http import QueryDict
from django.utils import timezone

from apps.oauth import store
from apps.oauth.clients import GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN, AuthenticatedClient, client_require
from apps.oauth.dpop import DPoPError
from apps.oauth.errors import OAuthError, invalid_grant, invalid_request
from apps.oauth.events import token_issued
from apps.oauth.pkce import S256, verifier_matches
from apps.oauth.scopes import resources_select
from apps.oauth.tokens import TokenGrant, access_token_mint, id_token_mint, random_token, token_response
from apps.users.models import User


def _auth_time(grant_row: Any) -> int | None:
    try:
        value = json.loads(grant_row.claims or "{}").get("auth_time")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, int) else None


def _amr(grant_row: Any) -> tuple[str, ...]:
    try:
        value = json.loads(grant_row.claims or "{}").get("amr")
    except (ValueError, AttributeError):
        return ()
    return tuple(item for item in value if isinstance(item, str)) if isinstance(value, list) else ()


def _sid(grant_row: Any) -> str:
    try:
        value = json.loads(grant_row.claims or "{}").get("sid")
    except (ValueError, AttributeError):
        return ""
    return value if isinstance(value, str) else ""


def _check_dpop_jkt(grant_row: Any, authenticated: AuthenticatedClient) -> None:
    """RFC 9449 §10: a code requested with ``dpop_jkt`` is redeemed only with a proof from that key."""
    try:
        bound = json.loads(grant_row.claims or "{}").get("dpop_jkt")
    except (ValueError, AttributeError):
        bound = None
    if bound and (authenticated.dpop is None or authenticated.dpop.jkt != bound):
        raise DPoPError("The DPoP proof key does not match the dpop_jkt of the authorization request.")


def _check_redirect_uri(params: QueryDict, grant_row: Any, registered: tuple[str, ...]) -> None:
    given = params.get("redirect_uri")
    if given is None:
        # RFC 6749 §4.1.3: required when the authorization request had one. A client with a
        # single registered URI cannot have been sent anywhere else, so omitting it is harmless.
        if registered != (grant_row.redirect_uri,):
            raise invalid_request("redirect_uri is required.")
    elif given != grant_row.redirect_uri:
        raise invalid_grant("redirect_uri does not match the authorization request.")


def _check_pkce(params: QueryDict, grant_row: Any, *, required: bool) -> None:
    verifier = params.get("code_verifier")
    if grant_row.code_challenge:
        if not verifier:
            raise invalid_grant("code_verifier is required.")
        if grant_row.code_challenge_method != S256 or not verifier_matches(verifier, grant_row.code_challenge):
            raise invalid_grant("The code_verifier does not match the code_challenge.")
    elif verifier:
        raise invalid_grant("No code_challenge was sent with the authorization request.")  # PKCE downgrade
    elif required:
        raise invalid_grant("PKCE is required for this client.")


def token_issue_for_authorization_code(
    *, params: QueryDict, authenticated: AuthenticatedClient, organization: Any
) -> dict[str, Any]:
    client = client_require(authenticated, GRANT_AUTHORIZATION_CODE)
    code = params.get("code", "")
    if not code:
        raise invalid_request("code is required.")
    grant_row = store.code_find(code)
    if grant_row is None:
        if store.code_replay_revoke(code):
            raise invalid_grant("The authorization code was already used; the tokens issued for it are revoked.")
        raise invalid_grant("The authorization code is invalid or expired.")
    if grant_row.application_id != client.id:
        raise invalid_grant("The authorization code was issued to another client.")
    now = timezone.now()
    if grant_row.expires <= now:
        store.code_consume(grant_row.id)
        raise invalid_grant("The authorization code is invalid or expired.")
    _check_redirect_uri(params, grant_row, client.redirect_uris)
    _check_pkce(params, grant_row, required=client.requires_pkce)
    _check_dpop_jkt(grant_row, authenticated)
    user = grant_row.user
    if user.state != User.State.ACTIVE or user.organization_id != organization.id:
        raise invalid_grant("The user may no longer sign in.")

    granted_resources = list(grant_row.resource or [])
    asked = params.getlist("resource")
    if asked and not set(asked) <= set(granted_resources):
        raise OAuthError("invalid_target", "The resource was not part of the authorization request.")
    resources = resources_select(client, asked or granted_resources)
    grant = TokenGrant(
        client=client,
        organization=organization,
        scopes=tuple(grant_row.scope.split()),
        resources=resources,
        user=user,
        auth_time=_auth_time(grant_row),
        amr=_amr(grant_row),
        sid=_sid(grant_row),
        dpop=authenticated.dpop,
    )
    access = access_token_mint(grant, now=now)
    refresh = random_token() if client.allows(GRANT_REFRESH_TOKEN) else ""
    family = uuid.uuid4() if refresh else None
    openid = "openid" in grant.scopes
    jti = uuid.uuid4()
    id_token = (
        id_token_mint(grant, access_token=access.raw, nonce=grant_row.nonce, jti=jti, now=now) if openid else None
    )

    with transaction.atomic():
        if not store.code_consume(grant_row.id):
            raise invalid_grant("The authorization code was already used.")
        access_id = store.user_tokens_insert(
            grant=grant, access=access, id_token=id_token, id_token_jti=jti, refresh=refresh, family=family, now=now
        )
        keep = max(client.access_token_lifetime, client.refresh_token_lifetime if refresh else 0)
        store.code_redemption_record(
            raw=code,
            client=client,
            access_token_id=access_id,
            family=family,
            expires=now + datetime.timedelta(seconds=keep),
        )
    token_issued(grant, grant_type=GRANT_AUTHORIZATION_CODE)
    return token_response(access, grant, refresh_token=refresh, id_token=id_token.raw if id_token else "")
