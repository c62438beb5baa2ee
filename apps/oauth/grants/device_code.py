"""The device_code grant (RFC 8628 §3.4, §3.5): the device polls until the user decides.

Answers, in this order: a code that is unknown, of another client (or another
tenant) or already redeemed is ``invalid_grant``; an expired one
``expired_token``; a denied one ``access_denied``; an approved one gets its
tokens (once: redeeming is one conditional UPDATE in the same transaction as
the token INSERTs); a pending one ``authorization_pending``, or ``slow_down``
when polled before its interval passed, which also lengthens the interval by
five seconds for every later poll.

The scope rule is applied when the tokens are issued: requested ∩ authorized
for the client ∩ held through the user's roles. An ID token comes with
``openid``, a refresh token when the client may use the refresh grant."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.http import QueryDict
from django.utils import timezone

from apps.oauth import store
from apps.oauth.clients import GRANT_DEVICE_CODE, GRANT_REFRESH_TOKEN, AuthenticatedClient, client_require
from apps.oauth.device import device_authorization_find, device_authorization_redeem, device_poll_too_fast
from apps.oauth.errors import OAuthError, invalid_grant, invalid_request
from apps.oauth.events import token_issued
from apps.oauth.models import DeviceAuthorization
from apps.oauth.scopes import resources_select, scopes_for_user
from apps.oauth.tokens import TokenGrant, access_token_mint, id_token_mint, random_token, token_response
from apps.users.models import User

Status = DeviceAuthorization.Status


def token_issue_for_device_code(
    *, params: QueryDict, authenticated: AuthenticatedClient, organization: Any
) -> dict[str, Any]:
    client = client_require(authenticated, GRANT_DEVICE_CODE)
    device_code = params.get("device_code", "")
    if not device_code:
        raise invalid_request("device_code is required.")
    authorization = device_authorization_find(device_code)
    if authorization is None or authorization.application_id != client.id:
        raise invalid_grant("The device code is invalid.")
    if authorization.status == Status.REDEEMED:
        raise invalid_grant("The device code was already used.")
    now = timezone.now()
    if authorization.expires <= now:
        raise OAuthError("expired_token", "The device code has expired; start again.")
    if authorization.status == Status.DENIED:
        raise OAuthError("access_denied", "The user denied the request.")
    if authorization.status == Status.PENDING:
        if device_poll_too_fast(authorization, now=now):
            raise OAuthError("slow_down", "Polling too fast: wait five more seconds between requests from now on.")
        raise OAuthError("authorization_pending", "The user has not decided yet.")

    user = authorization.user
    if user is None or user.state != User.State.ACTIVE or user.organization_id != organization.id:
        raise invalid_grant("The user may no longer sign in.")
    resources = resources_select(client, list(authorization.resource or []))
    grant = TokenGrant(
        client=client,
        organization=organization,
        scopes=scopes_for_user(
            client, authorization.scope.split(), resources, user_id=user.id, organization=organization
        ),
        resources=resources,
        user=user,
        auth_time=authorization.auth_time,
        dpop=authenticated.dpop,
    )
    access = access_token_mint(grant, now=now)
    refresh = random_token() if client.allows(GRANT_REFRESH_TOKEN) else ""
    jti = uuid.uuid4()
    id_token = (
        id_token_mint(grant, access_token=access.raw, nonce="", jti=jti, now=now) if "openid" in grant.scopes else None
    )

    with transaction.atomic():  # a stale client (StaleClient) rolls the redemption back with the tokens
        if not device_authorization_redeem(authorization):
            raise invalid_grant("The device code was already used.")
        store.user_tokens_insert(
            grant=grant,
            access=access,
            id_token=id_token,
            id_token_jti=jti,
            refresh=refresh,
            family=uuid.uuid4() if refresh else None,
            now=now,
        )
    token_issued(grant, grant_type=GRANT_DEVICE_CODE)
    return token_response(access, grant, refresh_token=refresh, id_token=id_token.raw if id_token else "")
