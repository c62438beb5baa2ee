"""My Account: an end user's own profile and password, inside their organization.

Only users of exactly ``request.organization`` are signed in here; the session
of a user of another organization (even a parent) does not open this portal."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from apps.attributes.selectors import user_form_attributes
from apps.authn.services.sessions import sso_logout
from apps.authn.services.sso_entries import sso_entry_rehash
from apps.authn.views import login as portal_login
from apps.console.access import login_redirect
from apps.console.form_errors import attach_domain_error
from apps.console.views.auth import safe_next_url
from apps.core.errors import DomainError
from apps.myaccount.forms import PasswordChangeForm, ProfileForm
from apps.notifications.services.verification import profile_update_by_owner
from apps.users.services import user_set_password

PROFILE_FIELDS = ("given_name", "family_name", "email", "phone")


def _is_account_holder(request: HttpRequest) -> bool:
    user, organization = request.user, request.organization
    return (
        organization is not None
        and user.is_authenticated
        and user.is_active
        and user.organization_id == organization.pk
    )


def myaccount_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not _is_account_holder(request):
            return login_redirect(request, reverse("myaccount:login"))
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)  # personal data stays out of shared caches
        return response

    return wrapper


def _render(request: HttpRequest, template: str, context: dict[str, Any], *, section: str, status: int = 200):
    nav = [
        {"label": _("Overview"), "url": reverse("myaccount:home"), "active": section == "home"},
        {"label": _("Profile"), "url": reverse("myaccount:profile"), "active": section == "profile"},
        {"label": _("Password"), "url": reverse("myaccount:password"), "active": section == "password"},
        {"label": _("Security"), "url": reverse("myaccount:security"), "active": section == "security"},
        {"label": _("Sessions"), "url": reverse("myaccount:sessions"), "active": section == "sessions"},
        {
            "label": _("Linked accounts"),
            "url": reverse("myaccount:linked-accounts"),
            "active": section == "linked-accounts",
        },
    ]
    return render(request, template, {**context, "nav": nav}, status=status)


@sensitive_post_parameters("password")
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    """Signing in happens in the login portal; a form POSTed here is completed there."""
    if request.organization is None:
        raise Http404
    next_url = safe_next_url(request)
    if request.method == "POST":
        return portal_login(request, default_next=reverse("myaccount:home"))
    if _is_account_holder(request):
        return redirect(next_url or reverse("myaccount:home"))
    return redirect(f"{reverse('authn:login')}?{urlencode({'next': next_url or reverse('myaccount:home')})}")


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    sso_logout(request)
    return redirect("myaccount:login")


@myaccount_view
def home(request: HttpRequest) -> HttpResponse:
    return _render(request, "myaccount/home.html", {"account": request.user}, section="home")


@myaccount_view
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    initial = {field: getattr(user, field) for field in PROFILE_FIELDS}
    form = ProfileForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        attributes=user_form_attributes(request.organization),
        attribute_values=user.attributes,
    )
    if request.method == "POST" and form.is_valid():
        profile = {field: form.cleaned_data[field] for field in PROFILE_FIELDS}
        try:
            # A new email or mobile waits for verification before it replaces the old one.
            _user, sent = profile_update_by_owner(
                user=user, changes={"attributes": {**user.attributes, **form.attribute_values()}, **profile}
            )
        except DomainError as exc:
            attach_domain_error(form, exc, field_map=form.attribute_field_map())
        else:
            messages.success(request, _("Your profile was saved."))
            for delivery in sent:
                messages.info(
                    request,
                    _("We sent a verification to %(to)s; the change takes effect once it is verified.")
                    % {"to": delivery.masked_recipient},
                )
            return redirect("myaccount:home")
    status = 400 if form.errors else 200
    return _render(request, "myaccount/profile.html", {"form": form}, section="profile", status=status)


@sensitive_post_parameters("current_password", "password", "confirm")
@myaccount_view
def password(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = PasswordChangeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            user_set_password(
                actor=user,
                user=user,
                password=form.cleaned_data["password"],
                current_password=form.cleaned_data["current_password"],
            )
        except DomainError as exc:
            attach_domain_error(form, exc)
        else:
            user.refresh_from_db(fields=["password"])
            sso_entry_rehash(request, user=user)  # stay signed in here; other sessions end
            messages.success(request, _("Your password was changed."))
            return redirect("myaccount:home")
    status = 400 if form.errors else 200
    return _render(request, "myaccount/password.html", {"form": form}, section="password", status=status)
