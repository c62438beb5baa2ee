"""refresh_token (RFC 6749 §6) with rotation and reuse detection.

* Rotation (the application's setting; always for public clients): the
  presented refresh token is retired and a new one of the same family issued.
  Presenting a retired token again means it leaked: the whole family is
  revoked (every refresh token and the access tokens issued with them).
* Without rotation the refresh token stays and is re-bound to the new access
  token; the previous access token is revoked.
* Scope may only narrow: requested scopes outside the scope of the token being
  refreshed are dropped (not an error: clients such as Authlib send the scope
  they first asked for, which the scope rule may have cut down), and the user
  rule is applied again, so a role taken away since the login is not
  refreshed back into a token.
* DPoP (RFC 9449 §5): a public client's refresh token is bound to the key its
  tokens were bound to; it is redeemed only with a proof from that key. A
  confidential client's refresh token is not bound (client authentication
  already constrains it): each new access token is bound to the key of the
  proof sent with that refresh, if any.
* No ID token is issued on refresh (OIDC Core §12.2 allows leaving it out).
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.db import transaction
from django.http import QueryDict
from django.utils import timezone

from apps.oauth import store
from apps.oauth.clients import GRANT_REFRESH_TOKEN, AuthenticatedClient, client_require
from apps.oauth.errors import OAuthError, invalid_grant, invalid_request
from apps.oauth.events import token_issued
from apps.oauth.scopes import resources_select, scope_parse, scopes_for_user
from apps.oauth.tokens import TokenGrant, access_token_mint, random_token, token_response
from apps.users.models import User


class _Reused(Exception):
    pass


def _resources(params: QueryDict, record: store.RefreshRecord) -> list[str]:
    original = record.resource
    asked = params.getlist("resource")
    if asked and original and not set(asked) <= set(original):
        raise OAuthError("invalid_target", "The resource was not part of the original grant.")
    return asked or original


def token_issue_for_refresh_token(
    *, params: QueryDict, authenticated: AuthenticatedClient, organization: Any
) -> dict[str, Any]:
    """With a warm client cache: one read (token, subject, bound key), one read of the user's
    role scopes, then in one transaction retire + drop the old access token + two INSERTs."""
    client = client_require(authenticated, GRANT_REFRESH_TOKEN)
    raw = params.get("refresh_token", "")
    if not raw:
        raise invalid_request("refresh_token is required.")
    record = store.refresh_token_record(raw)
    if record is None or record.application_id != client.id:
        raise invalid_grant("The refresh token is invalid.")
    if record.revoked is not None:
        store.token_family_revoke(record.family)
        raise invalid_grant("The refresh token was already used; its token family is revoked.")
    now = timezone.now()
    expired = record.created + datetime.timedelta(seconds=client.refresh_token_lifetime) <= now
    if expired or record.access_token_id is None:
        raise invalid_grant("The refresh token is expired.")
    user = record.user
    if user.state != User.State.ACTIVE or user.organization_id != organization.id:
        raise invalid_grant("The user may no longer sign in.")
    proof = authenticated.dpop
    if client.public and record.jkt and (proof is None or proof.jkt != record.jkt):
        raise invalid_grant("The refresh token is bound to a DPoP key: send a proof signed with that key.")

    original = record.scope.split()
    requested = tuple(scope for scope in scope_parse(params.get("scope")) or original if scope in original)
    resources = resources_select(client, _resources(params, record))
    grant = TokenGrant(
        client=client,
        organization=organization,
        scopes=scopes_for_user(client, requested, resources, user_id=user.id, organization=organization),
        resources=resources,
        user=user,
        dpop=proof,
    )
    access = access_token_mint(grant, now=now)
    rotate = client.rotates_refresh_tokens
    new_refresh = random_token() if rotate else ""
    try:
        with transaction.atomic():
            if rotate and not store.refresh_token_rotate_out(record, now=now):
                raise _Reused
            access_id = store.access_token_insert(
                client=client,
                raw=access.raw,
                expires=access.expires,
                scope=grant.scope,
                resource=grant.resource,
                user_id=user.id,
                source_refresh_token_id=record.id if rotate else None,
                now=now,
                returning=True,
                dpop=grant.dpop,
                organization_id=grant.organization.id,
            )
            assert access_id is not None
            if rotate:
                store.refresh_token_insert_raw(
                    client=client,
                    raw=new_refresh,
                    user_id=user.id,
                    access_token_id=access_id,
                    family=record.family or uuid.uuid4(),
                    resource=record.resource,
                    now=now,
                )
            else:
                store.refresh_token_keep(record, access_token_id=access_id, now=now)
    except _Reused:
        store.token_family_revoke(record.family)
        raise invalid_grant("The refresh token was already used; its token family is revoked.") from None
    token_issued(grant, grant_type=GRANT_REFRESH_TOKEN)
    return token_response(access, grant, refresh_token=new_refresh)
