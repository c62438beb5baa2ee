"""Account lifecycle journeys built on codes and links: invite ("ask password"), admin-forced
password reset, resends, and the one-time code that stands in for a password at sign-in.

State lives on the user (``User.State``): ``pending_ask_password`` until an invited user sets a
password, ``pending_password_reset`` until a user forced to reset does. The channel of each
journey comes from the organization's settings (``NotificationSettings.ask_password_method`` /
``admin_reset_method``) unless the admin picks one. Email and mobile verification are in
``apps.notifications.services.verification``."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.audit import audit_record
from apps.core.errors import InvalidInput
from apps.notifications.executors import mask_recipient
from apps.notifications.models import LinkToken, Message, OneTimeCode, PasswordSetupMethod
from apps.notifications.services.links import LinkRejected, link_consume, link_inspect, link_issue, link_url
from apps.notifications.services.messages import notification_send
from apps.notifications.services.otp import otp_issue, otp_verify
from apps.notifications.services.settings import notification_settings_get
from apps.users.models import User

logger = logging.getLogger(__name__)

ASK_PASSWORD = "ask_password"
ADMIN_RESET = "admin_forced_reset"
EMAIL_VERIFIED_KEY = "emailVerified"
SETUP_STATES = (User.State.PENDING_ASK_PASSWORD, User.State.PENDING_PASSWORD_RESET)
_PURPOSE_OF_STATE = {User.State.PENDING_ASK_PASSWORD: ASK_PASSWORD, User.State.PENDING_PASSWORD_RESET: ADMIN_RESET}
_SMS_TEMPLATES = {ASK_PASSWORD: "ask_password_sms_otp", ADMIN_RESET: "password_reset_sms_otp"}
_LINK_TEMPLATES = {ASK_PASSWORD: "ask_password_link", ADMIN_RESET: "password_reset_link"}


@dataclass(frozen=True)
class Delivery:
    """What was sent for a journey (for the Console and API answers)."""

    journey: str  # ask_password | admin_forced_reset | email_verification | mobile_verification
    method: str  # email_link | email_otp | sms_otp | offline | link | otp
    channel: str  # email | sms | offline
    masked_recipient: str = ""
    expires_at: datetime | None = None
    code: str | None = None  # offline only: the admin hands it over

    def as_dict(self) -> dict[str, Any]:
        out = {
            "journey": self.journey,
            "method": self.method,
            "channel": self.channel,
            "maskedRecipient": self.masked_recipient,
            "expiresAt": self.expires_at.isoformat() if self.expires_at else None,
        }
        if self.code is not None:
            out["oneTimePassword"] = self.code
        return out


# --- URLs of the end-user pages ------------------------------------------------------------------


def portal_url(organization: Any, name: str) -> str:
    """Absolute URL of page ``name`` in ``organization`` (its ``/t/<root>[/o/<id>]`` prefix, or none
    for the default root), whatever request (or none) is being served."""
    from apps.oauth.issuer import tenant_prefix

    path = reverse(name)
    current = get_script_prefix().rstrip("/")
    if current and path.startswith(current + "/"):
        path = path[len(current) :]
    return f"{settings.IAM_BASE_URL}{tenant_prefix(organization)}{path}"


def ask_password_link(organization: Any, token: str) -> str:
    """Where an invitation link lands: the invited-user registration flow when ``apps.flows``
    provides one, else this app's set-password page."""
    try:
        from apps.flows.services import flow_start_url

        url = flow_start_url(organization, "INVITED_USER_REGISTRATION", confirmation_code=token)
    except Exception:
        logger.info("invited-user flow unavailable; the invitation links to the set-password page")
        return link_url(portal_url(organization, "lifecycle:password-setup"), token)
    return f"{settings.IAM_BASE_URL}{url}" if url.startswith("/") else url


# --- sending -------------------------------------------------------------------------------------


def send_code(
    *,
    user: User,
    purpose: str,
    channel: str,
    ttl: int,
    journey: str,
    method: str,
    resend: bool,
    template_type: str | None = None,
    recipient: str | None = None,
) -> Delivery:
    issued = otp_issue(
        user=user,
        purpose=purpose,
        channel=channel,
        ttl=ttl,
        template_type=template_type,
        recipient=recipient,
        resend=resend,
    )
    return Delivery(journey, method, channel, mask_recipient(issued.recipient), issued.expires_at)


