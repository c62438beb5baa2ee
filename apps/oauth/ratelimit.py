"""Rate limits of the token-style endpoints (token, introspect, revoke, PAR, device authorization).

Only failures count: per client IP every failed client authentication and every
refused grant (``invalid_client``, ``invalid_grant``: guessing secrets, codes,
refresh tokens or device codes), and per ``client_id`` every failed client
authentication (RFC 6749 §2.3 secrets guessed from many addresses). A request
is refused with 429 and ``Retry-After`` while its IP or the client it names is
over the limit, even with the right secret, so the attacker cannot tell when a
guess would have worked.

The check costs one cache operation (``rate_limited_any``: one Redis MGET for
both subjects); counting happens only on the failure path. The counters live in
Django's cache, which is Redis in production (``IAM_CACHE_URL``), so every web
process counts together.

RFC 6749 §5.2 has no error code for "too many requests" (``slow_down`` is the
device flow's polling signal, RFC 8628 §3.5): the body is ``invalid_request``
with a description, the status 429 and ``Retry-After`` as RFC 6585 §4 says."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote_plus

from django.conf import settings
from django.http import HttpRequest

from apps.authn.ratelimit import rate_count, rate_limited_any
from apps.core import context
from apps.oauth.errors import OAuthError

SCOPE_IP = "oauth-ip"
SCOPE_CLIENT = "oauth-client"
COUNTED_PER_IP = frozenset({"invalid_client", "invalid_grant"})
COUNTED_PER_CLIENT = frozenset({"invalid_client"})


def _named_client_id(request: HttpRequest) -> str:
    """The client id the request names (Basic user name or ``client_id``), unauthenticated, for counting."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return ""
        return unquote_plus(decoded.partition(":")[0])[:100]
    return request.POST.get("client_id", "")[:100]


def _subjects(request: HttpRequest) -> tuple[str, str]:
    ip = context.current().ip or request.META.get("REMOTE_ADDR", "") or ""
    client_id = _named_client_id(request)
    organization = getattr(request, "organization", None)
    client_key = f"{getattr(organization, 'pk', '')}:{client_id}" if client_id else ""
    return ip, client_key


def oauth_rate_check(request: HttpRequest) -> None:
    """Raise a 429 ``OAuthError`` while this request's IP or named client is over its failure limit."""
    ip, client_key = _subjects(request)
    wait = rate_limited_any(
        [
            (SCOPE_IP, ip, tuple(settings.IAM_OAUTH_FAILURE_RATE_PER_IP)),
            (SCOPE_CLIENT, client_key, tuple(settings.IAM_OAUTH_FAILURE_RATE_PER_CLIENT)),
        ]
    )
    if wait:
        raise OAuthError(
            "invalid_request",
            f"Too many failed requests from this address or for this client; retry after {wait} seconds.",
            status=429,
            headers={"Retry-After": str(wait)},
        )


def oauth_failure_count(request: HttpRequest, error: OAuthError) -> None:
    """Count a failed request against its IP and, for a failed client authentication, its client."""
    if error.error not in COUNTED_PER_IP:
        return
    ip, client_key = _subjects(request)
    if ip:
        rate_count(SCOPE_IP, ip, tuple(settings.IAM_OAUTH_FAILURE_RATE_PER_IP))
    if client_key and error.error in COUNTED_PER_CLIENT:
        rate_count(SCOPE_CLIENT, client_key, tuple(settings.IAM_OAUTH_FAILURE_RATE_PER_CLIENT))
