"""Organization login on the root's login page: "Sign in with organization" (WSO2's Organization SSO).

The user names their organization (handle, name or email address, or picks it from a list of the
organizations the application is shared with), and the browser is sent to the *same* authorize
request at ``/t/<root>/o/<org-id>/oauth2/authorize``, where the organization's own users sign in.
The authorize endpoint also accepts WSO2's discovery parameters: ``fidp=OrganizationSSO`` (show the
discovery page), ``orgId``, ``orgHandle``, ``org`` (name), and ``orgDiscoveryType=emailDomain`` with
``login_hint``; a discovery parameter alone is enough (WSO2's enhanced organization authentication)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from apps.orgs.discovery import discovery_config_get, organization_discover, organizations_for_picker
from apps.orgs.models import Organization

FIDP = "OrganizationSSO"
DISCOVERY_PARAMS = ("fidp", "orgId", "orgHandle", "org", "orgDiscoveryType")
MAX_IDENTIFIER = 320


def _client(client_id: str, organization: Organization) -> Any | None:
    """The root's application, when it is shared with at least one organization."""
    from apps.oauth.clients import client_get

    client = client_get(client_id) if client_id else None
    if client is None or client.organization_id != organization.pk or not client.shared_with:
        return None
    return client


def _authorize_query(next_url: str) -> QueryDict | None:
    """The query of an authorize request of this root (the only ``next`` organization login follows)."""
    try:
        parts = urlsplit(next_url)
    except ValueError:
        return None
    if parts.scheme or parts.netloc or not parts.path.endswith("/oauth2/authorize"):
        return None
    return QueryDict(parts.query)


def organization_authorize_url(organization: Organization, query: QueryDict, *, login_hint: str = "") -> str:
    """The same authorize request, in ``organization``, without the discovery parameters."""
    moved = query.copy()
    for name in DISCOVERY_PARAMS:
        moved.pop(name, None)
    if login_hint:
        moved["login_hint"] = login_hint
    return f"{organization.url_prefix}/oauth2/authorize?{moved.urlencode()}"


def organization_login_url(request: HttpRequest, flow: Any) -> str:
    """The login page's "Sign in with organization" link, when the application is shared."""
    organization = request.organization
    if organization is None or not organization.is_root or not flow.next_url:
        return ""
    query = _authorize_query(flow.next_url)
    if query is None or _client(query.get("client_id", ""), organization) is None:
        return ""
    return f"{reverse('authn:organization-login')}?{urlencode({'next': flow.next_url})}"


def _page(request: HttpRequest, *, next_url: str, client: Any, error: str = "", status: int = 200) -> HttpResponse:
    root = request.organization
    config = discovery_config_get(organization=root)
    context = {
        "organization": root,
        "next": next_url,
        "error": error,
        "ask_handle": config["orgHandle.enable"] or config["defaultParam"] == "orgName",
        "ask_name": config["defaultParam"] == "orgName",
        "ask_email": config["emailDomain.enable"],
        "picker": organizations_for_picker(root=root, shared_with=client.shared_with),
        "application_name": client.name,
    }
    return render(request, "authn/organization_login.html", context, status=status)


def _not_found(request: HttpRequest, *, next_url: str, client: Any) -> HttpResponse:
    message = _("No organization matches, or this application is not available to it.")
    return _page(request, next_url=next_url, client=client, error=message, status=400)


@never_cache
@require_http_methods(["GET", "POST"])
def organization_login(request: HttpRequest) -> HttpResponse:
    """GET: ask for the organization; POST: find it and continue the sign-in there."""
    root = request.organization
    if root is None or not root.is_root:
        return render(
            request, "authn/error.html", {"organization": root, "description": _("Not available here.")}, status=404
        )
    next_url = (request.POST.get("next") or request.GET.get("next") or "")[:4096]
    query = _authorize_query(next_url)
    client = _client(query.get("client_id", ""), root) if query is not None else None
    if client is None:
        description = _("Organization sign-in is available only from an application's sign-in page.")
        return render(request, "authn/error.html", {"organization": root, "description": description}, status=400)
    if request.method == "GET":
        return _page(request, next_url=next_url, client=client)
    identifier = request.POST.get("identifier", "").strip()[:MAX_IDENTIFIER]
    picked = request.POST.get("organization", "").strip()[:64]
    email = identifier if "@" in identifier else ""
    found = organization_discover(
        root=root,
        org_id=picked,
        email=email,
        handle="" if picked or email else identifier,
        shared_with=client.shared_with,
    )
    if found is None and not picked and not email and identifier:
        found = organization_discover(root=root, name=identifier, shared_with=client.shared_with)
    if found is None:
        return _not_found(request, next_url=next_url, client=client)
    return redirect(organization_authorize_url(found, query, login_hint=email))


def authorize_discovery(request: HttpRequest, params: QueryDict, client: Any) -> HttpResponse | None:
    """For the root's authorize endpoint: follow WSO2's discovery parameters, or None to go on."""
    root = request.organization
    if root is None or not root.is_root or params.get("request_uri") or not client.shared_with:
        return None
    by_email = params.get("orgDiscoveryType") == "emailDomain"
    named = {name: params.get(name, "")[:MAX_IDENTIFIER] for name in ("orgId", "orgHandle", "org")}
    if params.get("fidp") != FIDP and not any(named.values()) and not by_email:
        return None
    email = params.get("login_hint", "")[:MAX_IDENTIFIER] if by_email else ""
    query = params.copy()
    for name in DISCOVERY_PARAMS:
        query.pop(name, None)
    next_url = f"{request.path}?{query.urlencode()}"
    if not any(named.values()) and not email:  # fidp alone: ask the user
        return redirect(f"{reverse('authn:organization-login')}?{urlencode({'next': next_url})}")
    found = organization_discover(
        root=root,
        org_id=named["orgId"],
        handle=named["orgHandle"],
        name=named["org"],
        email=email,
        shared_with=client.shared_with,
    )
    if found is None:
        return _not_found(request, next_url=next_url, client=client)
    return redirect(organization_authorize_url(found, params, login_hint=email))
