"""Pushed authorization requests (RFC 9126).

A client POSTs its authorization request to ``/oauth2/par``, authenticated as
at the token endpoint; the request is validated exactly as the authorize
endpoint would (same parser, same errors, as JSON) and stored; the response
is a ``request_uri`` valid for ``IAM_PAR_LIFETIME_SECONDS``. The browser then
goes to ``/oauth2/authorize?client_id=...&request_uri=...`` and only the
pushed parameters count.

* The first authorize visit binds the pushed request to that browser session
  and extends it to ``IAM_PAR_SIGN_IN_SECONDS`` (the user may have to sign in
  and consent); another browser presenting it is refused. The code or error
  response that ends the request deletes it: a ``request_uri`` is used once.
* A DPoP proof sent with the push binds the code to that key
  (``dpop_jkt``, RFC 9449 §10.1); a ``dpop_jkt`` parameter must match it.
* ``IAM_PAR_REQUIRED``: the authorize endpoint then refuses requests that were
  not pushed (``require_pushed_authorization_requests`` in the metadata).
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.http import HttpRequest, QueryDict
from django.utils import timezone

from apps.oauth.authorize import AuthorizeError, AuthorizeFatal, authorization_request_parse
from apps.oauth.clients import AuthenticatedClient
from apps.oauth.errors import OAuthError, invalid_request
from apps.oauth.models import PushedAuthorizationRequest

REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"
_CLIENT_AUTH_PARAMETERS = ("client_secret", "client_assertion", "client_assertion_type")
_SESSION_KEY = "oauth_par_bindings"
_MAX_BINDINGS = 20


def _checksum(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def push_lifetime() -> int:
    return int(getattr(settings, "IAM_PAR_LIFETIME_SECONDS", 60))


def par_required() -> bool:
    return bool(getattr(settings, "IAM_PAR_REQUIRED", False))


def par_push(*, params: QueryDict, authenticated: AuthenticatedClient, organization: Any) -> dict[str, Any]:
    """Validate and store a pushed authorization request; the RFC 9126 §2.2 response body."""
    client = authenticated.client
    if "request_uri" in params:
        raise invalid_request("request_uri must not be pushed.")
    if "request" in params:
        raise OAuthError("request_not_supported", "Request objects are not supported; push the parameters.")
    if params.get("client_id", client.client_id) != client.client_id:
        raise invalid_request("client_id does not match the authenticated client.")
    stored = params.copy()
    for name in _CLIENT_AUTH_PARAMETERS:
        stored.pop(name, None)
    stored["client_id"] = client.client_id
    proof = authenticated.dpop
    if proof is not None:
        if stored.get("dpop_jkt", proof.jkt) != proof.jkt:
            raise invalid_request("dpop_jkt does not match the key of the DPoP proof.")
        stored["dpop_jkt"] = proof.jkt
    try:
        authorization_request_parse(stored, organization=organization)
    except AuthorizeFatal as exc:
        raise invalid_request(exc.description) from None
    except AuthorizeError as exc:
        raise OAuthError(exc.error, exc.description) from None
    raw = secrets.token_urlsafe(32)
    lifetime = push_lifetime()
    PushedAuthorizationRequest.objects.create(
        request_uri_checksum=_checksum(raw),
        application_id=client.id,
        parameters={name: values for name, values in stored.lists()},
        expires=timezone.now() + datetime.timedelta(seconds=lifetime),
    )
    return {"request_uri": REQUEST_URI_PREFIX + raw, "expires_in": lifetime}


def _browser_binding(request: HttpRequest, checksum: str) -> str:
    """A random value for this pushed request, kept in the browser's session (created if needed)."""
    bindings = dict(request.session.get(_SESSION_KEY) or {})
    value = bindings.get(checksum)
    if not isinstance(value, str):
        value = secrets.token_urlsafe(24)
        bindings[checksum] = value
        while len(bindings) > _MAX_BINDINGS:
            bindings.pop(next(iter(bindings)))
        request.session[_SESSION_KEY] = bindings
    return value


def par_resolve(request: HttpRequest, params: QueryDict) -> QueryDict:
    """The parameters of an authorization request: the pushed ones when ``request_uri`` is given."""
    uri = params.get("request_uri")
    if uri is None:
        if par_required():
            raise AuthorizeFatal("This server accepts pushed authorization requests only (RFC 9126).")
        return params
    if not uri.startswith(REQUEST_URI_PREFIX) or len(uri) > 256:
        raise AuthorizeFatal("The request_uri was not issued by this server.")
    checksum = _checksum(uri[len(REQUEST_URI_PREFIX) :])
    now = timezone.now()
    row = (
        PushedAuthorizationRequest.objects.select_related("application")
        .filter(request_uri_checksum=checksum, expires__gt=now)
        .first()
    )
    if row is None or row.application.client_id != params.get("client_id"):
        raise AuthorizeFatal("The request_uri is unknown, used or expired.")
    binding = _checksum(_browser_binding(request, checksum))
    if not row.browser_binding:
        sign_in = int(getattr(settings, "IAM_PAR_SIGN_IN_SECONDS", 600))
        claimed = PushedAuthorizationRequest.objects.filter(pk=row.pk, browser_binding="").update(
            browser_binding=binding, expires=now + datetime.timedelta(seconds=sign_in)
        )
        if not claimed:  # another browser got there first
            raise AuthorizeFatal("The request_uri is unknown, used or expired.")
    elif row.browser_binding != binding:
        raise AuthorizeFatal("The request_uri is unknown, used or expired.")
    resolved = QueryDict(mutable=True)
    for name, values in row.parameters.items():
        resolved.setlist(name, [str(value) for value in values])
    return resolved


def par_consume(params: QueryDict) -> None:
    """The authorization request ended (code or error sent): its request_uri is used up."""
    uri = params.get("request_uri")
    if uri and uri.startswith(REQUEST_URI_PREFIX):
        PushedAuthorizationRequest.objects.filter(
            request_uri_checksum=_checksum(uri[len(REQUEST_URI_PREFIX) :])
        ).delete()
