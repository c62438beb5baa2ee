"""OAuth clients: an immutable snapshot of each application, cached per
process, and client authentication (RFC 6749 §2.3).

Why a snapshot and a per-process cache: a client_credentials request must cost
one cached client lookup and one INSERT. The snapshot carries everything the
grants need (secret hash, grant types, redirect URIs, lifetimes, authorized
API resources and their scopes) and ``version`` (the application's ``updated``
timestamp). Every access-token INSERT is guarded by that version (see
``apps.oauth.store``), so a snapshot made stale by a change in another process
(new secret, removed grant type, deleted application, changed authorization)
never mints a token: the insert affects no row, the snapshot is reloaded and
the request is decided again on fresh data. ``apps.oauth.signals`` bumps the
version when authorized APIs or their scopes change and drops local entries;
the TTL bounds what the read-only endpoints (introspection, revocation) may
see of a stale snapshot.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
import time
import uuid
from dataclasses import dataclass
from urllib.parse import unquote_plus

from django.conf import settings
from django.http import HttpRequest

from apps.applications.models import Application, AuthorizedAPI
from apps.applications.secrets import client_secret_matches
from apps.applications.sharing import application_shared_organization_ids
from apps.oauth.cache import TTLCache
from apps.oauth.client_assertion import (
    ASSERTION_TYPE,
    CLOCK_SKEW_SECONDS,
    VerifiedAssertion,
    assertion_subject,
    client_assertion_verify,
)
from apps.oauth.dpop import VerifiedProof
from apps.oauth.errors import OAuthError, invalid_client, invalid_request
from apps.oauth.issuer import issuer
from apps.oauth.replay import PURPOSE_CLIENT_ASSERTION, jti_use_once

GRANT_AUTHORIZATION_CODE = "authorization_code"
GRANT_CLIENT_CREDENTIALS = "client_credentials"
GRANT_REFRESH_TOKEN = "refresh_token"
GRANT_TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
GRANT_DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code"
GRANT_ORGANIZATION_SWITCH = "organization_switch"

# django-oauth-toolkit's single grant field, for applications that predate ``grant_types``.
_LEGACY_GRANTS = {
    Application.GRANT_AUTHORIZATION_CODE: (GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN),
    Application.GRANT_CLIENT_CREDENTIALS: (GRANT_CLIENT_CREDENTIALS,),
}

AUTH_BASIC = "client_secret_basic"
AUTH_POST = "client_secret_post"
AUTH_NONE = "none"
AUTH_PRIVATE_KEY_JWT = "private_key_jwt"


@dataclass(frozen=True)
class AuthorizedResource:
    id: uuid.UUID
    identifier: str
    type: str
    scopes: frozenset[str]


@dataclass(frozen=True)
class Client:
    id: int
    client_id: str
    name: str
    organization_id: uuid.UUID
    version: datetime.datetime  # Application.updated: the token INSERT is conditional on it
    secret_hash: str
    public: bool
    auth_method: str
    grant_types: frozenset[str]
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...]
    allowed_origins: tuple[str, ...]  # CORS: browser apps calling the token endpoint
    pkce_mandatory: bool
    jwt_access_tokens: bool
    access_token_lifetime: int
    refresh_token_lifetime: int
    id_token_lifetime: int
    refresh_rotation: bool
    resources: tuple[AuthorizedResource, ...]
    jwks: str = ""  # the registered JWK Set (JSON) for private_key_jwt
    dpop_required: bool = False  # token binding "DPoP": every token request needs a proof (RFC 9449 §5)
    first_party: bool = True  # skip_authorization: no consent page (third-party and DCR clients ask)
    # Sub-organizations the application is shared with (``apps.applications.sharing``); a sharing change
    # bumps the application's version, so a stale snapshot never mints a token.
    shared_with: frozenset[uuid.UUID] = frozenset()

    def allows(self, grant_type: str) -> bool:
        return grant_type in self.grant_types

    def usable_in(self, organization: object) -> bool:
        """The application belongs to ``organization`` or is shared with it."""
        org_id = getattr(organization, "id", None)
        return org_id == self.organization_id or org_id in self.shared_with

    @property
    def rotates_refresh_tokens(self) -> bool:
        # OAuth 2.1 / MCP: a public client's refresh tokens always rotate.
        return self.refresh_rotation or self.public

    @property
    def requires_pkce(self) -> bool:
        return self.pkce_mandatory or self.public


@dataclass(frozen=True)
class AuthenticatedClient:
    client: Client
    method: str
    dpop: VerifiedProof | None = None  # the key the client proved it holds (RFC 9449), if it sent a proof


_cache = TTLCache(max_entries=10_000, ttl_seconds=float(getattr(settings, "IAM_OAUTH_CLIENT_CACHE_SECONDS", 60)))
_recent_reloads = TTLCache(max_entries=10_000, ttl_seconds=1.0)


def client_cache_invalidate(*, client_id: str | None = None) -> None:
    """Drop one snapshot (or all) from this process; other processes rely on the version guard and TTL."""
    if client_id is None:
        _cache.clear()
        _recent_reloads.clear()
    else:
        _cache.discard(client_id)
        _recent_reloads.discard(client_id)


def _split(value: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(value.split()))


def _grant_types(app: Application) -> frozenset[str]:
    if app.grant_types:
        return frozenset(str(g) for g in app.grant_types)
    return frozenset(_LEGACY_GRANTS.get(app.authorization_grant_type, ()))


def _resources(app: Application) -> tuple[AuthorizedResource, ...]:
    rows = AuthorizedAPI.objects.filter(application_id=app.pk).values_list(
        "api_resource_id", "api_resource__identifier", "api_resource__type", "scopes__name"
    )
    by_id: dict[uuid.UUID, tuple[str, str, set[str]]] = {}
    for resource_id, identifier, resource_type, scope in rows:
        entry = by_id.setdefault(resource_id, (identifier, resource_type, set()))
        if scope:
            entry[2].add(scope)
    return tuple(
        AuthorizedResource(id=rid, identifier=ident, type=rtype, scopes=frozenset(scopes))
        for rid, (ident, rtype, scopes) in sorted(by_id.items(), key=lambda item: item[1][0])
    )


def client_snapshot(app: Application) -> Client:
    public = app.client_type == Application.CLIENT_PUBLIC
    return Client(
        id=app.pk,
        client_id=app.client_id,
        name=app.name,
        organization_id=app.organization_id,
        version=app.updated,
        secret_hash=app.client_secret_hash,
        public=public,
        auth_method=AUTH_NONE if public else app.token_endpoint_auth_method,
        grant_types=_grant_types(app),
        redirect_uris=_split(app.redirect_uris),
        post_logout_redirect_uris=_split(app.post_logout_redirect_uris),
        allowed_origins=_split(app.allowed_origins),
        pkce_mandatory=app.pkce_mandatory,
        jwt_access_tokens=app.access_token_format == Application.TokenFormat.JWT,
        access_token_lifetime=app.access_token_lifetime,
        refresh_token_lifetime=app.refresh_token_lifetime,
        id_token_lifetime=app.id_token_lifetime,
        refresh_rotation=app.refresh_rotation,
        resources=_resources(app),
        jwks=json.dumps(app.jwks) if app.jwks else "",
        dpop_required=app.token_binding == Application.TokenBinding.DPOP,
        first_party=app.skip_authorization,
        shared_with=application_shared_organization_ids(application_id=app.pk),
    )


def client_load(client_id: str) -> Client | None:
    """Read the application fresh from the database and refresh this process's cache."""
    app = Application.objects.filter(client_id=client_id).first()
    if app is None:
        _cache.discard(client_id)
        return None
    client = client_snapshot(app)
    _cache.put(client_id, client)
    return client