def send_link(
    *,
    user: User,
    purpose: str,
    ttl: int,
    journey: str,
    method: str,
    resend: bool,
    template_type: str,
    url_for: Any,
    recipient: str | None = None,
) -> Delivery:
    address = recipient or user.email
    if not address:
        raise InvalidInput("NTF-60056", _("The user has no email address."), field="email")
    token = link_issue(user=user, purpose=purpose, ttl=ttl, resend=resend)
    expires_at = timezone.now() + timedelta(seconds=ttl) if ttl > 0 else None
    notification_send(
        organization=user.organization,
        channel=Message.Channel.EMAIL,
        template_type=template_type,
        recipient=address,
        context={
            "user_name": user.display_name,
            "expiry_minutes": max(1, ttl // 60) if ttl > 0 else "",
            "link": url_for(token),
        },
        expires_at=expires_at,
    )
    return Delivery(journey, method, "email", mask_recipient(address), expires_at)


def _last_method(user: User, purpose: str) -> str | None:
    """The method the journey's latest code or link went by (a resend keeps it)."""
    code = OneTimeCode.objects.filter(user=user, purpose=purpose).order_by("-created").first()
    link = LinkToken.objects.filter(user=user, purpose=purpose).order_by("-created").first()
    if link is not None and (code is None or link.created > code.created):
        return PasswordSetupMethod.EMAIL_LINK
    if code is None:
        return None
    if code.message_id is None:
        return PasswordSetupMethod.OFFLINE
    return PasswordSetupMethod.SMS_OTP if code.channel == Message.Channel.SMS else PasswordSetupMethod.EMAIL_OTP


def _send_setup(*, user: User, purpose: str, method: str, ttl: int, resend: bool) -> Delivery:
    organization = user.organization
    if method == PasswordSetupMethod.EMAIL_LINK:
        if purpose == ASK_PASSWORD:

            def url_for(token: str) -> str:
                return ask_password_link(organization, token)
        else:

            def url_for(token: str) -> str:
                return link_url(portal_url(organization, "lifecycle:password-setup"), token)

        return send_link(
            user=user,
            purpose=purpose,
            ttl=ttl,
            journey=purpose,
            method=method,
            resend=resend,
            template_type=_LINK_TEMPLATES[purpose],
            url_for=url_for,
        )
    if method == PasswordSetupMethod.OFFLINE:
        issued = otp_issue(user=user, purpose=purpose, channel="email", ttl=ttl, deliver=False, resend=resend)
        return Delivery(purpose, method, "offline", "", issued.expires_at, code=issued.code)
    channel = Message.Channel.SMS if method == PasswordSetupMethod.SMS_OTP else Message.Channel.EMAIL
    return send_code(
        user=user,
        purpose=purpose,
        channel=channel,
        ttl=ttl,
        journey=purpose,
        method=method,
        resend=resend,
        template_type=_SMS_TEMPLATES[purpose] if channel == Message.Channel.SMS else None,
    )


def _method(value: Any, default: str) -> str:
    method = value or default
    if method not in PasswordSetupMethod.values:
        raise InvalidInput(
            "NTF-60046",
            _("Choose one of %(c)s.") % {"c": ", ".join(PasswordSetupMethod.values)},
            field="method",
        )
    return method


# --- invite and forced reset ---------------------------------------------------------------------


@transaction.atomic
def user_invite(*, actor: Any, user: User, method: str | None = None, resend: bool = False) -> Delivery:
    """Ask ``user`` to set their password: the account waits in ``pending_ask_password`` (no
    usable password) and gets an email link, an email OTP or an SMS OTP (or an offline code)."""
    from apps.users.services import user_set_state

    config = notification_settings_get(organization=user.organization)
    if resend and method is None:
        method = _last_method(user, ASK_PASSWORD)
    method = _method(method, config.ask_password_method)
    user = User.objects.select_for_update().select_related("organization").get(pk=user.pk)
    if user.state not in (User.State.ACTIVE, User.State.PENDING_ASK_PASSWORD, User.State.PENDING_EMAIL_VERIFICATION):
        raise InvalidInput("NTF-60071", _("Only an active or pending account can be invited."), field="state")
    if user.has_usable_password():
        user.set_unusable_password()
        user.save(update_fields=["password"])
    if user.state != User.State.PENDING_ASK_PASSWORD:
        user = user_set_state(actor=actor, user=user, state=User.State.PENDING_ASK_PASSWORD)
    delivery = _send_setup(
        user=user, purpose=ASK_PASSWORD, method=method, ttl=config.ask_password_ttl_seconds, resend=resend
    )
    audit_record(
        actor=actor,
        action="user.invite.resent" if resend else "user.invite.sent",
        target_type="user",
        target_id=user.pk,
        organization=user.organization,
        data={"method": method},
    )
    return delivery


@transaction.atomic
def password_reset_force(*, actor: Any, user: User, method: str | None = None, resend: bool = False) -> Delivery:
    """Admin-forced password reset: the current password stops working at once (the account is
    ``pending_password_reset`` and its sign-in sessions end); the user gets a link to set a new
    one, or a one-time code to sign in with, which leads to "set a new password"."""
    from apps.authn.services.sessions import session_revoke, sessions_live
    from apps.users.services import user_set_state

    config = notification_settings_get(organization=user.organization)
    if resend and method is None:
        method = _last_method(user, ADMIN_RESET)
    method = _method(method, config.admin_reset_method)
    user = User.objects.select_for_update().select_related("organization").get(pk=user.pk)
    if user.state in (User.State.DISABLED, User.State.PENDING_ASK_PASSWORD):
        raise InvalidInput(
            "NTF-60072", _("A disabled account or one still waiting for its first password cannot be reset.")
        )
    if user.state != User.State.PENDING_PASSWORD_RESET:
        user = user_set_state(actor=actor, user=user, state=User.State.PENDING_PASSWORD_RESET)
        for session in sessions_live(user):
            session_revoke(actor=actor, session=session)
    delivery = _send_setup(
        user=user, purpose=ADMIN_RESET, method=method, ttl=config.admin_reset_ttl_seconds, resend=resend
    )
    audit_record(
        actor=actor,
        action="user.password_reset.resent" if resend else "user.password_reset.forced",
        target_type="user",
        target_id=user.pk,
        organization=user.organization,
        data={"method": method},
    )
    return delivery


def pending_resend(*, actor: Any, user: User, method: str | None = None) -> Delivery:
    """Send the code or link of whatever ``user`` is waiting for again (Console "Resend", bulk
    resend, ``resend-code``). The cool-down and ``max_resends`` apply."""
    from apps.notifications.services.verification import (
        email_verification_pending,
        email_verification_start,
        mobile_verification_pending,
        mobile_verification_start,
    )

    if user.state == User.State.PENDING_ASK_PASSWORD:
        return user_invite(actor=actor, user=user, method=method, resend=True)
    if user.state == User.State.PENDING_PASSWORD_RESET:
        return password_reset_force(actor=actor, user=user, method=method, resend=True)
    if email_verification_pending(user):
        return email_verification_start(actor=actor, user=user, resend=True)
    if mobile_verification_pending(user):
        return mobile_verification_start(actor=actor, user=user, resend=True)
    raise InvalidInput("NTF-60070", _("This account is not waiting for a code or link."), field="state")


# --- completing ----------------------------------------------------------------------------------


def pending_password_otp_check(*, user: User, code: str) -> bool:
    """At sign-in: whether ``code`` is the one-time code of an invited user or of a user forced to
    reset (used up when it matches; wrong codes count towards the code's attempt limit)."""
    purpose = _PURPOSE_OF_STATE.get(user.state)
    if purpose is None or not code:
        return False
    return otp_verify(user=user, purpose=purpose, code=code).ok


def password_setup_link_check(*, token: str) -> tuple[User, str]:
    """The user and journey of a set-password link that can still be used (``LinkRejected`` if not)."""
    user, purpose = link_inspect(token=token, purposes=(ASK_PASSWORD, ADMIN_RESET))
    if (
        user.state
        != {ASK_PASSWORD: User.State.PENDING_ASK_PASSWORD, ADMIN_RESET: User.State.PENDING_PASSWORD_RESET}[purpose]
    ):
        raise LinkRejected("superseded")  # a password was set meanwhile (by an admin, or another way)
    return user, purpose


@transaction.atomic
def password_setup_by_link(*, token: str, password: str) -> User:
    """Set the password of an invited user or of a user forced to reset, from their link. The link
    is used up only when the password is accepted (a rejected password leaves it usable)."""
    from apps.users.services import user_set_password

    user, purpose = password_setup_link_check(token=token)
    user_set_password(actor=user, user=user, password=password)
    link_consume(token=token, purpose=purpose)
    user.refresh_from_db()
    if purpose == ASK_PASSWORD and user.email and (user.attributes or {}).get(EMAIL_VERIFIED_KEY) is not True:
        # The invitation reached this mailbox: the address is proven.
        attributes = {**(user.attributes or {}), EMAIL_VERIFIED_KEY: True}
        User.objects.filter(pk=user.pk).update(attributes=attributes)
        user.attributes = attributes
    return user
