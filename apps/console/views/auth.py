"""Console sign-in and sign-out, and the dashboard."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from apps.authn.services.sessions import sso_logout
from apps.authn.views import login as portal_login
from apps.console.access import console_access, console_view
from apps.console.rendering import console_render
from apps.console.selectors import console_counts


def safe_next_url(request: HttpRequest) -> str:
    """The ``next`` parameter when it points back into this site, else ''."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return candidate if allowed else ""


@sensitive_post_parameters("password")
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    """Signing in happens in the login portal; a form POSTed here is completed there."""
    if request.organization is None:
        raise Http404
    next_url = safe_next_url(request)
    if request.method == "POST":
        return portal_login(request, default_next=reverse("console:dashboard"))
    if console_access(request).may_enter:
        return redirect(next_url or reverse("console:dashboard"))
    return redirect(f"{reverse('authn:login')}?{urlencode({'next': next_url or reverse('console:dashboard')})}")


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    sso_logout(request)
    return redirect("console:login")


# (count key, label, url name, scope that shows the card)
_DASHBOARD_CARDS = (
    ("organizations", _lazy("Sub-organizations"), "console:org-list", "internal_organization_view"),
    ("users", _lazy("Users"), "console:user-list", "internal_user_mgt_list"),
    ("groups", _lazy("Groups"), "console:group-list", "internal_group_mgt_view"),
    ("roles", _lazy("Roles"), "console:role-list", "internal_role_mgt_view"),
)


@console_view()
def dashboard(request: HttpRequest) -> HttpResponse:
    access = console_access(request)
    counts = console_counts(organization=request.organization)
    cards = [
        {"label": label, "count": counts[key], "url": reverse(url_name)}
        for key, label, url_name, scope in _DASHBOARD_CARDS
        if access.can(scope)
    ]
    return console_render(request, "console/dashboard.html", {"cards": cards}, section="dashboard")
