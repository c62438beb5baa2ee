"""The Console shell around every page: navigation, organization switcher,
and the NetBox-style "one URL, two renderings" rule for htmx."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _

from apps.console.access import console_access
from apps.console.selectors import console_subtree

SWITCHER_LIMIT = 200

# (section, label, url name, scopes that show the entry)
NAVIGATION = (
    ("dashboard", _("Overview"), "console:dashboard", ()),
    ("orgs", _("Organizations"), "console:org-list", ("internal_organization_view",)),
    ("org-discovery", _("Organization discovery"), "console:org-discovery", ("internal_organization_view",)),
    ("users", _("Users"), "console:user-list", ("internal_user_mgt_list",)),
    ("groups", _("Groups"), "console:group-list", ("internal_group_mgt_view",)),
    ("roles", _("Roles"), "console:role-list", ("internal_role_mgt_view",)),
    ("applications", _("Applications"), "console:application-list", ("internal_application_mgt_view",)),
    ("api-resources", _("API resources"), "console:api-resource-list", ("internal_api_resource_view",)),
    ("keystores", _("Keystores"), "console:keystore-list", ("internal_keystore_view",)),
    ("attributes", _("Attributes"), "console:attribute-list", ("internal_claim_meta_view",)),
    ("oidc-scopes", _("OIDC scopes"), "console:oidc-scope-list", ("internal_oidc_scope_mgt_view",)),
    ("webhooks", _("Webhooks"), "console:webhook-list", ("internal_webhook_view",)),
    ("connections", _("Connections"), "console:idp-list", ("internal_idp_view",)),
    ("login-settings", _("Login & registration"), "console:login-settings", ("internal_organization_view",)),
    ("flows", _("Flows"), "console:flow-list", ("internal_flow_mgt_view",)),
    (
        "notifications",
        _("Notifications"),
        "console:notification-email",
        ("internal_notification_sender_mgt_view",),
    ),
)


def wants_fragment(request: HttpRequest) -> bool:
    """True for an htmx swap; a boosted link or a history restore needs the whole page."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def _navigation(request: HttpRequest, section: str) -> list[dict[str, Any]]:
    access = console_access(request)
    return [
        {"label": label, "url": reverse(url_name), "active": key == section}
        for key, label, url_name, scopes in NAVIGATION
        if not scopes or access.can_any(scopes)
    ]


def _switcher(request: HttpRequest) -> list[dict[str, Any]]:
    tree = console_subtree(organization=request.user.organization, include_self=True, limit=SWITCHER_LIMIT)
    return [
        {
            "org": org,
            "url": f"{org.url_prefix}/console/",
            "level": min(level, 6),
            "current": org.pk == request.organization.pk,
        }
        for org, level in tree
    ]


def console_render(
    request: HttpRequest,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    section: str = "",
    fragment: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render a Console page, or only ``fragment`` when htmx asks for it."""
    context = dict(context or {})
    context["access"] = console_access(request)
    if fragment is not None and wants_fragment(request):
        response = render(request, fragment, context, status=status)
    else:
        context.update(
            nav=_navigation(request, section),
            switcher=_switcher(request),
            section=section,
        )
        response = render(request, template, context, status=status)
    if fragment is not None:
        patch_vary_headers(response, ["HX-Request"])
    return response
