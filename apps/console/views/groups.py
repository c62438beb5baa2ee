"""Groups: list, create, edit with members, delete."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from apps.console.access import console_access, console_view, forbidden
from apps.console.form_errors import attach_domain_error
from apps.console.forms import GroupForm
from apps.console.pagination import paginate, search_query
from apps.console.rendering import console_render
from apps.console.selectors import console_group_rows
from apps.core.errors import DomainError
from apps.users.models import Group
from apps.users.selectors import group_get, user_list
from apps.users.services import group_create, group_delete, group_update


def _group(request: HttpRequest, group_id: uuid.UUID) -> Group:
    group = group_get(organization=request.organization, group_id=group_id)
    if group is None:
        raise Http404
    return group


@console_view("internal_group_mgt_view")
def group_list_view(request: HttpRequest) -> HttpResponse:
    query = search_query(request)
    page = paginate(request, console_group_rows(organization=request.organization, search=query))
    return console_render(
        request,
        "console/groups/list.html",
        {"page": page, "query": query},
        section="groups",
        fragment="console/groups/_results.html",
    )


@console_view("internal_group_mgt_create")
def group_new(request: HttpRequest) -> HttpResponse:
    users = user_list(organization=request.organization)
    form = GroupForm(request.POST if request.method == "POST" else None, users=users)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            group = group_create(
                actor=request.user,
                organization=request.organization,
                name=data["name"],
                description=data["description"],
                member_ids=data["members"],
            )
        except DomainError as exc:
            attach_domain_error(form, exc)
        else:
            messages.success(request, _("Group “%(name)s” created.") % {"name": group.name})
            return redirect("console:group-detail", group_id=group.pk)
    status = 400 if form.errors else 200
    context = {"form": form, "group": None}
    return console_render(request, "console/groups/form.html", context, section="groups", status=status)


@console_view("internal_group_mgt_view")
def group_detail(request: HttpRequest, group_id: uuid.UUID) -> HttpResponse:
    group = _group(request, group_id)
    can_update = console_access(request).can("internal_group_mgt_update")
    if request.method == "POST" and not can_update:
        return forbidden(request)
    initial = {
        "name": group.name,
        "description": group.description,
        "members": [str(pk) for pk in group.members.values_list("pk", flat=True)],
    }
    users = user_list(organization=request.organization)
    form = GroupForm(request.POST if request.method == "POST" else None, users=users, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            group = group_update(
                actor=request.user,
                group=group,
                name=data["name"],
                description=data["description"],
                member_ids=data["members"],
            )
        except DomainError as exc:
            attach_domain_error(form, exc)
        else:
            messages.success(request, _("Group “%(name)s” saved.") % {"name": group.name})
            return redirect("console:group-detail", group_id=group.pk)
    status = 400 if form.errors else 200
    context = {"form": form, "group": group, "can_update": can_update}
    return console_render(request, "console/groups/form.html", context, section="groups", status=status)


@console_view("internal_group_mgt_delete")
def group_remove(request: HttpRequest, group_id: uuid.UUID) -> HttpResponse:
    group = _group(request, group_id)
    error = ""
    if request.method == "POST":
        try:
            group_delete(actor=request.user, group=group)
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, _("Group “%(name)s” deleted.") % {"name": group.name})
            return redirect("console:group-list")
    context = {
        "object_label": group.name,
        "kind": _("group"),
        "error": error,
        "cancel_url": reverse("console:group-detail", kwargs={"group_id": group.pk}),
    }
    status = 400 if error else 200
    return console_render(request, "console/confirm_delete.html", context, section="groups", status=status)
