"""Applications in the Console: list, create from a template (the client secret
is shown once, in the response to the creating POST), and a detail page with a
tab per concern (General, Protocol, API authorization, Quick start), plus
secret regeneration and deletion behind confirmation pages."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from apps.applications import selectors, services
from apps.applications.app_settings import CLIENT_PUBLIC, settings_of
from apps.applications.app_templates import MCP_TEMPLATE_ID, template_get, template_list
from apps.applications.forms import (
    GRANT_LABELS,
    ApplicationCreateForm,
    ApplicationGeneralForm,
    ApplicationProtocolForm,
    AuthorizeAPIForm,
    AuthorizedScopesForm,
    protocol_initial,
)
from apps.applications.models import Application, AuthorizedAPI
from apps.console.access import console_access, console_view, forbidden
from apps.console.form_errors import attach_domain_error
from apps.console.pagination import paginate, search_query
from apps.console.rendering import console_render
from apps.core.errors import DomainError

SECTION = "applications"
VIEW, CREATE, UPDATE, DELETE = (
    "internal_application_mgt_view",
    "internal_application_mgt_create",
    "internal_application_mgt_update",
    "internal_application_mgt_delete",
)
CREATE_FIELD_MAP = {"client_type": "public_client", "template_id": ""}


def _application(request: HttpRequest, application_id: uuid.UUID) -> Application:
    application = selectors.application_get(organization=request.organization, application_id=application_id)
    if application is None:
        raise Http404
    return application


def _detail(
    request: HttpRequest, application: Application, tab: str, context: dict[str, Any], **kw: Any
) -> HttpResponse:
    template = template_get(application.template_id)
    context = {
        "application": application,
        "app_template": template,
        "tab": tab,
        "is_public": application.client_type == CLIENT_PUBLIC,
        "can_update": console_access(request).can(UPDATE),
        **context,
    }
    return console_render(request, f"applications/detail_{tab}.html", context, section=SECTION, **kw)


@console_view(VIEW)
def application_list_view(request: HttpRequest) -> HttpResponse:
    query = search_query(request)
    page = paginate(request, selectors.application_list(organization=request.organization, search=query))
    names = {template.id: template.name for template in template_list()}
    for application in page.object_list:
        application.template_name = names.get(application.template_id, "")
    return console_render(
        request,
        "applications/list.html",
        {"page": page, "query": query},
        section=SECTION,
        fragment="applications/_results.html",
    )


@console_view(CREATE)
def application_template_choice(request: HttpRequest) -> HttpResponse:
    return console_render(request, "applications/templates.html", {"templates": template_list()}, section=SECTION)


@console_view(CREATE)
def application_new(request: HttpRequest, template_id: str) -> HttpResponse:
    template = template_get(template_id)
    if template is None:
        raise Http404
    form = ApplicationCreateForm(request.POST if request.method == "POST" else None, template=template)
    if request.method == "POST" and form.is_valid():
        try:
            application, secret = services.application_create(
                actor=request.user,
                organization=request.organization,
                template_id=template.id,
                name=form.cleaned_data["name"],
                **form.overrides(),
            )
        except DomainError as exc:
            attach_domain_error(form, exc, field_map=CREATE_FIELD_MAP)
        else:
            # Rendered in the POST response, never stored: the secret cannot be shown again.
            context = {"application": application, "app_template": template, "client_secret": secret}
            return console_render(request, "applications/created.html", context, section=SECTION)
    status = 400 if form.errors else 200
    context = {"form": form, "app_template": template}
    return console_render(request, "applications/create.html", context, section=SECTION, status=status)


@console_view(VIEW)
def application_general(request: HttpRequest, application_id: uuid.UUID) -> HttpResponse:
    application = _application(request, application_id)
    can_update = console_access(request).can(UPDATE)
    if request.method == "POST" and not can_update:
        return forbidden(request)
    initial = {"name": application.name, **settings_of(application)}
    form = ApplicationGeneralForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.application_update(
                actor=request.user, application=application, name=form.cleaned_data["name"], **form.settings()
            )
        except DomainError as exc:
            attach_domain_error(form, exc)
        else:
            messages.success(request, _("Application saved."))
            return redirect("console:application-detail", application_id=application.uuid)
    status = 400 if form.errors else 200
    return _detail(request, application, "general", {"form": form}, status=status)


@console_view(VIEW)
def application_protocol(request: HttpRequest, application_id: uuid.UUID) -> HttpResponse:
    application = _application(request, application_id)
    can_update = console_access(request).can(UPDATE)
    if request.method == "POST" and not can_update:
        return forbidden(request)
    initial = protocol_initial(settings_of(application))
    data = request.POST if request.method == "POST" else None
    form = ApplicationProtocolForm(data, initial=initial, application=application)
    if request.method == "POST" and form.is_valid():
        try:
            services.application_update(actor=request.user, application=application, **form.settings())
        except DomainError as exc:
            attach_domain_error(form, exc)
        else:
            messages.success(request, _("Protocol settings saved."))
            return redirect("console:application-protocol", application_id=application.uuid)
    status = 400 if form.errors else 200
    context = {"form": form, "grant_labels": GRANT_LABELS}
    return _detail(request, application, "protocol", context, status=status)


def scopes_prefix(authorized: AuthorizedAPI) -> str:
    """One scopes form per authorized resource on the page: distinct names and ids."""
    return f"api-{authorized.api_resource_id}"


def _authorized_rows(application: Application, data: Any = None) -> list[dict[str, Any]]:
    rows = []
    for authorized in selectors.authorized_api_list(application=application):
        initial = {"scopes": [scope.name for scope in authorized.scopes.all()]}
        form = AuthorizedScopesForm(
            data, initial=initial, api_resource=authorized.api_resource, prefix=scopes_prefix(authorized)
        )
        rows.append({"authorized": authorized, "resource": authorized.api_resource, "form": form})
    return rows


@console_view(VIEW)
def application_api_authorization(request: HttpRequest, application_id: uuid.UUID) -> HttpResponse:
    application = _application(request, application_id)
    context = {
        "rows": _authorized_rows(application),
        "candidates": selectors.api_resources_authorizable(application=application),
        "mcp_only_note": application.template_id != MCP_TEMPLATE_ID,
    }
    return _detail(request, application, "api", context)


@console_view(UPDATE)
def application_api_authorize(request: HttpRequest, application_id: uuid.UUID) -> HttpResponse:
    """Choose the scopes of one resource (``?resource=<id>``) and authorize the application for it."""
    application = _application(request, application_id)
    resource_id = request.POST.get("resource") or request.GET.get("resource")
    resource = selectors.api_resource_get(organization=application.organization, api_resource_id=resource_id)
    if resource is None:
        messages.error(request, _("Choose an API resource."))
        return redirect("console:application-api-authorization", application_id=application.uuid)
    form = AuthorizeAPIForm(
        request.POST if request.method == "POST" else None,
        initial={"policy": AuthorizedAPI.Policy.RBAC},
        api_resource=resource,
    )
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            services.application_authorize_api(
                actor=request.user,
                application=application,
                api_resource=resource,
                scopes=form.cleaned_data["scopes"],
                policy=form.cleaned_data["policy"],
            )
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, _("Authorized for “%(name)s”.") % {"name": resource.name})
            return redirect("console:application-api-authorization", application_id=application.uuid)
    status = 400 if (form.errors or error) else 200
    context = {"form": form, "resource": resource, "error": error}
    return _detail(request, application, "api_authorize", context, status=status)


def _authorized(application: Application, api_resource_id: uuid.UUID) -> AuthorizedAPI:
    authorized = selectors.authorized_api_get(application=application, api_resource_id=api_resource_id)
    if authorized is None:
        raise Http404
    return authorized


@console_view(UPDATE)
def application_authorized_api_scopes(
    request: HttpRequest, application_id: uuid.UUID, api_resource_id: uuid.UUID
) -> HttpResponse:
    application = _application(request, application_id)
    authorized = _authorized(application, api_resource_id)
    if request.method != "POST":
        return redirect("console:application-api-authorization", application_id=application.uuid)
    form = AuthorizedScopesForm(request.POST, api_resource=authorized.api_resource, prefix=scopes_prefix(authorized))
    if form.is_valid():
        try:
            services.application_update_authorized_api(
                actor=request.user, authorized_api=authorized, scopes=form.cleaned_data["scopes"]
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Scopes saved."))
    else:
        messages.error(request, _("Choose scopes of this API resource."))
    return redirect("console:application-api-authorization", application_id=application.uuid)


@console_view(UPDATE)
def application_authorized_api_revoke(
    request: HttpRequest, application_id: uuid.UUID, api_resource_id: uuid.UUID
) -> HttpResponse:
    application = _application(request, application_id)
    authorized = _authorized(application, api_resource_id)
    cancel_url = reverse("console:application-api-authorization", kwargs={"application_id": application.uuid})
    if request.method == "POST":
        services.application_revoke_api(actor=request.user, authorized_api=authorized)
        messages.success(request, _("Authorization for “%(name)s” removed.") % {"name": authorized.api_resource.name})
        return redirect(cancel_url)
    context = {
        "object_label": authorized.api_resource.name,
        "kind": _("the authorization for"),
        "cancel_url": cancel_url,
    }
    return console_render(request, "console/confirm_delete.html", context, section=SECTION)


@console_view(VIEW)
def application_quick_start_view(request: HttpRequest, application_id: uuid.UUID) -> HttpResponse:
    application = _application(request, application_id)
    context = {
        "endpoints": selectors.application_endpoints(application=application),
        "snippets": selectors.application_quick_start(application=application),
    }
    return _detail(request, application, "quick_start", context)


@console_view(UPDATE)
def application_secret(request: HttpRequest, application_id: uuid.UUID) -> HttpResponse:
    """Confirm, then show the new secret once in the POST response."""
    application = _application(request, application_id)
    error = ""
    if request.method == "POST":
        try:
            secret = services.application_regenerate_secret(actor=request.user, application=application)
        except DomainError as exc:
            error = exc.message
        else:
            context = {"application": application, "client_secret": secret, "regenerated": True}
            return console_render(request, "applications/created.html", context, section=SECTION)
    context = {"application": application, "error": error, "is_public": application.client_type == CLIENT_PUBLIC}
    return console_render(
        request, "applications/secret_confirm.html", context, section=SECTION, status=400 if error else 200
    )


@console_view(DELETE)
def application_remove(request: HttpRequest, application_id: uuid.UUID) -> HttpResponse:
    application = _application(request, application_id)
    error = ""
    if request.method == "POST":
        try:
            services.application_delete(actor=request.user, application=application)
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, _("Application “%(name)s” deleted.") % {"name": application.name})
            return redirect("console:application-list")
    context = {
        "object_label": application.name,
        "kind": _("application"),
        "error": error,
        "cancel_url": reverse("console:application-detail", kwargs={"application_id": application.uuid}),
    }
    return console_render(
        request, "console/confirm_delete.html", context, section=SECTION, status=400 if error else 200
    )
