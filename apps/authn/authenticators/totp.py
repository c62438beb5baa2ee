"""``totp``: a code from an authenticator app, or a recovery code."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from apps.authn.authenticators.base import SECOND_FACTOR, Authenticator, Outcome
from apps.authn.services.totp import recovery_code_use, totp_enrolled, totp_verify


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_lazy("Verification code"),
        max_length=32,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


class TotpAuthenticator(Authenticator):
    id = "totp"
    display_name = _lazy("Authenticator app")
    kind = SECOND_FACTOR
    template = "authn/steps/totp.html"
    amr = "otp"

    def available_for(self, user: Any) -> bool:
        return totp_enrolled(user)

    def begin(self, request: HttpRequest, flow: Any) -> dict[str, Any]:
        return {"form": CodeForm()}

    def complete(self, request: HttpRequest, flow: Any, data: Any) -> Outcome:
        form = CodeForm(data)
        if not form.is_valid():
            return Outcome(reason="invalid_form", form=form)
        code = form.cleaned_data["code"]
        if "-" in code or len(code) > 8:
            if recovery_code_use(user=flow.user, code=code):
                return Outcome(user=flow.user)
            return Outcome(reason="invalid_recovery_code", message=_("That code is not valid."))
        reason = totp_verify(user=flow.user, code=code)
        if reason:
            return Outcome(reason=f"totp_{reason}", message=_("That code is not valid."))
        return Outcome(user=flow.user)
