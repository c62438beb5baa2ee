"""OAuth error responses: RFC 6749 §5.2 JSON on the token-style endpoints.

Protocol modules raise ``OAuthError``; the views turn it into a response with
``error_response``. Nothing else about HTTP lives in the protocol modules."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class OAuthError(Exception):
    """An error the client is told about with RFC 6749 / 6750 / 8707 codes."""

    def __init__(
        self, error: str, description: str = "", *, status: int = 400, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status
        self.headers = headers or {}


def invalid_request(description: str) -> OAuthError:
    return OAuthError("invalid_request", description)


def invalid_grant(description: str) -> OAuthError:
    return OAuthError("invalid_grant", description)


def invalid_client(description: str = "Client authentication failed.") -> OAuthError:
    # RFC 6749 §5.2: 401 with a challenge for the scheme the client may use (RFC 7235 wants one on every 401).
    return OAuthError("invalid_client", description, status=401, headers={"WWW-Authenticate": 'Basic realm="oauth2"'})


def json_response(payload: dict[str, Any], *, status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    response = HttpResponse(json.dumps(payload, separators=(",", ":")), status=status, content_type="application/json")
    for name, value in {**NO_STORE, **(headers or {})}.items():
        response[name] = value
    return response


def error_response(exc: OAuthError) -> HttpResponse:
    payload = {"error": exc.error}
    if exc.description:
        payload["error_description"] = exc.description
    return json_response(payload, status=exc.status, headers=exc.headers)
