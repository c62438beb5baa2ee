"""One error shape for every management API: ``{code, message, description, traceId}``."""

from __future__ import annotations

import logging
from typing import Any

from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import set_rollback

from apps.core import context
from apps.core.errors import DomainError

log = logging.getLogger(__name__)


def error_body(code: str, message: str, description: str = "") -> dict[str, str]:
    return {
        "code": code,
        "message": message,
        "description": description or message,
        "traceId": context.current().request_id,
    }


def _flatten(detail: Any, prefix: str = "") -> list[str]:
    if isinstance(detail, dict):
        out: list[str] = []
        for key, value in detail.items():
            name = key if key != "non_field_errors" else ""
            out += _flatten(value, f"{prefix}{name}: " if name else prefix)
        return out
    if isinstance(detail, list):
        return [m for item in detail for m in _flatten(item, prefix)]
    return [f"{prefix}{detail}"]


_MISSING_CODES = frozenset({"required", "null", "blank"})


def _codes(detail: Any) -> set[str]:
    if isinstance(detail, dict):
        return {code for value in detail.values() for code in _codes(value)}
    if isinstance(detail, list):
        return {code for item in detail for code in _codes(item)}
    return {str(getattr(detail, "code", "invalid"))}


def _validation_code(prefix: str, detail: Any) -> str:
    """``-60002`` (required field missing) when every problem is a missing value, else ``-60001``."""
    codes = _codes(detail)
    return f"{prefix}-60002" if codes and codes <= _MISSING_CODES else f"{prefix}-60001"


def api_exception_handler(exc: Exception, ctx: dict[str, Any]) -> Response | None:
    view = ctx.get("view")
    prefix = getattr(view, "error_prefix", "API")
    headers: dict[str, str] = {}
    if isinstance(exc, DomainError):
        status, body = exc.status, error_body(exc.code, exc.message, exc.description)
    elif isinstance(exc, exceptions.ParseError):
        status, body = 400, error_body(f"{prefix}-60001", _("Invalid request body."), str(exc.detail))
    elif isinstance(exc, RecursionError):
        # In practice only a request body nested thousands of levels deep gets
        # here (from the JSON parser); it is the client's input, not our fault.
        log.warning("API request nested too deeply", exc_info=True)
        status = 400
        body = error_body(f"{prefix}-60001", _("Invalid request body."), _("The JSON is nested too deeply."))
    elif isinstance(exc, exceptions.ValidationError):
        status = 400
        body = error_body(_validation_code(prefix, exc.detail), _("Invalid request."), "; ".join(_flatten(exc.detail)))
    elif isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        status = 401
        body = error_body("AUT-60001", _("Authentication required."), str(exc.detail))
        request = ctx.get("request")
        authenticator = getattr(request, "_authenticator", None) or (
            request.authenticators[0] if request is not None and request.authenticators else None
        )
        if authenticator is not None and hasattr(authenticator, "authenticate_header"):
            headers["WWW-Authenticate"] = authenticator.authenticate_header(request)
    elif isinstance(exc, exceptions.PermissionDenied):
        status, body = 403, error_body("AUT-60003", _("Operation is not permitted."), str(exc.detail))
    elif isinstance(exc, (exceptions.NotFound, Http404)):
        status, body = 404, error_body(f"{prefix}-60015", _("Resource not found."))
    elif isinstance(exc, exceptions.MethodNotAllowed):
        status, body = 405, error_body(f"{prefix}-60405", _("Method not allowed."), str(exc.detail))
    elif isinstance(exc, exceptions.UnsupportedMediaType):
        status, body = 415, error_body(f"{prefix}-60415", _("Unsupported media type."), str(exc.detail))
    elif isinstance(exc, exceptions.APIException):
        status, body = exc.status_code, error_body(f"{prefix}-6{exc.status_code:04d}", str(exc.detail))
    else:
        log.exception("unhandled API error")
        status, body = 500, error_body(f"{prefix}-65001", _("Unexpected server error."))
    set_rollback()
    return Response(body, status=status, headers=headers)


def api_not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse(error_body("API-60015", _("Resource not found.")), status=404)


def api_server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse(error_body("API-65001", _("Unexpected server error.")), status=500)