def client_get(client_id: str) -> Client | None:
    """The cached snapshot, loaded on a miss (three queries), else none."""
    if not client_id or len(client_id) > 100 or "\x00" in client_id:
        return None
    return _cache.get(client_id) or client_load(client_id)


def _basic_credentials(request: HttpRequest) -> tuple[str, str] | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise invalid_client("Malformed Basic credentials.") from exc
    raw_id, sep, raw_secret = decoded.partition(":")
    if not sep:
        raise invalid_client("Malformed Basic credentials.")
    # RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
    return unquote_plus(raw_id), unquote_plus(raw_secret)


def client_authenticate(
    request: HttpRequest, *, organization: object, public_allowed: bool = True
) -> AuthenticatedClient:
    """Authenticate the client of a token-style request in ``organization``.

    Methods: client_secret_basic, client_secret_post, private_key_jwt, and
    none (public clients, which identify themselves with ``client_id`` only).
    A client of another organization is unknown here."""
    basic = _basic_credentials(request)
    form_id = request.POST.get("client_id", "")
    form_secret = request.POST.get("client_secret", "")
    if "client_assertion" in request.POST or "client_assertion_type" in request.POST:
        if basic is not None or form_secret:
            raise invalid_request("Use only one client authentication method.")
        return _authenticate_with_assertion(request, organization=organization, form_id=form_id)
    if basic is not None:
        if form_secret:
            raise invalid_request("Use only one client authentication method.")
        client_id, secret = basic
        if form_id and form_id != client_id:
            raise invalid_client("The client_id does not match the authenticated client.")
        method = AUTH_BASIC
    elif form_secret:
        client_id, secret, method = form_id, form_secret, AUTH_POST
    else:
        client_id, secret, method = form_id, "", AUTH_NONE
    if not client_id:
        raise invalid_client("Client authentication is required.")
    client = client_get(client_id)
    if client is None or not client.usable_in(organization):
        raise invalid_client()
    request.oauth_client = client  # type: ignore[attr-defined]  # for CORS on the response
    if client.public:
        if method != AUTH_NONE:
            raise invalid_client("A public client has no secret.")
        if not public_allowed:
            raise invalid_client("This request needs a confidential client.")
        return AuthenticatedClient(client, method)
    if method == AUTH_NONE:
        raise invalid_client("Client authentication is required.")
    if client.auth_method not in (AUTH_BASIC, AUTH_POST):
        raise invalid_client(f"The client must authenticate with {client.auth_method}.")
    if not client_secret_matches(client.secret_hash, secret):
        # The secret may have been regenerated since this process cached the client: re-read it,
        # at most once a second per client, so wrong secrets cannot turn into a query flood.
        if _recent_reloads.get(client_id) is not None:
            raise invalid_client()
        _recent_reloads.put(client_id, True)
        client = client_load(client_id)
        if client is None or not client.usable_in(organization):
            raise invalid_client()
        if not client_secret_matches(client.secret_hash, secret):
            raise invalid_client()
    return AuthenticatedClient(client, method)


