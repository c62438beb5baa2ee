"""The authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1, RFC 7636,
RFC 8707) and the code it ends with.

Errors come in two kinds (RFC 6749 §4.1.2.1): before the client and its
redirect URI are established, nothing may be redirected to (``AuthorizeFatal``,
shown as an error page, which is what prevents open redirects); after that,
errors go back to the registered redirect URI (``AuthorizeError``)."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.http import QueryDict
from django.utils import timezone

from apps.oauth import store
from apps.oauth.clients import GRANT_AUTHORIZATION_CODE, AuthorizedResource, Client, client_for_redirect
from apps.oauth.errors import OAuthError
from apps.oauth.pkce import S256, challenge_valid
from apps.oauth.scopes import resources_select, scope_parse, scopes_for_user
from apps.oauth.tokens import random_token

MAX_STATE_LENGTH = 2048
MAX_LOGIN_HINT_LENGTH = 256
MAX_NONCE_LENGTH = 255
PROMPTS = frozenset({"none", "login", "consent", "select_account"})
_SINGLE = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "nonce",
    "prompt",
    "code_challenge",
    "dpop_jkt",
)
_JKT = re.compile(r"^[A-Za-z0-9_-]{43}$")  # a base64url SHA-256 thumbprint
_FORBIDDEN_SCHEMES = frozenset({"javascript", "data", "vbscript", "file"})


class AuthorizeFatal(Exception):
    """No trustworthy redirect URI: show an error page."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


class AuthorizeError(Exception):
    """An error to send back to the client's registered redirect URI."""

    def __init__(self, error: str, description: str, *, redirect_uri: str, state: str) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.redirect_uri = redirect_uri
        self.state = state


@dataclass(frozen=True)
class AuthorizationRequest:
    client: Client
    redirect_uri: str
    state: str
    scopes: tuple[str, ...]
    resources: tuple[AuthorizedResource, ...]
    code_challenge: str
    nonce: str
    prompt: frozenset[str]
    dpop_jkt: str = ""  # RFC 9449 §10: the code may only be redeemed with a proof from this key
    max_age: int | None = None  # OIDC Core §3.1.2.1: seconds since the last active authentication
    login_hint: str = ""  # OIDC Core §3.1.2.1: the identifier the client thinks the user will use


_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


def _loopback_parts(uri: str) -> tuple[str, str, str] | None:
    """(host, path, query) of a plain-http loopback URI with a valid port or none, else None."""
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError for a port that is not one
    except ValueError:
        return None
    if parts.scheme != "http" or parts.hostname not in _LOOPBACK_HOSTS or parts.fragment:
        return None
    if parts.username is not None or parts.password is not None:
        return None
    return parts.hostname, parts.path, parts.query


def redirect_uri_registered(given: str, registered: tuple[str, ...]) -> bool:
    """Exact string match, except that a loopback redirect URI may use any port (RFC 8252 §7.3,
    OAuth 2.1 §8.4.2): native apps and MCP clients listen on whatever port is free at the time."""
    if given in registered:
        return True
    loopback = _loopback_parts(given)
    return loopback is not None and any(_loopback_parts(uri) == loopback for uri in registered)


def _redirect_uri(params: QueryDict, client: Client) -> str:
    given = params.get("redirect_uri")
    if given is None:
        if len(client.redirect_uris) != 1:
            raise AuthorizeFatal("redirect_uri is required.")
        given = client.redirect_uris[0]
    elif not redirect_uri_registered(given, client.redirect_uris):
        raise AuthorizeFatal("The redirect_uri is not registered for this client.")
    scheme = urlsplit(given).scheme.lower()
    if not scheme or scheme in _FORBIDDEN_SCHEMES:
        raise AuthorizeFatal("The registered redirect_uri is not usable.")
    return given


