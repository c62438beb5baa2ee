"""The lifecycle pages a user reaches from an email (no sign-in needed): thin, plain HTML forms.

Answers never tell whether a user name exists: a wrong code for an unknown user reads like a
wrong code for a known one, and "send a new code" always says the same."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from apps.authn.ratelimit import rate_count, rate_limited
from apps.authn.services.lockout import user_find
from apps.authn.views import NewPasswordForm  # one set-password form for the portal's pages
from apps.core.errors import DomainError
from apps.notifications.services.lifecycle import password_setup_by_link, password_setup_link_check
from apps.notifications.services.links import LinkRejected, link_inspect
from apps.notifications.services.verification import (
    EMAIL_VERIFICATION,
    email_verification_confirm,
    email_verification_confirm_link,
    email_verification_pending,
    email_verification_start,
)

BAD_LINK = _lazy("This link is invalid or has expired. Ask for a new one.")
BAD_CODE = _lazy("The code is wrong or has expired.")


class CodeForm(forms.Form):
    username = forms.CharField(
        label=_lazy("Username"),
        max_length=256,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    code = forms.CharField(
        label=_lazy("Verification code"),
        max_length=64,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text"}),
    )


def _page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(request, template, {"organization": request.organization, **context}, status=status)


def _too_many(request: HttpRequest) -> int:
    """Seconds to wait when this address used up its sign-in budget (shared with the login page)."""
    ip = request.META.get("REMOTE_ADDR", "")
    limit = tuple(settings.IAM_LOGIN_RATE_PER_IP)
    wait = rate_limited("lifecycle-ip", ip, limit)  # type: ignore[arg-type]
    if not wait:
        rate_count("lifecycle-ip", ip, limit)  # type: ignore[arg-type]
    return wait


def _limited(request: HttpRequest, wait: int) -> HttpResponse:
    response = render(
        request, "authn/too_many.html", {"organization": request.organization, "retry_after": wait}, status=429
    )
    response["Retry-After"] = str(wait)
    return response


def _sign_in_url() -> str:
    return reverse("authn:login")


@never_cache
@require_http_methods(["GET", "POST"])
def verify_email_link(request: HttpRequest) -> HttpResponse:
    """GET shows a confirm button (mail scanners that open links do not use them up); POST verifies."""
    if request.organization is None:
        raise Http404
    token = (request.POST.get("token") or request.GET.get("token") or "")[:300]
    template = "notifications/pages/verify_email.html"
    try:
        user, _purpose = link_inspect(token=token, purposes=(EMAIL_VERIFICATION,))
    except LinkRejected:
        return _page(request, template, {"error": BAD_LINK}, status=400)
    if user.organization_id != request.organization.pk:
        return _page(request, template, {"error": BAD_LINK}, status=400)
    if request.method == "POST":
        wait = _too_many(request)
        if wait:
            return _limited(request, wait)
        try:
            email_verification_confirm_link(token=token)
        except LinkRejected:
            return _page(request, template, {"error": BAD_LINK}, status=400)
        return _page(request, template, {"done": True, "sign_in_url": _sign_in_url()})
    return _page(request, template, {"token": token})


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def verify_email_code(request: HttpRequest) -> HttpResponse:
    """Username and the emailed code; or "send a new code" for the username."""
    organization = request.organization
    if organization is None:
        raise Http404
    template = "notifications/pages/verify_email_code.html"
    if request.method == "GET":
        return _page(request, template, {"form": CodeForm(initial={"username": request.GET.get("username", "")})})
    wait = _too_many(request)
    if wait:
        return _limited(request, wait)
    form = CodeForm(request.POST)
    if not form.is_valid():
        return _page(request, template, {"form": form}, status=400)
    user = user_find(organization=organization, username=form.cleaned_data["username"])
    if request.POST.get("action") == "resend":
        if user is not None and email_verification_pending(user):
            try:
                email_verification_start(actor=user, user=user, resend=True)
            except DomainError:
                pass  # cool-down or resend limit: the answer below stays the same for everyone
        notice = _("If this account is waiting for email verification, a new code is on its way.")
        return _page(request, template, {"form": CodeForm(initial=form.cleaned_data), "notice": notice})
    code = form.cleaned_data["code"]
    if user is None or not code or not email_verification_confirm(user=user, code=code).ok:
        return _page(request, template, {"form": form, "error": BAD_CODE}, status=400)
    return _page(request, template, {"done": True, "sign_in_url": _sign_in_url()})


@sensitive_post_parameters("password", "password_again")
@never_cache
@require_http_methods(["GET", "POST"])
def password_setup(request: HttpRequest) -> HttpResponse:
    """Set a password from an invitation ("ask password") or an admin-forced reset link."""
    if request.organization is None:
        raise Http404
    token = (request.POST.get("token") or request.GET.get("token") or "")[:300]
    template = "notifications/pages/password_setup.html"
    try:
        user, purpose = password_setup_link_check(token=token)
    except LinkRejected:
        return _page(request, template, {"error": BAD_LINK}, status=400)
    if user.organization_id != request.organization.pk:
        return _page(request, template, {"error": BAD_LINK}, status=400)
    form = NewPasswordForm(request.POST if request.method == "POST" else None)
    context = {"form": form, "token": token, "purpose": purpose, "account": user}
    if request.method == "POST":
        wait = _too_many(request)
        if wait:
            return _limited(request, wait)
        if form.is_valid():
            try:
                password_setup_by_link(token=token, password=form.cleaned_data["password"])
            except LinkRejected:
                return _page(request, template, {"error": BAD_LINK}, status=400)
            except DomainError as exc:
                form.add_error("password", exc.message)
            else:
                return _page(request, template, {"done": True, "purpose": purpose, "sign_in_url": _sign_in_url()})
        return _page(request, template, context, status=400)
    return _page(request, template, context)
