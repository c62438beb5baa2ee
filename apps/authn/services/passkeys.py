"""Passkeys (WebAuthn Level 2 via the ``webauthn`` package): register in My Account, sign in with one.

The relying party id is the host name the browser sees and the origin its scheme and host, so a
credential only works on the site it was made for."""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from apps.authn.models import PasskeyCredential
from apps.authn.services.events import auth_event
from apps.core.errors import InvalidInput

REGISTRATION_KEY = "authn_passkey_registration"


def rp_id(request: HttpRequest) -> str:
    return request.get_host().rsplit(":", 1)[0] if not request.get_host().startswith("[") else request.get_host()


def expected_origin(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


def registration_options(request: HttpRequest, *, user: Any) -> dict[str, Any]:
    """Creation options (JSON for the browser); the challenge waits in the session."""
    options = generate_registration_options(
        rp_id=rp_id(request),
        rp_name=user.organization.name,
        user_id=user.pk.bytes,
        user_name=user.username,
        user_display_name=getattr(user, "display_name", user.username),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED, user_verification=UserVerificationRequirement.PREFERRED
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(item.credential_id))
            for item in PasskeyCredential.objects.filter(user=user)
        ],
    )
    request.session[REGISTRATION_KEY] = bytes_to_base64url(options.challenge)
    return json.loads(options_to_json(options))


@transaction.atomic
def passkey_register(request: HttpRequest, *, user: Any, credential: str, name: str = "") -> PasskeyCredential:
    challenge = request.session.pop(REGISTRATION_KEY, None)
    if not challenge or not credential or len(credential) > 20_000:
        raise InvalidInput("AUT-60030", _("Start adding the passkey again."))
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=rp_id(request),
            expected_origin=expected_origin(request),
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
        raise InvalidInput("AUT-60031", _("The passkey could not be verified.")) from exc
    row = PasskeyCredential.objects.create(
        user=user,
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=bytes_to_base64url(verified.credential_public_key),
        sign_count=verified.sign_count,
        name=(name or _("Passkey")).strip()[:100],
    )
    auth_event("mfa.enrolled", user=user, organization=user.organization, data={"authenticator": "passkey"})
    return row


@transaction.atomic
def passkey_remove(*, actor: Any, passkey: PasskeyCredential) -> None:
    user = passkey.user
    passkey.delete()
    auth_event("mfa.removed", user=user, organization=user.organization, actor=actor, data={"authenticator": "passkey"})


def authentication_options(request: HttpRequest, *, user: Any, state: dict[str, Any]) -> dict[str, Any]:
    """Request options; without a user any passkey of this site may answer (discoverable credential)."""
    allowed = (
        [
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(item.credential_id))
            for item in PasskeyCredential.objects.filter(user=user)
        ]
        if user is not None
        else []
    )
    options = generate_authentication_options(
        rp_id=rp_id(request), allow_credentials=allowed, user_verification=UserVerificationRequirement.PREFERRED
    )
    state["passkey_challenge"] = bytes_to_base64url(options.challenge)
    return json.loads(options_to_json(options))


def passkey_authenticate(
    request: HttpRequest, *, user: Any, organization: Any, state: dict[str, Any], credential: str
) -> tuple[Any, str]:
    """(user, "") when ``credential`` answers the challenge with a passkey of the organization.

    Otherwise (user or None, reason)."""
    challenge = state.pop("passkey_challenge", None)
    if not challenge or not credential or len(credential) > 20_000:
        return None, "passkey_missing"
    try:
        credential_id = str(json.loads(credential)["id"])
    except (ValueError, KeyError, TypeError):
        return None, "passkey_malformed"
    row = (
        PasskeyCredential.objects.select_related("user", "user__organization")
        .filter(credential_id=credential_id, user__organization_id=organization.pk)
        .first()
    )
    if row is None or (user is not None and row.user_id != user.pk):
        return None, "passkey_unknown"
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=rp_id(request),
            expected_origin=expected_origin(request),
            credential_public_key=base64url_to_bytes(row.public_key),
            credential_current_sign_count=row.sign_count,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError):
        return row.user, "passkey_invalid"
    PasskeyCredential.objects.filter(pk=row.pk).update(sign_count=verified.new_sign_count, last_used=timezone.now())
    if not row.user.is_active:
        return row.user, "inactive"
    return row.user, ""
