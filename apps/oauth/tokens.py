"""Access tokens (RFC 9068 JWT or opaque), refresh tokens and ID tokens: what
they contain and the token response. Persistence is ``apps.oauth.store``."""

from __future__ import annotations

import datetime
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from apps.oauth.claims import user_claims
from apps.oauth.clients import AuthorizedResource, Client
from apps.oauth.dpop import VerifiedProof
from apps.oauth.issuer import issuer
from apps.oauth.jose import jwt_sign, token_hash
from apps.oauth.scopes import audience

AUT_APPLICATION = "APPLICATION"
AUT_APPLICATION_USER = "APPLICATION_USER"
AUT_AGENT = "AGENT"


def _aut(user: Any) -> str:
    """WSO2 7.2's authorized-user type: the application itself, a user, or an AI agent."""
    if user is None:
        return AUT_APPLICATION
    return AUT_AGENT if getattr(user, "kind", "user") == "agent" else AUT_APPLICATION_USER


@dataclass(frozen=True)
class TokenGrant:
    """What a grant decided: who gets a token, for which scopes and resources."""

    client: Client
    organization: Any
    scopes: tuple[str, ...]
    resources: tuple[AuthorizedResource, ...]
    user: Any = None
    auth_time: int | None = None
    amr: tuple[str, ...] = ()  # OIDC Core §2 authentication methods (from the login portal)
    sid: str = ""  # the SSO session (apps.authn AuthSession id), the same value logout tokens carry
    act: dict[str, Any] | None = None  # RFC 8693 §4.1: who acts for the subject (token exchange)
    dpop: VerifiedProof | None = None  # RFC 9449: the access token is bound to this proof's key

    @property
    def scope(self) -> str:
        return " ".join(self.scopes)

    @property
    def resource(self) -> list[str]:
        return [resource.identifier for resource in self.resources]


@dataclass(frozen=True)
class MintedToken:
    raw: str
    expires: datetime.datetime
    lifetime: int


def random_token() -> str:
    """256 bits from the OS CSPRNG, base64url."""
    return secrets.token_urlsafe(32)


def _org_claims(organization: Any, user: Any = None) -> dict[str, str]:
    claims = {"org_id": str(organization.id), "org_handle": organization.handle, "org_name": organization.name}
    user_org = getattr(user, "organization_id", None)
    if user_org is not None and user_org != organization.id:  # WSO2: the user's resident organization
        claims["user_org"] = str(user_org)
    return claims


def access_token_mint(grant: TokenGrant, *, now: datetime.datetime) -> MintedToken:
    client = grant.client
    lifetime = client.access_token_lifetime
    expires = now + datetime.timedelta(seconds=lifetime)
    if not client.jwt_access_tokens:
        return MintedToken(random_token(), expires, lifetime)
    issued_at = int(now.timestamp())
    aud = audience(client, grant.resources)
    claims: dict[str, Any] = {
        "iss": issuer(grant.organization),
        "sub": str(grant.user.id) if grant.user is not None else client.client_id,
        "aud": aud[0] if len(aud) == 1 else aud,
        "client_id": client.client_id,
        "iat": issued_at,
        "nbf": issued_at,
        "exp": issued_at + lifetime,
        "jti": str(uuid.uuid4()),
        "aut": _aut(grant.user),
        **_org_claims(grant.organization, grant.user),
    }
    if grant.scopes:
        claims["scope"] = grant.scope
    if grant.auth_time is not None:
        claims["auth_time"] = grant.auth_time
    if grant.act:
        claims["act"] = grant.act
    if grant.dpop is not None:
        claims["cnf"] = {"jkt": grant.dpop.jkt}  # RFC 9449 §6.1
    raw, _alg = jwt_sign(claims, organization=grant.organization, typ="at+jwt")
    # ``expires`` from the same integer second as ``exp``, so introspection and the JWT agree.
    return MintedToken(raw, datetime.datetime.fromtimestamp(issued_at + lifetime, tz=datetime.UTC), lifetime)


def id_token_mint(
    grant: TokenGrant, *, access_token: str, nonce: str, jti: uuid.UUID, now: datetime.datetime
) -> MintedToken:
    """OIDC Core §2 ID token, with the claims the granted scopes release."""
    client, user = grant.client, grant.user
    issued_at = int(now.timestamp())
    lifetime = client.id_token_lifetime
    claims: dict[str, Any] = {
        "iss": issuer(grant.organization),
        "sub": str(user.id),
        "aud": client.client_id,
        "azp": client.client_id,
        "iat": issued_at,
        "exp": issued_at + lifetime,
        "auth_time": grant.auth_time if grant.auth_time is not None else issued_at,
        "jti": str(jti),
        **_org_claims(grant.organization, grant.user),
        **user_claims(user, grant.scopes),
    }
    if nonce:
        claims["nonce"] = nonce
    if grant.amr:
        claims["amr"] = list(grant.amr)
    if grant.sid:
        claims["sid"] = grant.sid
    claims["at_hash"] = token_hash(access_token)
    raw, _alg = jwt_sign(claims, organization=grant.organization, typ="JWT")
    return MintedToken(raw, datetime.datetime.fromtimestamp(issued_at + lifetime, tz=datetime.UTC), lifetime)


def token_response(
    access: MintedToken, grant: TokenGrant, *, refresh_token: str = "", id_token: str = ""
) -> dict[str, Any]:
    """RFC 6749 §5.1. ``scope`` is always listed, as the grant may give less than asked."""
    token_type = "DPoP" if grant.dpop is not None else "Bearer"
    body: dict[str, Any] = {"access_token": access.raw, "token_type": token_type, "expires_in": access.lifetime}
    if grant.scopes:
        body["scope"] = grant.scope
    if refresh_token:
        body["refresh_token"] = refresh_token
    if id_token:
        body["id_token"] = id_token
    return body
