"""WSO2's ``organization_switch`` grant: a user's access token becomes a token for one of the
organizations below the user's own, acting there with the roles the user holds there.

Request (client authenticated as at any token request; the application must allow the grant):
``grant_type=organization_switch&token=<access token>&switching_organization=<org id>&scope=...``.

* ``token`` must be a live access token this server issued to a user, for the same client (looked up
  by checksum, which proves we issued it and that it was not revoked). A DPoP-bound token needs a
  proof of its key, which then binds the new token too.
* ``switching_organization`` must be in the user's organization subtree and active, and the application
  must be shared with it (``Client.usable_in``). Anything else is ``invalid_grant``: an organization
  outside the user's tree is indistinguishable from an unknown one.
* Scopes: requested (or, when none are, the presented token's) ∩ what the application is authorized
  for ∩ what the user's roles IN THE TARGET ORGANIZATION grant (shared application roles, or roles
  of that organization an ancestor's administrator was assigned). Nothing else carries over.
* The token carries the target organization's ``org_id``, ``org_handle`` and ``org_name``; ``sub`` stays
  the user. (WSO2's ``user_org`` claim, the user's resident organization, is not minted yet.) No refresh
  token is issued.
"""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from django.utils import timezone

from apps.oauth import store
from apps.oauth.clients import GRANT_ORGANIZATION_SWITCH, AuthenticatedClient, client_require
from apps.oauth.errors import invalid_grant, invalid_request
from apps.oauth.events import token_issued
from apps.oauth.scopes import resources_select, scope_parse, scopes_for_user
from apps.oauth.tokens import TokenGrant, access_token_mint, token_response
from apps.orgs.selectors import organization_get_visible
from apps.users.models import User

MAX_TOKEN_LENGTH = 16_384


def token_issue_for_organization_switch(
    *, params: QueryDict, authenticated: AuthenticatedClient, organization: Any
) -> dict[str, Any]:
    client = client_require(authenticated, GRANT_ORGANIZATION_SWITCH)
    raw = params.get("token", "")
    target_id = params.get("switching_organization", "")
    if not raw:
        raise invalid_request("token is required.")
    if not target_id:
        raise invalid_request("switching_organization is required.")
    requested = scope_parse(params.get("scope"))
    resources = resources_select(client, params.getlist("resource"))

    record = store.access_token_record(raw) if len(raw) <= MAX_TOKEN_LENGTH else None
    if (
        record is None
        or record.expires <= timezone.now()
        or record.user_id is None
        or record.user_state != User.State.ACTIVE
        or record.client_id != client.client_id
    ):
        raise invalid_grant("The token is invalid, expired or revoked.")
    proven = authenticated.dpop.jkt if authenticated.dpop is not None else None
    if record.jkt and record.jkt != proven:
        raise invalid_grant("The token is bound to a DPoP key: send a proof signed with that key.")
    user = User.objects.select_related("organization").filter(pk=record.user_id).first()
    if user is None or not user.organization.is_active:
        raise invalid_grant("The token is invalid, expired or revoked.")
    target = organization_get_visible(scope=user.organization, organization_id=target_id)
    if target is None or target.root_id != organization.root_id:
        raise invalid_grant("The organization is unknown or outside the user's organization tree.")
    if not target.is_active:
        raise invalid_grant("The organization is disabled.")
    if not client.usable_in(target):
        raise invalid_grant("The application is not shared with the organization.")

    asked = requested or tuple(record.scope.split())
    grant = TokenGrant(
        client=client,
        organization=target,
        scopes=scopes_for_user(client, asked, resources, user_id=user.id, organization=target),
        resources=resources,
        user=user,
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
        user_id=user.id,
        now=now,
        dpop=grant.dpop,
        organization_id=grant.organization.id,
    )
    token_issued(grant, grant_type=GRANT_ORGANIZATION_SWITCH)
    return token_response(access, grant)
