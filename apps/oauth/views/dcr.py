"""POST /oauth2/register: dynamic client registration (RFC 7591), per tenant.

JSON in, JSON out (201 with the client's credentials and metadata, or an
RFC 7591 §3.2.2 error). With ``IAM_DCR_MODE=initial-access-token`` the request
carries ``Authorization: Bearer <token>``, an access token of this
organization with the ``internal_dcr_create`` scope; RFC 6750 errors answer a
missing, invalid or insufficient one. Browsers may call it from any origin:
it uses no cookies, so CORS allows ``*``."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from apps.applications.models import Application
from apps.oauth import store
from apps.oauth.dcr import (
    DCR_SCOPE,
    MODE_INITIAL_ACCESS_TOKEN,
    MODE_OFF,
    client_metadata_parse,
    dcr_mode,
    dcr_register,
)
from apps.oauth.errors import OAuthError, error_response, json_response
from apps.users.models import User

MAX_BODY_BYTES = 65_536
_CHALLENGE = 'Bearer realm="register"'


def _bearer_error(error: str, description: str, status: int) -> OAuthError:
    challenge = f'{_CHALLENGE}, error="{error}", error_description="{description}"' if error else _CHALLENGE
    return OAuthError(error or "invalid_token", description, status=status, headers={"WWW-Authenticate": challenge})


def _initial_access_actor(request: HttpRequest, organization: Any) -> Any:
    """Who registers: the user or application the initial access token was issued to."""
    scheme, _, raw = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if not raw.strip() or scheme.lower() != "bearer":
        raise _bearer_error("", "An initial access token is required.", 401)
    record = store.access_token_record(raw.strip())
    if (
        record is None
        or record.expires <= timezone.now()
        or record.organization_id != organization.id
        or (record.user_id is not None and record.user_state != User.State.ACTIVE)
    ):
        raise _bearer_error("invalid_token", "The initial access token is invalid or expired.", 401)
    if record.jkt:  # RFC 9449 §7.2: a DPoP-bound token is never accepted as a bearer token
        raise _bearer_error("invalid_token", "A DPoP-bound token cannot be used as an initial access token.", 401)
    if DCR_SCOPE not in record.scope.split():
        raise _bearer_error("insufficient_scope", f"The token lacks the {DCR_SCOPE} scope.", 403)
    if record.user_id is not None:
        return User.objects.get(pk=record.user_id)
    return Application.objects.get(pk=record.application_id)


def _with_cors(response: HttpResponse) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Expose-Headers"] = "WWW-Authenticate, Retry-After"
    return response


def _preflight() -> HttpResponse:
    response = HttpResponse(status=204)
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Allow-Methods"] = "POST"
    response["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
    response["Access-Control-Max-Age"] = "600"
    return response


def _handle(request: HttpRequest) -> HttpResponse:
    organization = request.organization
    if organization is None or dcr_mode() == MODE_OFF:
        raise OAuthError("invalid_request", "Dynamic client registration is not available here.", status=404)
    if request.method == "OPTIONS":
        return _preflight()
    if request.method != "POST":
        raise OAuthError("invalid_request", "Use POST.", status=405, headers={"Allow": "POST"})
    if not organization.is_active:
        raise OAuthError("invalid_request", "The organization is disabled.", status=403)
    actor = _initial_access_actor(request, organization) if dcr_mode() == MODE_INITIAL_ACCESS_TOKEN else None
    if request.content_type != "application/json":
        raise OAuthError("invalid_client_metadata", "The request body must be application/json.")
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isdigit() or int(declared) > MAX_BODY_BYTES or len(request.body) > MAX_BODY_BYTES:
        raise OAuthError("invalid_client_metadata", "The request body is too large.", status=413)
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise OAuthError("invalid_client_metadata", "The request body is not valid JSON.") from exc
    metadata = client_metadata_parse(body)
    return json_response(dcr_register(organization=organization, actor=actor, metadata=metadata), status=201)


@csrf_exempt  # no cookies: registration is open or bearer-authenticated
def register(request: HttpRequest) -> HttpResponse:
    try:
        response = _handle(request)
    except OAuthError as exc:
        response = error_response(exc)
    return _with_cors(response)
