"""``email_otp`` and ``sms_otp``: a one-time code sent through the notifications service."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from apps.authn.authenticators.base import SECOND_FACTOR, Authenticator, Outcome
from apps.authn.authenticators.totp import CodeForm
from apps.core.errors import DomainError
from apps.notifications.services import OtpResendTooSoon, otp_issue, otp_verify

_MESSAGES = {
    "expired": _lazy("That code has expired. Ask for a new one."),
    "used": _lazy("That code was already used. Ask for a new one."),
    "locked": _lazy("Too many wrong codes. Ask for a new one."),
    "no_code": _lazy("Ask for a new code."),
}


class _OtpAuthenticator(Authenticator):
    kind = SECOND_FACTOR
    template = "authn/steps/otp.html"
    channel = ""

    @property
    def purpose(self) -> str:
        return f"login:{self.id}"

    def send(self, flow: Any) -> str:
        """Issue and send a code; "" or the reason it could not be sent."""
        try:
            otp_issue(user=flow.user, purpose=self.purpose, channel=self.channel)
        except OtpResendTooSoon:
            return "resend_too_soon"
        except DomainError:
            return "undeliverable"
        return ""

    def begin(self, request: HttpRequest, flow: Any) -> dict[str, Any]:
        sent = flow.state.get(f"{self.id}_sent")
        if not sent:
            problem = self.send(flow)
            flow.state[f"{self.id}_sent"] = True
            if problem == "undeliverable":
                return {"form": CodeForm(), "send_error": _("We could not send a code.")}
        return {"form": CodeForm(), "channel": self.channel}

    def complete(self, request: HttpRequest, flow: Any, data: Any) -> Outcome:
        if data.get("resend"):
            problem = self.send(flow)
            message = _("Please wait a little before asking for another code.") if problem else ""
            return Outcome(pending=True, message=message or _("We sent a new code."))
        form = CodeForm(data)
        if not form.is_valid():
            return Outcome(reason="invalid_form", form=form)
        result = otp_verify(user=flow.user, purpose=self.purpose, code=form.cleaned_data["code"])
        if not result.ok:
            message = _MESSAGES.get(result.reason, _lazy("That code is not valid."))
            return Outcome(reason=f"otp_{result.reason}", message=str(message))
        return Outcome(user=flow.user)


class EmailOtpAuthenticator(_OtpAuthenticator):
    id = "email_otp"
    display_name = _lazy("Email code")
    channel = "email"
    amr = "otp"

    def available_for(self, user: Any) -> bool:
        return bool(user.email)


class SmsOtpAuthenticator(_OtpAuthenticator):
    id = "sms_otp"
    display_name = _lazy("SMS code")
    channel = "sms"
    amr = "sms"

    def available_for(self, user: Any) -> bool:
        return bool(user.phone)
