"""My Account pages of the login portal: Security (authenticator app, recovery codes) and Sessions."""

from __future__ import annotations

import uuid

import segno
from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from apps.authn.authenticators.totp import CodeForm
from apps.authn.models import AuthSession, PasskeyCredential, TotpDevice
from apps.authn.services.passkeys import passkey_register, passkey_remove, registration_options
from apps.authn.services.sessions import current_auth_session, session_revoke, sessions_live, sso_logout
from apps.authn.services.totp import (
    provisioning_uri,
    recovery_codes_generate,
    totp_enrol_begin,
    totp_enrol_confirm,
    totp_remove,
)
from apps.core.errors import DomainError
from apps.myaccount.views import _render, myaccount_view

RECOVERY_SESSION_KEY = "authn_recovery_codes"


class ConfirmForm(forms.Form):
    code = CodeForm.base_fields["code"]


def _qr_svg(uri: str) -> str:
    """The otpauth URI as an inline SVG (no script, no external request)."""
    return segno.make(uri, error="m").svg_inline(scale=4, dark="#111827", light="#ffffff")


@myaccount_view
def security(request: HttpRequest) -> HttpResponse:
    user = request.user
    device = TotpDevice.objects.filter(user=user).first()
    context: dict[str, object] = {"device": device, "form": CodeForm()}
    if device is not None and device.confirmed_at is None:
        uri = provisioning_uri(device, issuer=request.organization.name)
        context.update({"qr_svg": _qr_svg(uri), "secret": uri.split("secret=", 1)[1].split("&", 1)[0]})
    codes = request.session.pop(RECOVERY_SESSION_KEY, None)  # shown once
    if codes:
        context["recovery_codes"] = codes
    context["passkeys"] = list(PasskeyCredential.objects.filter(user=user).order_by("created"))
    context["passkey_options"] = registration_options(request, user=user)
    if device is not None and device.confirmed_at is not None:
        context["recovery_left"] = user.recovery_codes.filter(used_at__isnull=True).count()
    return _render(request, "authn/myaccount/security.html", context, section="security")


@myaccount_view
@require_POST
def totp_begin(request: HttpRequest) -> HttpResponse:
    try:
        totp_enrol_begin(user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("myaccount:security")


@myaccount_view
@require_POST
def totp_confirm(request: HttpRequest) -> HttpResponse:
    form = CodeForm(request.POST)
    if form.is_valid():
        try:
            codes = totp_enrol_confirm(user=request.user, code=form.cleaned_data["code"])
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            request.session[RECOVERY_SESSION_KEY] = codes
            messages.success(request, _("Your authenticator app is set up."))
    return redirect("myaccount:security")


@myaccount_view
@require_POST
def totp_delete(request: HttpRequest) -> HttpResponse:
    totp_remove(actor=request.user, user=request.user)
    messages.success(request, _("The authenticator app was removed."))
    return redirect("myaccount:security")


@myaccount_view
@require_POST
def recovery_regenerate(request: HttpRequest) -> HttpResponse:
    if not TotpDevice.objects.filter(user=request.user, confirmed_at__isnull=False).exists():
        raise Http404
    request.session[RECOVERY_SESSION_KEY] = recovery_codes_generate(user=request.user)
    return redirect("myaccount:security")


@myaccount_view
@require_POST
def passkey_add(request: HttpRequest) -> HttpResponse:
    try:
        passkey_register(
            request, user=request.user, credential=request.POST.get("credential", ""), name=request.POST.get("name", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Passkey added."))
    return redirect("myaccount:security")


@myaccount_view
@require_POST
def passkey_delete(request: HttpRequest, passkey_id: int) -> HttpResponse:
    row = PasskeyCredential.objects.filter(pk=passkey_id, user=request.user).first()
    if row is None:
        raise Http404
    passkey_remove(actor=request.user, passkey=row)
    messages.success(request, _("Passkey removed."))
    return redirect("myaccount:security")


@myaccount_view
def sessions(request: HttpRequest) -> HttpResponse:
    current = current_auth_session(request)
    rows = list(sessions_live(request.user))
    context = {"sessions": rows, "current_id": current.pk if current is not None else None}
    return _render(request, "authn/myaccount/sessions.html", context, section="sessions")


SESSION_REVOKED = _lazy("The session was signed out.")


@myaccount_view
@require_POST
def session_end(request: HttpRequest, session_id: uuid.UUID) -> HttpResponse:
    row = AuthSession.objects.filter(pk=session_id, user=request.user).first()
    if row is None:
        raise Http404
    current = current_auth_session(request)
    if current is not None and current.pk == row.pk:
        sso_logout(request)  # revoking this browser's own session signs it out
        return redirect("myaccount:login")
    session_revoke(actor=request.user, session=row)
    messages.success(request, str(SESSION_REVOKED))
    return redirect(reverse("myaccount:sessions"))
