"""``passkey``: WebAuthn. As a first step it signs in without a username (discoverable credential);
as a later step it verifies the user found before."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from apps.authn.authenticators.base import SECOND_FACTOR, Authenticator, Outcome
from apps.authn.models import PasskeyCredential
from apps.authn.services.passkeys import authentication_options, passkey_authenticate


class PasskeyAuthenticator(Authenticator):
    id = "passkey"
    display_name = _lazy("Passkey")
    kind = SECOND_FACTOR
    identifies = True  # may also be a first step: the passkey names its user
    template = "authn/steps/passkey.html"
    amr = "hwk"

    def available_for(self, user: Any) -> bool:
        return PasskeyCredential.objects.filter(user=user).exists()

    def begin(self, request: HttpRequest, flow: Any) -> dict[str, Any]:
        return {"passkey_options": authentication_options(request, user=flow.user, state=flow.state)}

    def complete(self, request: HttpRequest, flow: Any, data: Any) -> Outcome:
        user, reason = passkey_authenticate(
            request,
            user=flow.user,
            organization=flow.organization,
            state=flow.state,
            credential=data.get("credential", ""),
        )
        if reason:
            return Outcome(user=user, reason=reason, message=_("That passkey did not work. Try again."))
        return Outcome(user=user)
