"""API resources in the Console: list, create (BUSINESS API or MCP server),
detail with scopes to add and remove, delete. System APIs are shown read-only."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.applications import selectors, services
from apps.applications.forms import APIResourceCreateForm, APIResourceUpdateForm, ScopeAddForm, ScopeRemoveForm
from apps.applications.models import APIResource
from apps.console.access import console_access, console_view, forbidden
from apps.console.form_errors import attach_domain_error
from apps.console.pagination import paginate, search_query
from apps.console.rendering import console_render
from apps.core.errors import DomainError

SECTION = "api-resources"
VIEW, CREATE, UPDATE, DELETE = (
    "internal_api_resource_view",
    "internal_api_resource_create",
    "internal_api_resource_update",
    "internal_api_resource_delete",
)
SCOPE_FIELD_MAP = {"scopes": "scope_name", "addedScopes": "scope_name", "display_name": "display_name"}


def _resource(request: HttpRequest, api_resource_id: uuid.UUID) -> APIResource:
    resource = selectors.api_resource_get(organization=request.organization, api_resource_id=api_resource_id)
    if resource is None:
        raise Http404
    return resource


def _is_system(resource: APIResource) -> bool:
    return resource.organization_id is None or resource.type == APIResource.Type.SYSTEM


@console_view(VIEW)
def api_resource_list_view(request: HttpRequest) -> HttpResponse:
    query = search_query(request)
    page = paginate(request, selectors.api_resource_list(organization=request.organization, search=query))
    return console_render(
        request,
        "applications/api_resources/list.html",
        {"page": page, "query": query},
        section=SECTION,
        fragment="applications/api_resources/_results.html",
    )


@console_view(CREATE)
def api_resource_new(request: HttpRequest) -> HttpResponse:
    form = APIResourceCreateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            resource = services.api_resource_create(
                actor=request.user,
                organization=request.organization,
                name=data["name"],
                identifier=data["identifier"],
                description=data["description"],
                resource_type=data["type"],
            )
        except DomainError as exc:
            attach_domain_error(form, exc)
        else:
            messages.success(request, _("API resource “%(name)s” created.") % {"name": resource.name})
            return redirect("console:api-resource-detail", api_resource_id=resource.pk)
    status = 400 if form.errors else 200
    return console_render(
        request, "applications/api_resources/create.html", {"form": form}, section=SECTION, status=status
    )


def _detail_page(
    request: HttpRequest,
    resource: APIResource,
    *,
    form: APIResourceUpdateForm | None = None,
    scope_form: ScopeAddForm | None = None,
    status: int = 200,
) -> HttpResponse:
    access = console_access(request)
    writable = not _is_system(resource) and request.organization.is_root
    context = {
        "resource": resource,
        "system": _is_system(resource),
        "writable": writable,
        "can_update": writable and access.can(UPDATE),
        "can_delete": writable and access.can(DELETE),
        "form": form or APIResourceUpdateForm(initial={"name": resource.name, "description": resource.description}),
        "scope_form": scope_form or ScopeAddForm(),
        "scopes": selectors.api_resource_scopes(api_resource=resource),
        "applications": selectors.api_resource_subscribed_applications(
            api_resource=resource, organization=request.organization
        ),
    }
    return console_render(request, "applications/api_resources/detail.html", context, section=SECTION, status=status)


@console_view(VIEW)
def api_resource_detail(request: HttpRequest, api_resource_id: uuid.UUID) -> HttpResponse:
    resource = _resource(request, api_resource_id)
    if request.method != "POST":
        return _detail_page(request, resource)
    if not console_access(request).can(UPDATE):
        return forbidden(request)
    form = APIResourceUpdateForm(request.POST)
    if form.is_valid():
        try:
            services.api_resource_update(
                actor=request.user,
                organization=request.organization,
                api_resource=resource,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
            )
        except DomainError as exc:
            attach_domain_error(form, exc)
        else:
            messages.success(request, _("API resource saved."))
            return redirect("console:api-resource-detail", api_resource_id=resource.pk)
    return _detail_page(request, resource, form=form, status=400)


@require_POST
@console_view(UPDATE)
def api_resource_scope_add(request: HttpRequest, api_resource_id: uuid.UUID) -> HttpResponse:
    resource = _resource(request, api_resource_id)
    form = ScopeAddForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.api_resource_update(
                actor=request.user,
                organization=request.organization,
                api_resource=resource,
                added_scopes=[
                    {
                        "name": data["scope_name"],
                        "display_name": data["display_name"],
                        "description": data["scope_description"],
                    }
                ],
            )
        except DomainError as exc:
            attach_domain_error(form, exc, field_map=SCOPE_FIELD_MAP)
        else:
            messages.success(request, _("Scope “%(name)s” added.") % {"name": data["scope_name"]})
            return redirect("console:api-resource-detail", api_resource_id=resource.pk)
    return _detail_page(request, resource, scope_form=form, status=400)


@require_POST
@console_view(UPDATE)
def api_resource_scope_remove(request: HttpRequest, api_resource_id: uuid.UUID) -> HttpResponse:
    resource = _resource(request, api_resource_id)
    form = ScopeRemoveForm(request.POST)
    if form.is_valid():
        try:
            services.api_resource_update(
                actor=request.user,
                organization=request.organization,
                api_resource=resource,
                removed_scopes=[form.cleaned_data["scope_name"]],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Scope “%(name)s” removed.") % {"name": form.cleaned_data["scope_name"]})
    return redirect("console:api-resource-detail", api_resource_id=resource.pk)


@console_view(DELETE)
def api_resource_remove(request: HttpRequest, api_resource_id: uuid.UUID) -> HttpResponse:
    resource = _resource(request, api_resource_id)
    error = ""
    if _is_system(resource):
        error = _("System API resources are read-only.")
    elif request.method == "POST":
        try:
            services.api_resource_delete(actor=request.user, organization=request.organization, api_resource=resource)
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, _("API resource “%(name)s” deleted.") % {"name": resource.name})
            return redirect("console:api-resource-list")
    context = {
        "object_label": resource.name,
        "kind": _("API resource"),
        "error": error,
        "blocked": bool(error),
        "cancel_url": reverse("console:api-resource-detail", kwargs={"api_resource_id": resource.pk}),
    }
    return console_render(
        request, "console/confirm_delete.html", context, section=SECTION, status=400 if error else 200
    )
