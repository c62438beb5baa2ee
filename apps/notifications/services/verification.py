"""Email and mobile verification: after SCIM ``verifyEmail``, and when a user changes their own
email address or mobile number (the new value waits in ``pendingEmail`` / ``pendingMobile``
until it is verified; the old one stays in use until then).

Kept in ``User.attributes`` (WSO2's claims): ``emailVerified`` and ``phoneVerified`` (booleans),
``pendingEmail`` and ``pendingMobile`` (the address waiting for verification). Only these
services write them; a user's own profile update cannot (see ``profile_update_by_owner``)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from apps.core.audit import audit_record
from apps.core.errors import InvalidInput
from apps.notifications.models import Message, VerificationMethod
from apps.notifications.services.lifecycle import Delivery, portal_url, send_code, send_link
from apps.notifications.services.links import link_consume, link_url
from apps.notifications.services.otp import OtpVerification, otp_verify
from apps.notifications.services.settings import notification_settings_get
from apps.users.models import User

EMAIL_VERIFICATION = "email_verification"
MOBILE_VERIFICATION = "mobile_verification"
EMAIL_VERIFIED = "emailVerified"
PHONE_VERIFIED = "phoneVerified"
PENDING_EMAIL = "pendingEmail"
PENDING_MOBILE = "pendingMobile"
SYSTEM_KEYS = (EMAIL_VERIFIED, PHONE_VERIFIED, PENDING_EMAIL, PENDING_MOBILE)


def email_verification_pending(user: User) -> bool:
    attributes = user.attributes or {}
    return user.state == User.State.PENDING_EMAIL_VERIFICATION or bool(attributes.get(PENDING_EMAIL))


def mobile_verification_pending(user: User) -> bool:
    attributes = user.attributes or {}
    return bool(attributes.get(PENDING_MOBILE)) or (bool(user.phone) and attributes.get(PHONE_VERIFIED) is False)


def _attributes_merge(user: User, **values: Any) -> User:
    """Write system-managed verification keys (no profile event: nothing the user entered changed)."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    attributes = dict(locked.attributes or {})
    for key, value in values.items():
        if value is None:
            attributes.pop(key, None)
        else:
            attributes[key] = value
    User.objects.filter(pk=user.pk).update(attributes=attributes)
    user.attributes = attributes
    return user


# --- email ---------------------------------------------------------------------------------------


@transaction.atomic
def email_verification_start(*, actor: Any, user: User, resend: bool = False) -> Delivery:
    """Send a verification link or email OTP (organization setting) to the pending new address,
    or to the current one (which is marked unverified until then)."""
    config = notification_settings_get(organization=user.organization)
    pending = (user.attributes or {}).get(PENDING_EMAIL) or ""
    address = pending or user.email
    if not address:
        raise InvalidInput("NTF-60056", _("The user has no email address."), field="email")
    if not pending:
        user = _attributes_merge(user, **{EMAIL_VERIFIED: False})
    ttl = config.email_verification_ttl_seconds
    if config.email_verification_method == VerificationMethod.OTP:
        delivery = send_code(
            user=user,
            purpose=EMAIL_VERIFICATION,
            channel=Message.Channel.EMAIL,
            ttl=ttl,
            journey=EMAIL_VERIFICATION,
            method=VerificationMethod.OTP,
            resend=resend,
            recipient=address,
        )
    else:
        base = portal_url(user.organization, "lifecycle:verify-email")
        delivery = send_link(
            user=user,
            purpose=EMAIL_VERIFICATION,
            ttl=ttl,
            journey=EMAIL_VERIFICATION,
            method=VerificationMethod.LINK,
            resend=resend,
            template_type="email_verification_link",
            url_for=lambda token: link_url(base, token),
            recipient=address,
        )
    audit_record(
        actor=actor,
        action="user.email_verification.sent",
        target_type="user",
        target_id=user.pk,
        organization=user.organization,
        data={"method": delivery.method, "resend": resend},
    )
    return delivery


@transaction.atomic
def _email_verified(user: User) -> User:
    from apps.users.services import user_set_state, user_update

    user = User.objects.select_for_update().select_related("organization").get(pk=user.pk)
    attributes = dict(user.attributes or {})
    pending = attributes.pop(PENDING_EMAIL, None)
    attributes[EMAIL_VERIFIED] = True
    if pending:
        # The new address becomes the email now; the change is the user's own.
        User.objects.filter(pk=user.pk).update(attributes=attributes)
        user.attributes = attributes
        user = user_update(actor=user, user=user, email=pending)
    else:
        _attributes_merge(user, **{EMAIL_VERIFIED: True})
    if user.state == User.State.PENDING_EMAIL_VERIFICATION:
        user = user_set_state(actor=user, user=user, state=User.State.ACTIVE)
    audit_record(
        actor=user,
        action="user.email_verification.verified",
        target_type="user",
        target_id=user.pk,
        organization=user.organization,
    )
    return user


