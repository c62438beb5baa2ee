"""GET/POST /oauth2/userinfo and GET /oauth2/jwks."""

from __future__ import annotations

import json

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from apps.keystores.selectors import keystore_jwks
from apps.oauth.dpop import DPoPError, dpop_challenge
from apps.oauth.errors import json_response
from apps.oauth.jose import signing_algorithm
from apps.oauth.userinfo import BearerError, access_token_credentials, userinfo_claims
from apps.oauth.views.common import cors_allow, cors_preflight


@csrf_exempt  # bearer-authenticated, no cookies involved
def userinfo(request: HttpRequest) -> HttpResponse:
    if request.method == "OPTIONS":
        return cors_preflight(request, "GET, POST")
    if request.method not in ("GET", "POST"):
        response = HttpResponse(status=405)
        response["Allow"] = "GET, POST"
        return response
    if request.organization is None:
        raise Http404
    try:
        scheme, raw = access_token_credentials(request)
        claims, application = userinfo_claims(request, scheme=scheme, raw=raw, organization=request.organization)
    except BearerError as exc:
        body = {"error": exc.error, "error_description": exc.description} if exc.error else {}
        return json_response(body, status=exc.status, headers={"WWW-Authenticate": exc.challenge()})
    except DPoPError as exc:  # RFC 9449 §7.1: 401 with a DPoP challenge carrying the error
        headers = {"WWW-Authenticate": dpop_challenge(exc.error, exc.description, realm="userinfo")}
        if exc.nonce:
            headers["DPoP-Nonce"] = exc.nonce
        body = {"error": exc.error, "error_description": exc.description}
        return json_response(body, status=401, headers=headers)
    return cors_allow(request, json_response(claims), tuple(application.allowed_origins.split()))


def jwks(request: HttpRequest) -> HttpResponse:
    if request.organization is None:
        raise Http404
    signing_algorithm(organization=request.organization)  # a tenant's first key is made on first use
    document = keystore_jwks(organization=request.organization, protocol="oauth")
    response = HttpResponse(json.dumps(document), content_type="application/json")
    response["Cache-Control"] = "public, max-age=60"
    response["Access-Control-Allow-Origin"] = "*"
    return response
