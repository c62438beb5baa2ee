"""Token exchange (RFC 8693): a confidential client presents an access token
this server issued to a user (the subject token) and gets a new access token
for that user, for the client and resources it is authorized for. With an
actor token, the new token says who acts for the user: ``act: {"sub": ...}``
(§4.1), the party the actor token was issued to.

* Subject and actor tokens must be access tokens of this organization that are
  alive right now: looked up by checksum (which proves we issued them and
  that they were not revoked), and, for JWTs, verified with the tenant's keys
  (the ``act`` and ``may_act`` claims are read from them). A token of another
  tenant is simply unknown here: ``invalid_grant``.
* Scopes only narrow: requested (or, when none are requested, the subject
  token's) ∩ the subject token's ∩ the user rule for the exchanging client
  (authorized for it and held through the user's roles now).
* ``resource`` and ``audience`` both name API resources the client is
  authorized for (RFC 8707 rule, ``invalid_target`` otherwise); they become
  ``aud``.
* Delegation chains (§4.1): the current actor is outermost and prior actors
  nest inside it. Prior actors are those of the subject token (WSO2's rule for
  agents); a subject token without ``act`` takes the actor token's own chain.
  Without an actor token the subject token's ``act`` is kept as it is, so a
  chain can never be rewritten by exchanging again. A subject token carrying
  ``may_act`` (§4.4) may only be exchanged by that actor.
* The new token is a JWT (``act`` lives in it), with no refresh token. A
  DPoP-bound subject or actor token (RFC 9449) is only accepted with a proof
  of its key, which then binds the new token as well: exchanging must not
  turn a sender-constrained token into a bearer token.

Errors: RFC 8693 §2.2.2 asks for ``invalid_request`` when a presented token
is unacceptable; this server answers ``invalid_grant`` for a subject or actor
token that is unknown, expired, revoked or of another tenant (as it does for
codes and refresh tokens, and as WSO2 does), and ``invalid_request`` for
missing or unsupported parameters."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.http import QueryDict
from django.utils import timezone

from apps.oauth import store
from apps.oauth.clients import GRANT_TOKEN_EXCHANGE, AuthenticatedClient, client_require
from apps.oauth.errors import OAuthError, invalid_grant, invalid_request
from apps.oauth.events import token_issued
from apps.oauth.issuer import issuer
from apps.oauth.jose import jwt_verify
from apps.oauth.scopes import resources_select, scope_parse, scopes_for_user
from apps.oauth.tokens import TokenGrant, access_token_mint, token_response
from apps.users.models import User

TOKEN_TYPE_ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token"
TOKEN_TYPE_JWT = "urn:ietf:params:oauth:token-type:jwt"
INPUT_TOKEN_TYPES = frozenset({TOKEN_TYPE_ACCESS_TOKEN, TOKEN_TYPE_JWT})
MAX_ACT_DEPTH = 8
MAX_TOKEN_LENGTH = 16_384


@dataclass(frozen=True)
class PresentedToken:
    """What an exchange needs to know of a subject or actor token."""

    subject: str  # the user id, or the client id of an application's own token
    user_id: uuid.UUID | None
    scopes: tuple[str, ...]
    act: dict[str, Any] | None
    may_act: dict[str, Any] | None
    auth_time: int | None
    jkt: str | None  # the DPoP key a bound token is bound to


def _act_depth(act: Any) -> int:
    depth = 0
    while isinstance(act, dict):
        depth += 1
        act = act.get("act")
    return depth


def _token_param(params: QueryDict, name: str) -> tuple[str, str]:
    raw = params.get(name, "")
    token_type = params.get(f"{name}_type", "")
    if raw and not token_type:
        raise invalid_request(f"{name}_type is required with {name}.")
    if token_type and not raw:
        raise invalid_request(f"{name}_type must not be sent without {name}.")
    if token_type and token_type not in INPUT_TOKEN_TYPES:
        raise invalid_request(f"{name}_type must be {TOKEN_TYPE_ACCESS_TOKEN} or {TOKEN_TYPE_JWT}.")
    if len(raw) > MAX_TOKEN_LENGTH:
        raise invalid_grant(f"The {name} is invalid.")
    return raw, token_type


def presented_token(raw: str, *, organization: Any, label: str) -> PresentedToken:
    """An access token this organization issued that is alive now; ``invalid_grant`` otherwise."""
    record = store.access_token_record(raw)
    if (
        record is None
        or record.expires <= timezone.now()
        or record.organization_id != organization.id
        or (record.user_id is not None and record.user_state != User.State.ACTIVE)
    ):
        raise invalid_grant(f"The {label} is invalid, expired or revoked.")
    claims: dict[str, Any] = {}
    if raw.count(".") == 2:
        verified = jwt_verify(raw, organization=organization)
        if verified is None or verified.get("iss") != issuer(organization):
            raise invalid_grant(f"The {label} is invalid, expired or revoked.")
        claims = verified
    act, may_act = claims.get("act"), claims.get("may_act")
    auth_time = claims.get("auth_time")
    return PresentedToken(
        subject=str(record.user_id) if record.user_id is not None else record.client_id,
        user_id=record.user_id,
        scopes=tuple(record.scope.split()),
        act=act if isinstance(act, dict) else None,
        may_act=may_act if isinstance(may_act, dict) else None,
        auth_time=auth_time if isinstance(auth_time, int) and not isinstance(auth_time, bool) else None,
        jkt=record.jkt,
    )


def delegation_act(subject: PresentedToken, actor: PresentedToken | None) -> dict[str, Any] | None:
    """The ``act`` claim of the new token (see the module docstring)."""
    if actor is None:
        return subject.act
    if subject.may_act is not None and subject.may_act.get("sub") != actor.subject:
        raise invalid_grant("The actor is not the one the subject token allows to act (may_act).")
    act: dict[str, Any] = {"sub": actor.subject}
    prior = subject.act or actor.act
    if prior:
        act["act"] = prior
    if _act_depth(act) > MAX_ACT_DEPTH:
        raise invalid_grant(f"A delegation chain may hold at most {MAX_ACT_DEPTH} actors.")
    return act


def token_issue_for_token_exchange(
    *, params: QueryDict, authenticated: AuthenticatedClient, organization: Any
) -> dict[str, Any]:
    client = client_require(authenticated, GRANT_TOKEN_EXCHANGE)
    if client.public:
        raise OAuthError("unauthorized_client", "Only confidential clients may exchange tokens.")
    if not client.jwt_access_tokens:
        raise OAuthError("unauthorized_client", "Token exchange needs an application that issues JWT access tokens.")
    subject_raw, _subject_type = _token_param(params, "subject_token")
    if not subject_raw:
        raise invalid_request("subject_token and subject_token_type are required.")
    actor_raw, _actor_type = _token_param(params, "actor_token")
    requested_type = params.get("requested_token_type", TOKEN_TYPE_ACCESS_TOKEN)
    if requested_type != TOKEN_TYPE_ACCESS_TOKEN:
        raise invalid_request(f"Only {TOKEN_TYPE_ACCESS_TOKEN} can be requested.")
    requested = scope_parse(params.get("scope"))
    resources = resources_select(client, params.getlist("resource") + params.getlist("audience"))

    subject = presented_token(subject_raw, organization=organization, label="subject_token")
    if subject.user_id is None:
        raise invalid_grant("The subject_token must have been issued to a user.")
    actor = presented_token(actor_raw, organization=organization, label="actor_token") if actor_raw else None
    act = delegation_act(subject, actor)
    proven = authenticated.dpop.jkt if authenticated.dpop is not None else None
    for label, token in (("subject_token", subject), ("actor_token", actor)):
        if token is not None and token.jkt and token.jkt != proven:
            raise invalid_grant(f"The {label} is bound to a DPoP key: send a proof signed with that key.")
    user = User.objects.filter(pk=subject.user_id, organization_id=organization.id).first()
    if user is None:
        raise invalid_grant("The subject_token is invalid, expired or revoked.")

    asked = tuple(scope for scope in requested if scope in subject.scopes) if requested else subject.scopes
    grant = TokenGrant(
        client=client,
        organization=organization,
        scopes=scopes_for_user(client, asked, resources, user_id=user.id, organization=organization),
        resources=resources,
        user=user,
        auth_time=subject.auth_time,
        act=act,
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
    token_issued(grant, grant_type=GRANT_TOKEN_EXCHANGE)
    return {**token_response(access, grant), "issued_token_type": TOKEN_TYPE_ACCESS_TOKEN}
