"""Scope checks: a view lists the scopes each HTTP method needs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework.permissions import BasePermission

from apps.core.scopes import any_scope_granted

if TYPE_CHECKING:
    from rest_framework.request import Request


class HasRequiredScopes(BasePermission):
    """Grants access when the caller holds any of ``view.required_scopes[METHOD]``.

    A view that forgets to declare scopes for a method is closed, not open."""

    def has_permission(self, request: Request, view: Any) -> bool:
        from apps.core.api.authentication import Grant

        grant = request.auth
        if not isinstance(grant, Grant):
            return False  # DRF turns this into 401 when unauthenticated
        required = getattr(view, "required_scopes", {}).get(request.method)
        if required is None and request.method == "HEAD":
            required = getattr(view, "required_scopes", {}).get("GET")
        if not required:
            return False
        organization = request.organization
        in_sub_organization = organization is not None and not organization.is_root
        return any_scope_granted(grant.scopes, required, in_sub_organization=in_sub_organization)