def _assertion_checked(request: HttpRequest, client: Client, assertion: str, organization: object) -> VerifiedAssertion:
    # RFC 7523 §3: the audience identifies this server; its issuer is also its token endpoint.
    called = f"{settings.IAM_BASE_URL}{getattr(request, 'tenant_prefix', '')}{request.path_info}"
    return client_assertion_verify(
        assertion,
        client_id=client.client_id,
        jwks=json.loads(client.jwks or "{}"),
        cache_key=(client.client_id, client.version),
        audiences={issuer(organization), called},
        now=time.time(),
    )


def _authenticate_with_assertion(request: HttpRequest, *, organization: object, form_id: str) -> AuthenticatedClient:
    """private_key_jwt: the client named by ``client_id`` or, without it, by the assertion's ``sub``."""
    if request.POST.get("client_assertion_type") != ASSERTION_TYPE:
        raise invalid_client(f"client_assertion_type must be {ASSERTION_TYPE}.")
    assertion = request.POST.get("client_assertion", "")
    if not assertion:
        raise invalid_request("client_assertion is required with client_assertion_type.")
    client_id = form_id or assertion_subject(assertion)
    client = client_get(client_id)
    if client is None or not client.usable_in(organization):
        raise invalid_client()
    request.oauth_client = client  # type: ignore[attr-defined]  # for CORS on the response
    if client.auth_method != AUTH_PRIVATE_KEY_JWT:
        raise invalid_client("The client is not registered for private_key_jwt.")
    try:
        verified = _assertion_checked(request, client, assertion, organization)
    except OAuthError as exc:
        # The keys may have been rotated since this process cached the client: re-read once a second at most.
        if exc.error != "invalid_client" or _recent_reloads.get(client_id) is not None:
            raise
        _recent_reloads.put(client_id, True)
        fresh = client_load(client_id)
        if fresh is None or fresh.version == client.version or fresh.auth_method != AUTH_PRIVATE_KEY_JWT:
            raise
        client = fresh
        verified = _assertion_checked(request, client, assertion, organization)
    expires = datetime.datetime.fromtimestamp(verified.expires_at + CLOCK_SKEW_SECONDS, tz=datetime.UTC)
    if not jti_use_once(purpose=PURPOSE_CLIENT_ASSERTION, issuer=client.client_id, jti=verified.jti, expires=expires):
        raise invalid_client("The client assertion was already used.")
    return AuthenticatedClient(client, AUTH_PRIVATE_KEY_JWT)


def client_for_redirect(client_id: str, *, organization: object) -> Client | None:
    """The client an authorize or logout request names, if it belongs to ``organization``."""
    client = client_get(client_id)
    if client is None or not client.usable_in(organization):
        return None
    return client


def client_require(authenticated: AuthenticatedClient, grant_type: str) -> Client:
    client = authenticated.client
    if not client.allows(grant_type):
        raise OAuthError("unauthorized_client", f"The client may not use the {grant_type} grant.")
    return client
