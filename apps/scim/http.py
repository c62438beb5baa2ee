"""The HTTP side of SCIM: media types, authentication and scope checks (the management APIs'
classes), the RFC 7644 error body for every failure, paging and ETag preconditions."""

from __future__ import annotations

import logging
from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView, set_rollback

from apps.core.api.authentication import Grant
from apps.core.api.permissions import HasRequiredScopes
from apps.core.errors import DomainError
from apps.core.scopes import any_scope_granted, scope_granted
from apps.scim.context import ScimContext
from apps.scim.errors import ScimError, error_body, from_domain_error, invalid_value

log = logging.getLogger(__name__)

SCIM_MEDIA_TYPE = "application/scim+json"


class ScimRenderer(JSONRenderer):
    media_type = SCIM_MEDIA_TYPE


class ScimParser(JSONParser):
    media_type = SCIM_MEDIA_TYPE


def scim_exception_handler(exc: Exception, ctx: dict[str, Any]) -> Response:
    headers: dict[str, str] = {}
    if isinstance(exc, DomainError):
        exc = from_domain_error(exc)
    if isinstance(exc, ScimError):
        status, body = exc.status, exc.body()
    elif isinstance(exc, exceptions.ParseError):
        status, body = 400, error_body(400, f"Invalid JSON: {exc.detail}", "invalidSyntax")
    elif isinstance(exc, RecursionError):
        status, body = 400, error_body(400, "The JSON is nested too deeply.", "invalidSyntax")
    elif isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        status, body = 401, error_body(401, str(exc.detail))
        request = ctx.get("request")
        authenticator = getattr(request, "_authenticator", None) or (
            request.authenticators[0] if request is not None and request.authenticators else None
        )
        if authenticator is not None:
            headers["WWW-Authenticate"] = authenticator.authenticate_header(request)
    elif isinstance(exc, exceptions.PermissionDenied):
        status, body = 403, error_body(403, str(exc.detail))
    elif isinstance(exc, (exceptions.NotFound, Http404)):
        status, body = 404, error_body(404, _("Resource not found."))
    elif isinstance(exc, exceptions.APIException):
        status, body = exc.status_code, error_body(exc.status_code, str(exc.detail))
    else:
        log.exception("unhandled SCIM error")
        status, body = 500, error_body(500, _("Unexpected server error."))
    set_rollback()
    return Response(body, status=status, headers=headers, content_type=SCIM_MEDIA_TYPE)


class ScimScopes(HasRequiredScopes):
    """``view.required_scopes`` per method, as for the management APIs."""

    message = _("The access token does not hold the scope this operation needs.")


class ScimView(APIView):
    """Base of every /scim2 endpoint. Not part of the management API's OpenAPI document."""

    schema = None
    parser_classes = [ScimParser, JSONParser]
    renderer_classes = [ScimRenderer, JSONRenderer]
    permission_classes = [ScimScopes]
    required_scopes: dict[str, list[str]] = {}

    def get_exception_handler(self) -> Any:
        return scim_exception_handler

    def permission_denied(self, request: Request, message: str | None = None, code: str | None = None) -> None:
        if request.authenticators and not request.successful_authenticator:
            raise exceptions.NotAuthenticated(_("Authentication credentials were not provided."))
        raise exceptions.PermissionDenied(message or ScimScopes.message)

    def scim_context(self, request: Request) -> ScimContext:
        base = request.build_absolute_uri(f"{request.tenant_prefix}/scim2")
        return ScimContext(organization=request.organization, actor=request.user, base_url=base)

    def body(self, request: Request) -> Any:
        data = request.data
        if not isinstance(data, dict):
            raise ScimError(400, "The request body must be a JSON object.", "invalidSyntax")
        return data


def grant_has(request: Request, scopes: tuple[str, ...] | list[str]) -> bool:
    grant = request.auth
    if not isinstance(grant, Grant):
        return False
    in_sub = request.organization is not None and not request.organization.is_root
    return any_scope_granted(grant.scopes, scopes, in_sub_organization=in_sub)


def grant_has_one(request: Request, scope: str) -> bool:
    grant = request.auth
    in_sub = request.organization is not None and not request.organization.is_root
    return isinstance(grant, Grant) and scope_granted(grant.scopes, scope, in_sub_organization=in_sub)


# --- paging and sorting -------------------------------------------------------------------


def int_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise invalid_value(f"{name} must be an integer.") from exc


# --- ETags (RFC 7232 as RFC 7644 §3.14 uses them) ---------------------------------------------


def _tags(header: str) -> list[str]:
    return [t.strip().removeprefix("W/") for t in header.split(",") if t.strip()]


def check_if_match(request: Request, version: str) -> None:
    """A write whose If-Match names another version fails with 412."""
    header = request.META.get("HTTP_IF_MATCH")
    if not header:
        return
    tags = _tags(header)
    if "*" in tags or version.removeprefix("W/") in tags:
        return
    raise ScimError(412, "The resource has changed since the version in If-Match (Precondition Failed).")


def not_modified(request: Request, version: str) -> bool:
    header = request.META.get("HTTP_IF_NONE_MATCH")
    if not header:
        return False
    tags = _tags(header)
    return "*" in tags or version.removeprefix("W/") in tags
