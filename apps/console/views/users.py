"""Users: searchable list, create, profile, account state, password, delete."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from apps.attributes.selectors import user_form_attributes
from apps.authn.services.lockout import account_unlock
from apps.console.access import console_access, console_view, forbidden
from apps.console.form_errors import attach_domain_error
from apps.console.forms import USER_STATE_ACTIONS, PasswordSetForm, UserCreateForm, UserProfileForm, UserStateForm
from apps.console.pagination import paginate, search_query
from apps.console.rendering import console_render
from apps.core.errors import DomainError
from apps.notifications.console_lifecycle import invite_user_created, lifecycle_context
from apps.users.models import User
from apps.users.selectors import ACCOUNT_FILTERS, user_get, user_list
from apps.users.services import user_create, user_delete, user_set_password, user_set_state, user_update

PROFILE_FIELDS = ("username", "email", "given_name", "family_name", "phone")


def _user(request: HttpRequest, user_id: uuid.UUID) -> User:
    user = user_get(organization=request.organization, user_id=user_id)
    if user is None:
        raise Http404
    return user


@console_view("internal_user_mgt_list")
def users_list(request: HttpRequest) -> HttpResponse:
    """The full page, or only the results table when htmx asks (live search)."""
    query = search_query(request)
    state = request.GET.get("state", "")
    state = state if state in dict(ACCOUNT_FILTERS) else ""
    page = paginate(request, user_list(organization=request.organization, search=query, state=state))
    context = {"page": page, "query": query, "state": state, "states": ACCOUNT_FILTERS}
    return console_render(
        request, "console/users/list.html", context, section="users", fragment="console/users/_results.html"
    )


@sensitive_post_parameters("password")
@console_view("internal_user_mgt_create")
def user_new(request: HttpRequest) -> HttpResponse:
    form = UserCreateForm(
        request.POST if request.method == "POST" else None, attributes=user_form_attributes(request.organization)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():  # a refused invitation creates no user either
                user = user_create(
                    actor=request.user,
                    organization=request.organization,
                    password=(data["password"] or None) if not data.get("invite") else None,
                    attributes=form.attribute_values(),
                    **{field: data[field] for field in PROFILE_FIELDS},
                )
                if data.get("invite"):  # the user chooses their password (apps.notifications)
                    invite_user_created(request, user, data["invite"])
        except DomainError as exc:
            attach_domain_error(form, exc, field_map=form.attribute_field_map())
        else:
            messages.success(request, _("User “%(name)s” created.") % {"name": user.username})
            return redirect("console:user-detail", user_id=user.pk)
    status = 400 if form.errors else 200
    return console_render(request, "console/users/create.html", {"form": form}, section="users", status=status)


@console_view("internal_user_mgt_view")
def user_detail(request: HttpRequest, user_id: uuid.UUID) -> HttpResponse:
    """The profile; editable by those who may update users."""
    user = _user(request, user_id)
    can_update = console_access(request).can("internal_user_mgt_update")
    if request.method == "POST" and not can_update:
        return forbidden(request)
    initial = {field: getattr(user, field) for field in PROFILE_FIELDS}
    form = UserProfileForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        attributes=user_form_attributes(request.organization),
        attribute_values=user.attributes,
    )
    if request.method == "POST" and form.is_valid():
        profile = {field: form.cleaned_data[field] for field in PROFILE_FIELDS}
        attributes = {**user.attributes, **form.attribute_values()}
        try:
            user = user_update(actor=request.user, user=user, attributes=attributes, **profile)
        except DomainError as exc:
            attach_domain_error(form, exc, field_map=form.attribute_field_map())
        else:
            messages.success(request, _("Profile of “%(name)s” saved.") % {"name": user.username})
            return redirect("console:user-detail", user_id=user.pk)
    context = {
        "subject": user,
        "form": form,
        "can_update": can_update,
        "is_self": user.pk == request.user.pk,
        "groups": user.member_groups.order_by("name"),
        "roles": user.roles.order_by("name"),
        **lifecycle_context(user),  # pending invitations, resets and verifications (apps.notifications)
    }
    status = 400 if form.errors else 200
    return console_render(request, "console/users/detail.html", context, section="users", status=status)


@require_POST
@console_view("internal_user_mgt_update")
def user_state(request: HttpRequest, user_id: uuid.UUID) -> HttpResponse:
    """Lock, unlock, disable or enable an account (POST from the profile page)."""
    user = _user(request, user_id)
    form = UserStateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Unknown account action."))
    else:
        action = form.cleaned_data["action"]
        try:
            if action == "unlock":  # also resets the failed sign-in counters (apps.authn)
                account_unlock(actor=request.user, user=user)
            else:
                user_set_state(actor=request.user, user=user, state=USER_STATE_ACTIONS[action])
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            done = {
                "lock": _("Account “%(name)s” locked."),
                "unlock": _("Account “%(name)s” unlocked."),
                "disable": _("Account “%(name)s” disabled."),
                "enable": _("Account “%(name)s” enabled."),
            }[action]
            messages.success(request, done % {"name": user.username})
    return redirect("console:user-detail", user_id=user.pk)


@sensitive_post_parameters("password", "confirm")
@console_view("internal_user_mgt_update")
def user_password(request: HttpRequest, user_id: uuid.UUID) -> HttpResponse:
    user = _user(request, user_id)
    form = PasswordSetForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            user_set_password(actor=request.user, user=user, password=form.cleaned_data["password"])
        except DomainError as exc:
            attach_domain_error(form, exc)
        else:
            messages.success(request, _("Password of “%(name)s” set.") % {"name": user.username})
            return redirect("console:user-detail", user_id=user.pk)
    status = 400 if form.errors else 200
    context = {"subject": user, "form": form}
    return console_render(request, "console/users/password.html", context, section="users", status=status)


@console_view("internal_user_mgt_delete")
def user_remove(request: HttpRequest, user_id: uuid.UUID) -> HttpResponse:
    """A confirmation page (GET) whose form deletes the user (POST)."""
    user = _user(request, user_id)
    error = ""
    if request.method == "POST":
        try:
            user_delete(actor=request.user, user=user)
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, _("User “%(name)s” deleted.") % {"name": user.username})
            return redirect("console:user-list")
    context = {
        "object_label": user.username,
        "kind": _("user"),
        "error": error,
        "cancel_url": reverse("console:user-detail", kwargs={"user_id": user.pk}),
    }
    status = 400 if error else 200
    return console_render(request, "console/confirm_delete.html", context, section="users", status=status)
