"""The scope rule, for every grant, and RFC 8707 resource indicators.

* client_credentials: granted = requested ∩ scopes the application is
  authorized for. There is no user; the application acts for itself, and an
  administrator authorizing an API for it is the grant (WSO2's M2M rule).
* user grants (authorization_code; refresh re-applies it): granted =
  requested ∩ authorized for the application ∩ scopes of the user's roles
  (organization roles, and application roles of this application, held
  directly or through groups). Scopes are compared per API resource, so a role
  holding ``read`` of one API never grants ``read`` of another.
* OIDC scopes (openid profile email phone address) are always allowed in user
  grants of an application that may use a grant with a user (authorization
  code, device code, token exchange).
* ``resource`` (RFC 8707): each value must be the identifier of an API
  resource the application is authorized for, else ``invalid_target``. When
  given, only that resource's scopes can be granted and the token's ``aud``
  is the resource(s); otherwise every authorized resource counts and ``aud``
  is the client id.
* Unknown or unauthorized scopes are dropped, never an error (RFC 6749 §3.3
  lets the server grant less; the response then lists what was granted).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection

from apps.applications.models import Scope
from apps.core.ids import parse_uuid
from apps.oauth.clients import (
    GRANT_AUTHORIZATION_CODE,
    GRANT_DEVICE_CODE,
    GRANT_TOKEN_EXCHANGE,
    AuthorizedResource,
    Client,
)
from apps.oauth.errors import OAuthError
from apps.users.models import Group, Role

OIDC_SCOPES = ("openid", "profile", "email", "phone", "address")
_USER_GRANTS = frozenset({GRANT_AUTHORIZATION_CODE, GRANT_DEVICE_CODE, GRANT_TOKEN_EXCHANGE})
_SCOPE_TOKEN = re.compile(r"^[\x21\x23-\x5b\x5d-\x7e]+$")  # RFC 6749 §3.3 scope-token
MAX_SCOPE_LENGTH = 4096
MAX_RESOURCE_LENGTH = 512


def scope_parse(raw: str | None) -> tuple[str, ...]:
    """Requested scopes in order, without duplicates; ``invalid_scope`` when malformed."""
    if not raw:
        return ()
    if len(raw) > MAX_SCOPE_LENGTH:
        raise OAuthError("invalid_scope", "The scope parameter is too long.")
    tokens = raw.split(" ")
    if any(not _SCOPE_TOKEN.match(token) for token in tokens if token):
        raise OAuthError("invalid_scope", "The scope parameter is malformed.")
    return tuple(dict.fromkeys(token for token in tokens if token))


def resources_select(client: Client, requested: Sequence[str]) -> tuple[AuthorizedResource, ...]:
    """The authorized resources named by ``resource`` parameters, in request order."""
    by_identifier = {resource.identifier: resource for resource in client.resources}
    selected: dict[str, AuthorizedResource] = {}
    for value in requested:
        if not value or len(value) > MAX_RESOURCE_LENGTH or "#" in value:
            raise OAuthError("invalid_target", "The resource parameter must be an absolute URI without a fragment.")
        resource = by_identifier.get(value)
        if resource is None:
            raise OAuthError("invalid_target", "The requested resource is unknown or not authorized for this client.")
        selected[value] = resource
    return tuple(selected.values())


def _universe(client: Client, resources: Sequence[AuthorizedResource]) -> Sequence[AuthorizedResource]:
    return resources or client.resources


def scopes_for_client(
    client: Client, requested: Iterable[str], resources: Sequence[AuthorizedResource]
) -> tuple[str, ...]:
    authorized: set[str] = set()
    for resource in _universe(client, resources):
        authorized |= resource.scopes
    return tuple(scope for scope in requested if scope in authorized)


_pairs_sql: list[str] = []


def _pairs_query() -> str:
    """Role scopes of a user for one client, as one statement (it runs on every user grant)."""
    if not _pairs_sql:
        quote = connection.ops.quote_name
        role, scope = Role._meta, Scope._meta
        perms = Role.permissions.through._meta
        holders = Role.users.through._meta
        via_groups = Role.groups.through._meta
        members = Group.members.through._meta
        col = lambda meta, name: quote(meta.get_field(name).column)  # noqa: E731
        _pairs_sql.append(
            # Names come from model metadata; ids and the audience are bound parameters.
            f"SELECT DISTINCT s.{col(scope, 'api_resource')}, s.{col(scope, 'name')} "  # noqa: S608
            f"FROM {quote(scope.db_table)} s "
            f"JOIN {quote(perms.db_table)} p ON p.{col(perms, 'scope')} = s.{col(scope, 'id')} "
            f"JOIN {quote(role.db_table)} r ON r.{col(role, 'id')} = p.{col(perms, 'role')} "
            f"WHERE r.{col(role, 'organization')} = %s "
            f"AND (r.{col(role, 'audience')} = %s "
            f"OR (r.{col(role, 'audience')} = %s AND r.{col(role, 'audience_application')} = %s)) "
            f"AND (EXISTS (SELECT 1 FROM {quote(holders.db_table)} h "
            f"WHERE h.{col(holders, 'role')} = r.{col(role, 'id')} AND h.{col(holders, 'user')} = %s) "
            f"OR EXISTS (SELECT 1 FROM {quote(via_groups.db_table)} g "
            f"JOIN {quote(members.db_table)} m ON m.{col(members, 'group')} = g.{col(via_groups, 'group')} "
            f"WHERE g.{col(via_groups, 'role')} = r.{col(role, 'id')} AND m.{col(members, 'user')} = %s))"
        )
    return _pairs_sql[0]


def user_scope_pairs(*, user_id: uuid.UUID, organization_id: uuid.UUID, client: Client) -> set[tuple[uuid.UUID, str]]:
    """(API resource id, scope name) pairs the user's roles grant for ``client``, in one query."""
    prep = lambda model, name, value: model._meta.get_field(name).get_db_prep_value(value, connection)  # noqa: E731
    user = prep(Role, "id", user_id)  # a UUID column like the user's primary key
    params = [
        prep(Role, "organization", organization_id),
        Role.Audience.ORGANIZATION.value,
        Role.Audience.APPLICATION.value,
        client.id,
        user,
        user,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_pairs_query(), params)
        rows = cursor.fetchall()
    return {(parse_uuid(resource_id), name) for resource_id, name in rows}


def oidc_scopes(organization: Any) -> frozenset[str]:
    """The OIDC scopes a user grant may carry: the standard ones and the organization's custom ones
    (``apps.attributes``: which claims each releases)."""
    from apps.attributes.selectors import oidc_scope_names

    return frozenset(OIDC_SCOPES) | oidc_scope_names(organization)


def scopes_for_user(
    client: Client,
    requested: Iterable[str],
    resources: Sequence[AuthorizedResource],
    *,
    user_id: uuid.UUID,
    organization: Any,
) -> tuple[str, ...]:
    requested = tuple(requested)
    oidc = oidc_scopes(organization)
    oidc_allowed = bool(client.grant_types & _USER_GRANTS)
    api_requested = [s for s in requested if s not in oidc]
    granted_api: set[str] = set()
    if api_requested:
        held = user_scope_pairs(user_id=user_id, organization_id=organization.id, client=client)
        for resource in _universe(client, resources):
            granted_api |= {s for s in resource.scopes if (resource.id, s) in held}
    return tuple(scope for scope in requested if (scope in oidc and oidc_allowed) or scope in granted_api)


def audience(client: Client, resources: Sequence[AuthorizedResource]) -> list[str]:
    return [resource.identifier for resource in resources] or [client.client_id]