def authorization_request_parse(params: QueryDict, *, organization: Any) -> AuthorizationRequest:
    if any("\x00" in value for values in params.lists() for value in values[1]):
        raise AuthorizeFatal("The request contains invalid characters.")
    for name in _SINGLE[:2]:
        if len(params.getlist(name)) > 1:
            raise AuthorizeFatal(f"{name} must be sent once.")
    client_id = params.get("client_id", "")
    client = client_for_redirect(client_id, organization=organization) if client_id else None
    if client is None:
        raise AuthorizeFatal("Unknown client.")
    redirect_uri = _redirect_uri(params, client)
    state = params.get("state", "")

    def fail(error: str, description: str) -> AuthorizeError:
        return AuthorizeError(error, description, redirect_uri=redirect_uri, state=state[:MAX_STATE_LENGTH])

    if any(len(params.getlist(name)) > 1 for name in _SINGLE):
        raise fail("invalid_request", "A parameter was sent more than once.")
    if len(state) > MAX_STATE_LENGTH:
        raise fail("invalid_request", "state is too long.")
    if "request" in params:
        raise fail("request_not_supported", "Request objects are not supported.")
    if "request_uri" in params:
        raise fail("request_uri_not_supported", "request_uri is not supported.")
    response_type = params.get("response_type")
    if not response_type:
        raise fail("invalid_request", "response_type is required.")
    if response_type != "code":
        raise fail("unsupported_response_type", "Only response_type=code is supported.")
    if params.get("response_mode", "query") != "query":
        raise fail("invalid_request", "Only response_mode=query is supported.")
    if not client.allows(GRANT_AUTHORIZATION_CODE):
        raise fail("unauthorized_client", "The client may not use the authorization code grant.")
    try:
        scopes = scope_parse(params.get("scope"))
        resources = resources_select(client, params.getlist("resource"))
    except OAuthError as exc:
        raise fail(exc.error, exc.description) from exc

    challenge = params.get("code_challenge", "")
    method = params.get("code_challenge_method", "")
    if challenge:
        if method != S256:  # RFC 7636 §4.3: an absent method means plain, which we refuse
            raise fail("invalid_request", "code_challenge_method must be S256.")
        if not challenge_valid(challenge):
            raise fail("invalid_request", "code_challenge is malformed.")
    elif method:
        raise fail("invalid_request", "code_challenge is required with code_challenge_method.")
    elif client.requires_pkce:
        raise fail("invalid_request", "PKCE (code_challenge with S256) is required for this client.")

    nonce = params.get("nonce", "")
    if len(nonce) > MAX_NONCE_LENGTH:
        raise fail("invalid_request", "nonce is too long.")
    prompt = frozenset(params.get("prompt", "").split())
    if not prompt <= PROMPTS or ("none" in prompt and len(prompt) > 1):
        raise fail("invalid_request", "prompt is not valid.")
    dpop_jkt = params.get("dpop_jkt", "")
    if dpop_jkt and not _JKT.match(dpop_jkt):
        raise fail("invalid_request", "dpop_jkt must be a base64url SHA-256 JWK thumbprint.")
    max_age = _max_age(params.get("max_age"), fail)
    login_hint = params.get("login_hint", "")
    if len(login_hint) > MAX_LOGIN_HINT_LENGTH:
        raise fail("invalid_request", "login_hint is too long.")
    return AuthorizationRequest(
        client=client,
        redirect_uri=redirect_uri,
        state=state,
        scopes=scopes,
        resources=resources,
        code_challenge=challenge,
        nonce=nonce,
        prompt=prompt,
        dpop_jkt=dpop_jkt,
        max_age=max_age,
        login_hint=login_hint,
    )


def _max_age(value: str | None, fail: Any) -> int | None:
    if value is None or value == "":
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 10:
        raise fail("invalid_request", "max_age must be a non-negative number of seconds.")
    return int(value)


def redirect_uri_with(uri: str, params: dict[str, str]) -> str:
    """``uri`` with ``params`` added to its query (RFC 6749 §3.1.2: the existing query is kept)."""
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True) + [(k, v) for k, v in params.items() if v]
    return urlunsplit(parts._replace(query=urlencode(query)))


def code_issue(
    request: AuthorizationRequest,
    *,
    user: Any,
    organization: Any,
    auth_time: int,
    amr: tuple[str, ...] = (),
    sid: str = "",
) -> str:
    """Record the authorization and return the code (only its checksum is stored)."""
    scopes = scopes_for_user(
        request.client, request.scopes, request.resources, user_id=user.id, organization=organization
    )
    code = random_token()
    lifetime = int(getattr(settings, "IAM_OAUTH_CODE_LIFETIME_SECONDS", 60))
    store.code_create(
        client=request.client,
        raw=code,
        user_id=user.id,
        expires=timezone.now() + datetime.timedelta(seconds=lifetime),
        redirect_uri=request.redirect_uri,
        scope=" ".join(scopes),
        code_challenge=request.code_challenge,
        code_challenge_method=S256 if request.code_challenge else "",
        nonce=request.nonce,
        resource=[resource.identifier for resource in request.resources],
        auth_time=auth_time,
        dpop_jkt=request.dpop_jkt,
        amr=amr,
        sid=sid,
    )
    return code
