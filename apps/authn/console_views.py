"""Console pages: "Login & registration" settings, an application's sign-in method, a user's sessions."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from apps.applications.models import Application
from apps.authn.authenticators import authenticators_all, authenticators_for
from apps.authn.console_scripts import script_form_for
from apps.authn.models import AppLoginSettings, AuthSession
from apps.authn.services.backchannel import app_login_settings_update
from apps.authn.services.sequences import MAX_STEPS, sequence_for, sequence_set
from apps.authn.services.sessions import session_revoke, sessions_live
from apps.authn.services.settings import (
    BOOLEAN_SETTINGS,
    ROOT_ONLY,
    SETTING_RANGES,
    login_settings_resolve,
    login_settings_revert,
    login_settings_update,
)
from apps.console.access import console_access, console_view, forbidden
from apps.console.form_errors import attach_domain_error
from apps.console.rendering import console_render
from apps.core.errors import DomainError
from apps.orgs.inheritance_forms import inheritance_annotate, inheritance_changes
from apps.users.selectors import user_get

SETTING_LABELS = {
    "lockout_enabled": _lazy("Lock accounts after repeated failed sign-ins"),
    "lockout_max_failures": _lazy("Failed attempts before locking"),
    "lockout_minutes": _lazy("First lock duration (minutes)"),
    "lockout_factor": _lazy("Each further lock lasts this many times longer"),
    "notify_on_lock": _lazy("Notify when an account is locked"),
    "password_min_length": _lazy("Minimum password length"),
    "password_max_length": _lazy("Maximum password length"),
    "password_min_upper": _lazy("Minimum uppercase letters"),
    "password_min_lower": _lazy("Minimum lowercase letters"),
    "password_min_digits": _lazy("Minimum digits"),
    "password_min_special": _lazy("Minimum special characters"),
    "password_history_count": _lazy("Passwords remembered (0: off)"),
    "password_expiry_days": _lazy("Password expires after days (0: never)"),
    "session_hours": _lazy("Session length (hours)"),
    "remember_me_days": _lazy("“Remember me” length (days)"),
}


class LoginSettingsForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in SETTING_LABELS:
            if name in BOOLEAN_SETTINGS:
                self.fields[name] = forms.BooleanField(label=SETTING_LABELS[name], required=False)
            else:
                low, high = SETTING_RANGES[name]
                self.fields[name] = forms.IntegerField(label=SETTING_LABELS[name], min_value=low, max_value=high)


@console_view("internal_organization_view")
def login_settings(request: HttpRequest) -> HttpResponse:
    can_update = console_access(request).can("internal_organization_update")
    if request.method == "POST" and not can_update:
        return forbidden(request)
    organization = request.organization
    resolution = login_settings_resolve(organization)
    initial = {name: resolution.values[name] for name in SETTING_LABELS}
    form = LoginSettingsForm(request.POST if request.method == "POST" else None, initial=initial)
    inherits = inheritance_annotate(form, organization=organization, resolution=resolution, root_only=ROOT_ONLY)
    if request.method == "POST" and inherits and request.POST.get("revert"):
        try:
            login_settings_revert(actor=request.user, organization=organization, names=[request.POST["revert"]])
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The setting is inherited again."))
        return redirect("console:login-settings")
    if request.method == "POST" and form.is_valid():
        values = inheritance_changes(form, resolution=resolution, data=request.POST) if inherits else form.cleaned_data
        try:
            login_settings_update(actor=request.user, organization=organization, **values)
        except DomainError as exc:
            attach_domain_error(form, exc)
        else:
            messages.success(request, _("Login & registration settings saved."))
            return redirect("console:login-settings")
    applications = Application.objects.filter(organization=request.organization).order_by("name")
    context = {"form": form, "can_update": can_update, "applications": applications, "inherits": inherits}
    status = 400 if form.errors else 200
    return console_render(
        request, "authn/console/login_settings.html", context, section="login-settings", status=status
    )


class SignInMethodForm(forms.Form):
    backchannel_logout_uri = forms.CharField(label=_lazy("Back-channel logout URI"), required=False, max_length=2000)

    def __init__(self, *args: Any, organization: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        found = authenticators_for(organization) if organization is not None else authenticators_all()
        choices = [(item.id, item.display_name) for item in found]
        for number in range(1, MAX_STEPS + 1):
            self.fields[f"step_{number}"] = forms.MultipleChoiceField(
                label=_lazy("Step %(n)d") % {"n": number},
                choices=choices,
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )

    def steps(self) -> list[list[str]]:
        return [self.cleaned_data[f"step_{n}"] for n in range(1, MAX_STEPS + 1) if self.cleaned_data[f"step_{n}"]]


@console_view("internal_application_mgt_view")
def application_sign_in_method(request: HttpRequest, application_id: uuid.UUID) -> HttpResponse:
    application = Application.objects.filter(organization=request.organization, uuid=application_id).first()
    if application is None:
        raise Http404
    can_update = console_access(request).can("internal_application_mgt_update")
    if request.method == "POST" and not can_update:
        return forbidden(request)
    steps = sequence_for(application.pk)
    extra = AppLoginSettings.objects.filter(application=application).first()
    initial: dict[str, Any] = {f"step_{n}": step for n, step in enumerate(steps, start=1)}
    initial["backchannel_logout_uri"] = extra.backchannel_logout_uri if extra else ""
    form = SignInMethodForm(
        request.POST if request.method == "POST" else None, initial=initial, organization=request.organization
    )
    if request.method == "POST" and form.is_valid():
        try:
            sequence_set(actor=request.user, application=application, steps=form.steps())
            app_login_settings_update(
                actor=request.user,
                application=application,
                backchannel_logout_uri=form.cleaned_data["backchannel_logout_uri"],
            )
        except DomainError as exc:
            attach_domain_error(form, exc, field_map={"steps": "step_1"})
        else:
            messages.success(request, _("Sign-in method of “%(name)s” saved.") % {"name": application.name})
            return redirect("console:application-sign-in-method", application_id=application.uuid)
    context = {
        "application": application,
        "form": form,
        "can_update": can_update,
        "step_fields": [form[f"step_{n}"] for n in range(1, MAX_STEPS + 1)],
        "script_form": script_form_for(application),  # its own form, saved by console_scripts
    }
    status = 400 if form.errors else 200
    return console_render(request, "authn/console/sign_in_method.html", context, section="applications", status=status)


def _subject(request: HttpRequest, user_id: uuid.UUID) -> Any:
    user = user_get(organization=request.organization, user_id=user_id)
    if user is None:
        raise Http404
    return user


@console_view("internal_user_mgt_view")
def user_sessions(request: HttpRequest, user_id: uuid.UUID) -> HttpResponse:
    subject = _subject(request, user_id)
    context = {
        "subject": subject,
        "sessions": list(sessions_live(subject)),
        "can_update": console_access(request).can("internal_user_mgt_update"),
    }
    return console_render(request, "authn/console/user_sessions.html", context, section="users")


@require_POST
@console_view("internal_user_mgt_update")
def user_session_revoke(request: HttpRequest, user_id: uuid.UUID, session_id: uuid.UUID) -> HttpResponse:
    subject = _subject(request, user_id)
    row = AuthSession.objects.filter(pk=session_id, user=subject).first()
    if row is None:
        raise Http404
    session_revoke(actor=request.user, session=row)
    messages.success(request, _("The session was signed out."))
    return redirect("console:user-sessions", user_id=subject.pk)
