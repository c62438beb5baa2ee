"""My Account: verify a new or unverified email address or mobile number, and send the code or
link again (the cool-down and the organization's resend limit apply, with a clear message)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.debug import sensitive_post_parameters

from apps.core.errors import DomainError
from apps.myaccount.views import _render, myaccount_view
from apps.notifications.models import VerificationMethod
from apps.notifications.services.settings import notification_settings_get
from apps.notifications.services.verification import (
    PENDING_EMAIL,
    PENDING_MOBILE,
    email_verification_confirm,
    email_verification_pending,
    email_verification_start,
    mobile_verification_confirm,
    mobile_verification_pending,
    mobile_verification_start,
)

CHANNELS = ("email", "mobile")


class VerifyCodeForm(forms.Form):
    code = forms.CharField(
        label=_lazy("Code"),
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )


def _wrong_code_message(reason: str, remaining: int) -> str:
    if reason == "locked":
        return _("Too many wrong codes: this code no longer works. Send a new one.")
    if reason in ("expired", "used", "no_code"):
        return _("This code has expired or was already used. Send a new one.")
    return _("Wrong code. %(n)d attempts left.") % {"n": remaining}


def _resend(request: HttpRequest, channel: str) -> None:
    user = request.user
    try:
        if channel == "mobile":
            delivery = mobile_verification_start(actor=user, user=user, resend=True)
        else:
            delivery = email_verification_start(actor=user, user=user, resend=True)
    except DomainError as exc:  # cool-down (NTF-60055) or resend limit (NTF-60061), said plainly
        messages.error(request, f"{exc.message} {exc.description}" if exc.description != exc.message else exc.message)
    else:
        messages.success(request, _("Sent again to %(to)s.") % {"to": delivery.masked_recipient})


@sensitive_post_parameters("code")
@myaccount_view
def verify(request: HttpRequest) -> HttpResponse:
    user = request.user
    email_pending, mobile_pending = email_verification_pending(user), mobile_verification_pending(user)
    forms_by_channel = {channel: VerifyCodeForm(prefix=channel) for channel in CHANNELS}
    status = 200
    if request.method == "POST":
        channel = request.POST.get("channel", "")
        pending = {"email": email_pending, "mobile": mobile_pending}.get(channel, False)
        if not pending:
            messages.info(request, _("Nothing is waiting for verification."))
            return redirect("myaccount:verify")
        if request.POST.get("action") == "resend":
            _resend(request, channel)
            return redirect("myaccount:verify")
        form = VerifyCodeForm(request.POST, prefix=channel)
        forms_by_channel[channel] = form
        if form.is_valid():
            confirm = mobile_verification_confirm if channel == "mobile" else email_verification_confirm
            result = confirm(user=user, code=form.cleaned_data["code"])
            if result.ok:
                messages.success(
                    request,
                    _("Your mobile number is verified.")
                    if channel == "mobile"
                    else _("Your email address is verified."),
                )
                return redirect("myaccount:home")
            form.add_error("code", _wrong_code_message(result.reason, result.attempts_remaining))
        status = 400
    attributes = user.attributes or {}
    config = notification_settings_get(organization=user.organization)
    context = {
        "email_pending": email_pending,
        "mobile_pending": mobile_pending,
        "pending_email": attributes.get(PENDING_EMAIL) or user.email,
        "pending_mobile": attributes.get(PENDING_MOBILE) or user.phone,
        "email_by_code": config.email_verification_method == VerificationMethod.OTP,
        "email_form": forms_by_channel["email"],
        "mobile_form": forms_by_channel["mobile"],
    }
    return _render(request, "notifications/lifecycle/myaccount_verify.html", context, section="home", status=status)