def email_verification_confirm(*, user: User, code: str) -> OtpVerification:
    """Check an email-verification OTP; a match verifies the address (and ends the pending state).

    Not wrapped in a transaction on purpose: a wrong code must stay counted."""
    result = otp_verify(user=user, purpose=EMAIL_VERIFICATION, code=code)
    if result.ok:
        _email_verified(user)
    return result


@transaction.atomic
def email_verification_confirm_link(*, token: str) -> User:
    """Use an email-verification link (``LinkRejected`` when tampered, used, superseded or expired)."""
    user = link_consume(token=token, purpose=EMAIL_VERIFICATION)
    return _email_verified(user)


# --- mobile --------------------------------------------------------------------------------------


@transaction.atomic
def mobile_verification_start(*, actor: Any, user: User, resend: bool = False) -> Delivery:
    """Send an SMS OTP to the pending new mobile number, or to the current one (marked unverified)."""
    config = notification_settings_get(organization=user.organization)
    pending = (user.attributes or {}).get(PENDING_MOBILE) or ""
    number = pending or user.phone
    if not number:
        raise InvalidInput("NTF-60057", _("The user has no mobile number."), field="mobile")
    if not pending:
        user = _attributes_merge(user, **{PHONE_VERIFIED: False})
    delivery = send_code(
        user=user,
        purpose=MOBILE_VERIFICATION,
        channel=Message.Channel.SMS,
        ttl=config.otp_ttl_seconds,
        journey=MOBILE_VERIFICATION,
        method="sms_otp",
        resend=resend,
        recipient=number,
    )
    audit_record(
        actor=actor,
        action="user.mobile_verification.sent",
        target_type="user",
        target_id=user.pk,
        organization=user.organization,
        data={"resend": resend},
    )
    return delivery


@transaction.atomic
def _mobile_verified(user: User) -> User:
    from apps.users.services import user_update

    user = User.objects.select_for_update().select_related("organization").get(pk=user.pk)
    attributes = dict(user.attributes or {})
    pending = attributes.pop(PENDING_MOBILE, None)
    attributes[PHONE_VERIFIED] = True
    User.objects.filter(pk=user.pk).update(attributes=attributes)
    user.attributes = attributes
    if pending:
        user = user_update(actor=user, user=user, phone=pending)
    audit_record(
        actor=user,
        action="user.mobile_verification.verified",
        target_type="user",
        target_id=user.pk,
        organization=user.organization,
    )
    return user


def mobile_verification_confirm(*, user: User, code: str) -> OtpVerification:
    """Check a mobile-verification SMS OTP; a match verifies (and switches to) the number."""
    result = otp_verify(user=user, purpose=MOBILE_VERIFICATION, code=code)
    if result.ok:
        _mobile_verified(user)
    return result


# --- a user's own profile changes ----------------------------------------------------------------


@transaction.atomic
def profile_update_by_owner(*, user: User, changes: dict[str, Any]) -> tuple[User, list[Delivery]]:
    """``user_update`` for a user changing their own profile (My Account, SCIM ``/Me``).

    A new email address or mobile number is not switched to at once: it waits as
    ``pendingEmail`` / ``pendingMobile`` and a link or code goes to it (organization settings
    ``email_verify_on_update`` / ``mobile_verify_on_update``). The verification keys themselves
    are not the user's to change."""
    from apps.users.services import user_update
    from apps.users.services.validation import clean_email, clean_phone

    config = notification_settings_get(organization=user.organization)
    changes = dict(changes)
    current = dict(user.attributes or {})
    attributes = dict(changes.pop("attributes", current) or {})
    for key in SYSTEM_KEYS:
        if key in current:
            attributes[key] = current[key]
        else:
            attributes.pop(key, None)
    starts: list[str] = []
    if "email" in changes and config.email_verify_on_update:
        email = clean_email(changes["email"])
        if email and email.lower() != (user.email or "").lower():
            changes.pop("email")
            attributes[PENDING_EMAIL] = email
            starts.append(EMAIL_VERIFICATION)
        elif email.lower() == (user.email or "").lower():
            changes.pop("email")
            attributes.pop(PENDING_EMAIL, None)  # back to the current address: nothing to verify
    if "phone" in changes and config.mobile_verify_on_update:
        phone = clean_phone(changes["phone"])
        if phone and phone != user.phone:
            changes.pop("phone")
            attributes[PENDING_MOBILE] = phone
            starts.append(MOBILE_VERIFICATION)
        elif phone == user.phone:
            changes.pop("phone")
            attributes.pop(PENDING_MOBILE, None)
    if attributes != current:
        changes["attributes"] = attributes
    if changes:
        user = user_update(actor=user, user=user, **changes)
    deliveries = []
    if EMAIL_VERIFICATION in starts:
        deliveries.append(email_verification_start(actor=user, user=user))
    if MOBILE_VERIFICATION in starts:
        deliveries.append(mobile_verification_start(actor=user, user=user))
    return user, deliveries
