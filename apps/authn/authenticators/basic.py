"""``basic``: username and password; ``identifier_first``: the username, then the password."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _lazy

from apps.authn.authenticators.base import FIRST_FACTOR, Authenticator, Outcome
from apps.authn.services.lockout import password_authenticate

GENERIC_FAILURE = _lazy("Incorrect username or password.")


class PasswordForm(forms.Form):
    username = forms.CharField(
        label=_lazy("Username"),
        max_length=256,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_lazy("Password"),
        max_length=1024,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    remember_me = forms.BooleanField(label=_lazy("Remember me on this device"), required=False)


class IdentifierForm(forms.Form):
    username = forms.CharField(
        label=_lazy("Username"),
        max_length=256,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )


def login_failed_signal(request: HttpRequest, username: str, reason: str) -> None:
    """Django's failure signal (the webhook events listen to it), without the password."""
    user_login_failed.send(sender=__name__, credentials={"username": username[:150], "reason": reason}, request=request)


class BasicAuthenticator(Authenticator):
    id = "basic"
    display_name = _lazy("Username & password")
    kind = FIRST_FACTOR
    template = "authn/steps/basic.html"
    amr = "pwd"

    def form(self, data: Any = None, initial: dict[str, Any] | None = None) -> PasswordForm:
        return PasswordForm(data, initial=initial)

    def begin(self, request: HttpRequest, flow: Any) -> dict[str, Any]:
        hint = flow.state.get("login_hint", "")
        return {"form": self.form(initial={"username": hint} if hint else None)}

    def complete(self, request: HttpRequest, flow: Any, data: Any) -> Outcome:
        form = self.form(data)
        if not form.is_valid():
            return Outcome(reason="invalid_form", form=form)
        return self.check(request, flow, form.cleaned_data["username"], form.cleaned_data["password"])

    def check(self, request: HttpRequest, flow: Any, username: str, password: str) -> Outcome:
        result = password_authenticate(organization=flow.organization, username=username, password=password)
        if not result.ok:
            login_failed_signal(request, username, result.reason)
            return Outcome(user=result.user, reason=result.reason, message=str(GENERIC_FAILURE))
        if flow.user_id is not None and flow.user_id != result.user.pk:
            # step-up of a signed-in user: the password must be theirs
            return Outcome(user=result.user, reason="different_user", message=str(GENERIC_FAILURE))
        return Outcome(user=result.user)


class IdentifierFirstAuthenticator(BasicAuthenticator):
    """Asks for the username first; the password page follows whether or not the account exists."""

    id = "identifier_first"
    display_name = _lazy("Username first, then password")
    template = "authn/steps/identifier_first.html"

    def begin(self, request: HttpRequest, flow: Any) -> dict[str, Any]:
        identifier = flow.state.get("identifier", "")
        if identifier:
            return {"identifier": identifier, "form": PasswordForm(initial={"username": identifier})}
        hint = flow.state.get("login_hint", "")
        return {"form": IdentifierForm(initial={"username": hint} if hint else None)}

    def complete(self, request: HttpRequest, flow: Any, data: Any) -> Outcome:
        identifier = flow.state.get("identifier", "")
        if not identifier or "password" not in data:
            form = IdentifierForm(data)
            if not form.is_valid():
                return Outcome(reason="invalid_form", form=form)
            flow.state["identifier"] = form.cleaned_data["username"]
            return Outcome(pending=True)
        form = PasswordForm({**data.dict(), "username": identifier} if hasattr(data, "dict") else data)
        if not form.is_valid():
            return Outcome(reason="invalid_form", form=form)
        outcome = self.check(request, flow, identifier, form.cleaned_data["password"])
        if not outcome.ok:
            flow.state.pop("identifier", None)
        return outcome
