"""What every token-style endpoint (token, introspect, revoke) shares: POST
only, a form body, parameters sent once, RFC 6749 §5.2 errors, no CSRF
(clients authenticate themselves; there is no cookie-bearing session here),
and CORS for browser apps: a response carries ``Access-Control-Allow-Origin``
only for an origin registered in the identified client's allowed origins.
Preflights are answered for any origin: they reveal nothing, and no cookies
are ever allowed (no ``Allow-Credentials``)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from apps.oauth.errors import OAuthError, error_response, invalid_client, invalid_request
from apps.oauth.ratelimit import oauth_failure_count, oauth_rate_check

# Parameters that may repeat: RFC 8707 ``resource`` and RFC 8693 ``audience``.
REPEATABLE = frozenset({"resource", "audience"})

View = Callable[[HttpRequest], HttpResponse]


def _check_form(request: HttpRequest) -> None:
    if request.content_type != "application/x-www-form-urlencoded":
        raise invalid_request("The request body must be application/x-www-form-urlencoded.")
    if request.GET:
        raise invalid_request("Parameters must be sent in the request body, not the query.")
    for name, values in request.POST.lists():
        if len(values) > 1 and name not in REPEATABLE:
            raise invalid_request(f"The parameter {name[:64]} was sent more than once.")
        if any("\x00" in value for value in values):
            raise invalid_request("Parameters must not contain NUL characters.")


def cors_preflight(request: HttpRequest, methods: str) -> HttpResponse:
    response = HttpResponse(status=204)
    origin = request.headers.get("Origin")
    if origin:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Methods"] = methods
        response["Access-Control-Allow-Headers"] = "Authorization, Content-Type, DPoP"
        response["Access-Control-Max-Age"] = "600"
        response["Vary"] = "Origin"
    return response


def cors_allow(request: HttpRequest, response: HttpResponse, allowed_origins: tuple[str, ...]) -> HttpResponse:
    origin = request.headers.get("Origin")
    if origin and origin in allowed_origins:
        response["Access-Control-Allow-Origin"] = origin
        # RFC 9449 §7.1, §8: browser clients must be able to read DPoP challenges and nonces.
        response["Access-Control-Expose-Headers"] = "WWW-Authenticate, DPoP-Nonce"
        response["Vary"] = "Origin"
    return response


def oauth_form_endpoint(view: View) -> View:
    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest) -> HttpResponse:
        response = _handle(request)
        client = getattr(request, "oauth_client", None)
        return cors_allow(request, response, client.allowed_origins) if client is not None else response

    def _handle(request: HttpRequest) -> HttpResponse:
        if request.method == "OPTIONS":
            return cors_preflight(request, "POST")
        if request.method != "POST":
            response = error_response(OAuthError("invalid_request", "Use POST.", status=405))
            response["Allow"] = "POST"
            return response
        try:
            if request.organization is None:
                raise OAuthError("invalid_request", "Unknown organization.", status=404)
            if not request.organization.is_active:
                raise invalid_client("The organization is disabled.")
            _check_form(request)
            oauth_rate_check(request)
            return view(request)
        except OAuthError as exc:
            oauth_failure_count(request, exc)
            return error_response(exc)

    return wrapper
