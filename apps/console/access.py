"""Who may use the Console, and on which organization.

Two checks, in this order, on every Console page:

1. The signed-in user is active and belongs to ``request.organization`` or one
   of its ancestors (a user of ``acme`` is a stranger on ``/t/root/...``).
   Failing this sends the browser to the login page of the current tenant.
2. The user's roles grant the scope the page needs. Inside a
   sub-organization the ``internal_org_*`` twin of a scope counts as well,
   the same rule the management API applies. Failing this is a 403 page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django_htmx.http import HttpResponseClientRedirect

from apps.core.scopes import scope_granted
from apps.users.selectors import user_scope_names


# Scopes that make the Console worth opening: any management permission.
def console_scopes() -> frozenset[str]:
    """Holding any scope a Console page needs (its navigation entry) opens the Console: one list,
    ``apps.console.rendering.NAVIGATION``, so a new page never forgets to let its users in."""
    from apps.console.rendering import NAVIGATION

    return frozenset(scope for *_entry, scopes in NAVIGATION for scope in scopes)


@dataclass(frozen=True)
class ConsoleAccess:
    """What the signed-in user may do in the Console of ``request.organization``."""

    granted: frozenset[str]
    in_sub_organization: bool

    def can(self, scope: str) -> bool:
        return scope_granted(self.granted, scope, in_sub_organization=self.in_sub_organization)

    def can_any(self, scopes: Iterable[str]) -> bool:
        return any(self.can(scope) for scope in scopes)

    @property
    def may_enter(self) -> bool:
        return self.can_any(console_scopes())


NO_ACCESS = ConsoleAccess(granted=frozenset(), in_sub_organization=False)


def user_manages_organization(user: Any, organization: Any) -> bool:
    """An active user of ``organization`` or of one of its ancestors."""
    if organization is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.organization.is_ancestor_or_self_of(organization)


def access_for(user: Any, organization: Any) -> ConsoleAccess:
    """What ``user`` may do in the Console of ``organization`` (nothing outside its tree)."""
    if not user_manages_organization(user, organization):
        return NO_ACCESS
    return ConsoleAccess(granted=user_scope_names(user=user), in_sub_organization=not organization.is_root)


def console_access(request: HttpRequest) -> ConsoleAccess:
    cached = getattr(request, "_console_access", None)
    if cached is None:
        cached = request._console_access = access_for(request.user, request.organization)
    return cached


def login_redirect(request: HttpRequest, login_url: str) -> HttpResponse:
    """To the login page; an htmx swap (say, after the session expired) reloads the whole page there."""
    response = redirect_to_login(request.get_full_path(), login_url)
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(response["Location"])
    return response


def forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "console/forbidden.html", status=403)


def console_view(*scopes: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Guard a Console view: sign-in within this organization's tree, then any of ``scopes``.

    Without ``scopes`` any Console permission will do (the dashboard)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not user_manages_organization(request.user, request.organization):
                return login_redirect(request, reverse("console:login"))
            access = console_access(request)
            allowed = access.can_any(scopes) if scopes else access.may_enter
            response = view(request, *args, **kwargs) if allowed else forbidden(request)
            add_never_cache_headers(response)  # administrative data stays out of shared caches
            return response

        return wrapper

    return decorator
