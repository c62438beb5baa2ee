"""Organization discovery in the Console: the root turns the ways on (handle or name, email domain,
picker) and sees which organization owns which email domain; a sub-organization's domains are
edited on its detail page. Only the root organization's administrators change them (WSO2: the
discovery APIs are the root's), so a sub-organization cannot claim a domain for itself."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from apps.console.access import console_access, console_view, forbidden
from apps.console.form_errors import attach_domain_error
from apps.console.forms import DISCOVERY_PROPERTIES, DiscoveryConfigForm, EmailDomainsForm
from apps.console.rendering import console_render
from apps.core.errors import DomainError
from apps.orgs.discovery import (
    discovery_attributes_of,
    discovery_config_get,
    discovery_config_update,
    email_domains_in,
)
from apps.orgs.models import Organization

UPDATE = "internal_organization_update"
# Service property -> form field, for errors the service reports by property name.
FIELD_OF_PROPERTY = {prop: name for name, prop in DISCOVERY_PROPERTIES.items()}


@console_view("internal_organization_view")
def org_discovery(request: HttpRequest) -> HttpResponse:
    organization = request.organization
    can_update = organization.is_root and console_access(request).can(UPDATE)
    if request.method == "POST" and not can_update:
        return forbidden(request)
    config = discovery_config_get(organization=organization)
    initial = {name: config[prop] for name, prop in DISCOVERY_PROPERTIES.items()}
    form = DiscoveryConfigForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            discovery_config_update(actor=request.user, organization=organization, properties=form.properties())
        except DomainError as exc:
            attach_domain_error(form, exc, field_map=FIELD_OF_PROPERTY)
        else:
            messages.success(request, _("Organization discovery settings saved."))
            return redirect("console:org-discovery")
    root = organization if organization.is_root else organization.root
    context = {
        "form": form,
        "can_update": can_update,
        "root": root,
        "domains": email_domains_in(scope=organization),
    }
    return console_render(
        request, "console/orgs/discovery.html", context, section="org-discovery", status=400 if form.errors else 200
    )


def email_domains_editable(request: HttpRequest, org: Organization) -> bool:
    return not org.is_root and request.organization.is_root and console_access(request).can(UPDATE)


def email_domains_context(
    request: HttpRequest, org: Organization, *, form: EmailDomainsForm | None = None
) -> dict[str, Any]:
    """The "Email domains" panel of ``org``'s detail page (nothing for a root organization)."""
    if org.is_root:
        return {}
    domains = [value for item in discovery_attributes_of(organization=org) for value in item["values"]]
    editable = email_domains_editable(request, org)
    if editable and form is None:
        form = EmailDomainsForm(initial={"domains": "\n".join(domains)})
    return {
        "email_domains": domains,
        "domains_form": form if editable else None,
        "email_discovery_on": discovery_config_get(organization=org)["emailDomain.enable"],
    }
