"""Token introspection (RFC 7662) and revocation (RFC 7009).

A token is active only in the organization that issued it: a token of tenant
A introspected at tenant B is simply inactive (nothing tells B it exists). A token
acting in a sub-organization (a shared application, ``organization_switch``) is
active there and in its application's organization, with the sub-organization's
``org_*`` claims and ``user_org`` when the user lives elsewhere."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from apps.oauth import store
from apps.oauth.clients import Client
from apps.oauth.issuer import issuer
from apps.oauth.tokens import AUT_AGENT, AUT_APPLICATION, AUT_APPLICATION_USER
from apps.orgs.models import Organization
from apps.users.models import User

INACTIVE: dict[str, Any] = {"active": False}


def _user_active(state: str | None, user_id: Any) -> bool:
    return user_id is None or state == User.State.ACTIVE


def _body(
    organization: Any,
    *,
    client_id: str,
    user_id: Any,
    username: str | None,
    user_kind: str | None,
    resource: list[str],
    expires: datetime.datetime,
    created: datetime.datetime,
) -> dict[str, Any]:
    audience = resource or [client_id]
    body: dict[str, Any] = {
        "active": True,
        "client_id": client_id,
        "sub": str(user_id) if user_id is not None else client_id,
        "aud": audience[0] if len(audience) == 1 else audience,
        "iss": issuer(organization),
        "exp": int(expires.timestamp()),
        "iat": int(created.timestamp()),
        "org_id": str(organization.id),
        "org_handle": organization.handle,
        "org_name": organization.name,
        "aut": AUT_AGENT if user_kind == "agent" else AUT_APPLICATION_USER if user_id is not None else AUT_APPLICATION,
    }
    if username is not None:
        body["username"] = username
    return body


def _token_organization(organization: Any, *, owner_id: Any, acting_id: Any) -> Any | None:
    """The organization a token acts in, if this endpoint's organization may see it: the application's
    own organization and the organization the token acts in both introspect it (WSO2)."""
    if organization.id not in (owner_id, acting_id):
        return None
    if acting_id == organization.id:
        return organization
    return Organization.objects.filter(pk=acting_id).first()


def _access(raw: str, organization: Any, now: datetime.datetime) -> dict[str, Any] | None:
    token = store.access_token_record(raw)
    if token is None:
        return None
    acting = _token_organization(
        organization, owner_id=token.organization_id, acting_id=token.token_organization_id or token.organization_id
    )
    if token.expires <= now or acting is None or not _user_active(token.user_state, token.user_id):
        return INACTIVE
    body = _body(
        acting,
        client_id=token.client_id,
        user_id=token.user_id,
        username=token.username,
        user_kind=token.user_kind,
        resource=token.resource,
        expires=token.expires,
        created=token.created,
    )
    body.update({"scope": token.scope, "token_type": "DPoP" if token.jkt else "Bearer"})
    if token.user_organization_id is not None and token.user_organization_id != acting.id:
        body["user_org"] = str(token.user_organization_id)
    if token.jkt:  # RFC 9449 §6.2: the resource server checks the proof's key against this
        body["cnf"] = {"jkt": token.jkt}
    return body


def _refresh(raw: str, organization: Any, now: datetime.datetime) -> dict[str, Any] | None:
    token = store.refresh_token_find(raw)
    if token is None:
        return None
    app, user = token.application, token.user
    # A refresh token acts where its user lives (user grants only: the user's own organization).
    acting = _token_organization(organization, owner_id=app.organization_id, acting_id=user.organization_id)
    if (
        token.revoked is not None
        or token.access_token is None
        or acting is None
        or not _user_active(user.state, user.id)
    ):
        return INACTIVE
    expires = token.created + datetime.timedelta(seconds=app.refresh_token_lifetime)
    if expires <= now:
        return INACTIVE
    body = _body(
        acting,
        client_id=app.client_id,
        user_id=user.id,
        username=user.username,
        user_kind=user.kind,
        resource=list(token.resource or []),
        expires=expires,
        created=token.created,
    )
    body.update({"scope": token.access_token.scope, "token_type": "refresh_token"})
    if token.dpop_jkt and app.client_type == app.CLIENT_PUBLIC:  # bound to the key (RFC 9449 §5)
        body["cnf"] = {"jkt": token.dpop_jkt}
    return body


def token_introspect(*, raw: str, hint: str, organization: Any) -> dict[str, Any]:
    now = timezone.now()
    lookups = (_refresh, _access) if hint == "refresh_token" else (_access, _refresh)
    for lookup in lookups:
        result = lookup(raw, organization, now)
        if result is not None:
            return result
    return INACTIVE


def token_revoke(*, raw: str, hint: str, client: Client) -> None:
    """Revoke ``raw`` if it belongs to ``client``; unknown tokens are not an error (RFC 7009 §2.2).

    A refresh token takes its whole family with it; an access token takes the
    refresh token family it was issued with."""
    if hint == "refresh_token":
        if not _revoke_refresh(raw, client):
            _revoke_access(raw, client)
    elif not _revoke_access(raw, client):
        _revoke_refresh(raw, client)


def _revoke_access(raw: str, client: Client) -> bool:
    token = store.access_token_record(raw)
    if token is None:
        return False
    if token.application_id == client.id:
        store.access_token_revoke(token.id)
    return True


def _revoke_refresh(raw: str, client: Client) -> bool:
    token = store.refresh_token_find(raw)
    if token is None:
        return False
    if token.application_id == client.id:
        if token.token_family is not None:
            store.token_family_revoke(token.token_family)
        else:
            store.refresh_token_retire(token.id, now=timezone.now())
            store.access_token_delete(token.access_token_id)
    return True
