"""Scope checks: a view lists the scopes each HTTP method needs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework.permissions import BasePermission

if TYPE_CHECKING:
    from rest_framework.request import Request


def _with_org_twins(scopes: list[str]) -> set[str]:
    """``internal_x`` is also satisfied by its ``internal_org_x`` twin inside sub-organizations."""
    return set(scopes) | {s.replace("internal_", "internal_org_", 1) for s in scopes if s.startswith("internal_")}


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
        return bool(grant.scopes & _with_org_twins(required))
