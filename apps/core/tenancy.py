"""Tenant resolution: ``request.organization`` from the URL, once per request.

URL shapes (WSO2's, so clients port over):

* ``/t/<root-handle>/...``            the root organization (tenant)
* ``/t/<root-handle>/o/<org-id>/...`` a sub-organization of that root
* ``/...``                            the default root organization (``root``)

The middleware strips the prefix from ``path_info`` so every app's URLconf is
written once, and sets the script prefix so ``reverse()`` produces URLs inside
the same tenant.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import get_script_prefix, set_script_prefix
from django.utils.translation import gettext as _

from apps.core import context

_TENANT_RE = re.compile(r"^/t/(?P<handle>[^/]+)(?:/o/(?P<org>[^/]+))?(?P<rest>/.*)?$")


def _not_found(request: HttpRequest, rest: str) -> HttpResponse:
    message = _("Organization not found.")
    if rest.startswith("/api/") or rest.startswith("/scim2/"):
        return JsonResponse(
            {
                "code": "ORG-60015",
                "message": message,
                "description": _("No organization matches the organization handle or id in the URL."),
                "traceId": context.current().request_id,
            },
            status=404,
        )
    return render(request, "errors/404.html", {"message": message}, status=404)


class TenantMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from apps.orgs.selectors import organization_get_in_root, organization_get_root_by_handle

        request.organization = None
        request.tenant_prefix = ""
        match = _TENANT_RE.match(request.path_info)
        if match:
            rest = match.group("rest") or "/"
            root = organization_get_root_by_handle(handle=match.group("handle"))
            if root is None:
                return _not_found(request, rest)
            organization = root
            prefix = f"/t/{root.handle}"
            if match.group("org"):
                try:
                    org_id = uuid.UUID(match.group("org"))
                except ValueError:
                    return _not_found(request, rest)
                organization = organization_get_in_root(root=root, organization_id=org_id)
                if organization is None:
                    return _not_found(request, rest)
                prefix += f"/o/{organization.id}"
            request.organization = organization
            request.tenant_prefix = prefix
            request.path_info = rest
        else:
            request.organization = organization_get_root_by_handle(handle=settings.IAM_DEFAULT_ROOT_HANDLE)

        previous_prefix = get_script_prefix()
        set_script_prefix(previous_prefix.rstrip("/") + request.tenant_prefix + "/")
        try:
            return self.get_response(request)
        finally:
            set_script_prefix(previous_prefix)
