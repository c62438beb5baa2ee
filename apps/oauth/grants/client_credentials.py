"""client_credentials (RFC 6749 §4.4): the hot path.

With a warm client cache this costs one INSERT (guarded by the client's
version, see ``apps.oauth.store``) and a JWT signature with a cached key; a
DPoP-bound token one more INSERT (the proof's replay-cache row)."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from django.utils import timezone

from apps.oauth import store
from apps.oauth.clients import GRANT_CLIENT_CREDENTIALS, AuthenticatedClient, client_require
from apps.oauth.errors import OAuthError
from apps.oauth.events import token_issued
from apps.oauth.scopes import resources_select, scope_parse, scopes_for_client
from apps.oauth.tokens import TokenGrant, access_token_mint, token_response


def token_issue_for_client_credentials(
    *, params: QueryDict, authenticated: AuthenticatedClient, organization: Any
) -> dict[str, Any]:
    client = client_require(authenticated, GRANT_CLIENT_CREDENTIALS)
    if client.public:
        raise OAuthError("unauthorized_client", "Only confidential clients may use client_credentials.")
    requested = scope_parse(params.get("scope"))
    resources = resources_select(client, params.getlist("resource"))
    grant = TokenGrant(
        client=client,
        organization=organization,
        scopes=scopes_for_client(client, requested, resources),
        resources=resources,
        dpop=authenticated.dpop,
    )
    now = timezone.now()
    access = access_token_mint(grant, now=now)
    store.access_token_insert(
        client=client,
        raw=access.raw,
        expires=access.expires,
        scope=grant.scope,
        resource=grant.resource,
        now=now,
        dpop=grant.dpop,
        organization_id=grant.organization.id,
    )
    token_issued(grant, grant_type=GRANT_CLIENT_CREDENTIALS)
    return token_response(access, grant)
