"""Discovery: OIDC ``{issuer}/.well-known/openid-configuration`` and RFC 8414
``/.well-known/oauth-authorization-server{issuer path}`` (path insertion),
plus the variants MCP clients try (``/.well-known/openid-configuration{path}``
and the bare documents of the default tenant)."""

from __future__ import annotations

import re
import uuid

from django.http import HttpRequest, HttpResponse, JsonResponse

from apps.oauth.metadata import server_metadata
from apps.orgs.selectors import organization_get_in_root, organization_get_root_by_handle

_ISSUER_PATH = re.compile(r"^(?:t/(?P<handle>[^/]+)(?:/o/(?P<org>[^/]+))?/)?oauth2/token/?$")


def _document(organization: object) -> HttpResponse:
    response = JsonResponse(server_metadata(organization))
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _not_found() -> HttpResponse:
    return JsonResponse({"error": "not_found", "error_description": "No such issuer."}, status=404)


def openid_configuration(request: HttpRequest) -> HttpResponse:
    """The tenant's own document (``/t/<handle>/oauth2/token/.well-known/...`` or ``/t/<handle>/.well-known/...``)."""
    if request.organization is None:
        return _not_found()
    return _document(request.organization)


def metadata_for_issuer_path(request: HttpRequest, issuer_path: str) -> HttpResponse:
    """RFC 8414 §3.1 path insertion: the issuer's path follows the well-known segment."""
    match = _ISSUER_PATH.match(issuer_path)
    if match is None or request.tenant_prefix:
        return _not_found()
    if match.group("handle") is None:
        organization = request.organization
    else:
        organization = organization_get_root_by_handle(handle=match.group("handle"))
        if organization is not None and match.group("org"):
            try:
                org_id = uuid.UUID(match.group("org"))
            except ValueError:
                return _not_found()
            organization = organization_get_in_root(root=organization, organization_id=org_id)
    if organization is None:
        return _not_found()
    return _document(organization)
