"""Roles: list, create and edit (permissions by API resource, users, groups), delete."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from apps.console.access import console_access, console_view, forbidden
from apps.console.form_errors import attach_domain_error
from apps.console.forms import RoleForm
from apps.console.pagination import paginate, search_query
from apps.console.rendering import console_render
from apps.console.selectors import console_api_resources, console_role_rows
from apps.core.errors import DomainError
from apps.users.models import Role
from apps.users.selectors import group_list, role_get, user_list
from apps.users.services import role_create, role_delete, role_update


def _role(request: HttpRequest, role_id: uuid.UUID) -> Role:
    role = role_get(organization=request.organization, role_id=role_id)
    if role is None:
        raise Http404
    return role


def _role_form(request: HttpRequest, initial: dict[str, Any] | None = None) -> RoleForm:
    organization = request.organization
    return RoleForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        api_resources=console_api_resources(organization=organization),
        users=user_list(organization=organization),
        groups=group_list(organization=organization),
    )


@console_view("internal_role_mgt_view")
def role_list_view(request: HttpRequest) -> HttpResponse:
    query = search_query(request)
    page = paginate(request, console_role_rows(organization=request.organization, search=query))
    return console_render(
        request,
        "console/roles/list.html",
        {"page": page, "query": query},
        section="roles",
        fragment="console/roles/_results.html",
    )


@console_view("internal_role_mgt_create")
def role_new(request: HttpRequest) -> HttpResponse:
    form = _role_form(request)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            role = role_create(
                actor=request.user,
                organization=request.organization,
                name=data["name"],
                permissions=data["permissions"],
                user_ids=data["user_ids"],
                group_ids=data["group_ids"],
            )
        except DomainError as exc:
            attach_domain_error(form, exc)
        else:
            messages.success(request, _("Role “%(name)s” created.") % {"name": role.name})
            return redirect("console:role-detail", role_id=role.pk)
    status = 400 if form.errors else 200
    context = {"form": form, "role": None}
    return console_render(request, "console/roles/form.html", context, section="roles", status=status)


@console_view("internal_role_mgt_view")
def role_detail(request: HttpRequest, role_id: uuid.UUID) -> HttpResponse:
    role = _role(request, role_id)
    can_update = console_access(request).can("internal_role_mgt_update")
    if request.method == "POST" and not can_update:
        return forbidden(request)
    initial = {
        "name": role.name,
        "permissions": list(role.permissions.values_list("name", flat=True)),
        "user_ids": [str(pk) for pk in role.users.values_list("pk", flat=True)],
        "group_ids": [str(pk) for pk in role.groups.values_list("pk", flat=True)],
    }
    form = _role_form(request, initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            role = role_update(
                actor=request.user,
                role=role,
                name=data["name"],
                permissions=data["permissions"],
                user_ids=data["user_ids"],
                group_ids=data["group_ids"],
            )
        except DomainError as exc:
            attach_domain_error(form, exc)
        else:
            messages.success(request, _("Role “%(name)s” saved.") % {"name": role.name})
            return redirect("console:role-detail", role_id=role.pk)
    status = 400 if form.errors else 200
    context = {"form": form, "role": role, "can_update": can_update}
    return console_render(request, "console/roles/form.html", context, section="roles", status=status)


@console_view("internal_role_mgt_delete")
def role_remove(request: HttpRequest, role_id: uuid.UUID) -> HttpResponse:
    role = _role(request, role_id)
    error = ""
    if request.method == "POST":
        try:
            role_delete(actor=request.user, role=role)
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, _("Role “%(name)s” deleted.") % {"name": role.name})
            return redirect("console:role-list")
    context = {
        "object_label": role.name,
        "kind": _("role"),
        "error": error,
        "cancel_url": reverse("console:role-detail", kwargs={"role_id": role.pk}),
    }
    status = 400 if error else 200
    return console_render(request, "console/confirm_delete.html", context, section="roles", status=status)
