"""Executors that establish who the flow is about: ``UserResolveExecutor`` (recovery: find the
account by username or email, without ever telling whether it exists),
``ConfirmationCodeValidationExecutor`` (the code from an invite or reset link) and
``MagicLinkExecutor`` (a link mailed to the address, opened to continue the flow)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from apps.core.errors import DomainError
from apps.flows.constants import CONFIRMATION_CODE, EMAIL_CLAIM, MAGIC_LINK_TOKEN, MOBILE_CLAIM, USERNAME_CLAIM
from apps.flows.executors.base import Executor, ExecutorResult, executor_register, message_error, message_info
from apps.notifications.secrets import code_hash, codes_equal
from apps.users.models import User

if TYPE_CHECKING:
    from apps.flows.engine.run import FlowRun
    from apps.flows.plan import PlanAction

LINK_PURPOSES = {
    "INVITED_USER_REGISTRATION": ("ask_password",),
    "PASSWORD_RECOVERY": ("password_recovery", "password_reset", "admin_forced_reset"),
}


def user_resolve(organization: object, identifier: str) -> User | None:
    """The one human account ``identifier`` names: its username, else its (unique) email or mobile."""
    value = (identifier or "").strip()
    if not value or len(value) > 254:
        return None
    people = User.objects.for_org(organization).filter(kind=User.Kind.USER)
    found = people.filter(username__iexact=value).first()
    if found is not None:
        return found
    field = "email__iexact" if "@" in value else "phone"
    matches = list(people.filter(**{field: value})[:2])
    return matches[0] if len(matches) == 1 else None


@executor_register
class UserResolveExecutor(Executor):
    name = "UserResolveExecutor"
    required_inputs = (USERNAME_CLAIM,)

    def execute(self, run: FlowRun, action: PlanAction, inputs: dict[str, str]) -> ExecutorResult:
        identifier = ""
        for claim in (USERNAME_CLAIM, EMAIL_CLAIM, MOBILE_CLAIM):
            if inputs.get(claim):
                identifier = inputs[claim]
                break
        if not identifier:
            return ExecutorResult("USER_INPUT_REQUIRED", required=[USERNAME_CLAIM])
        user = user_resolve(run.organization, identifier)
        run.set_user(user if user is not None and user.state != User.State.DISABLED else None)
        return ExecutorResult.complete()


@executor_register
class ConfirmationCodeValidationExecutor(Executor):
    name = "ConfirmationCodeValidationExecutor"
    required_inputs = (CONFIRMATION_CODE,)

    def execute(self, run: FlowRun, action: PlanAction, inputs: dict[str, str]) -> ExecutorResult:
        from apps.notifications.executors import validate_link

        code = (inputs.get(CONFIRMATION_CODE) or "").strip()
        if not code:
            return ExecutorResult.user_error(
                "FE-60008", _("The confirmation code is missing."), _("Open the link from your email again.")
            )
        if run.sandbox:
            run.sandbox_message(channel="link", recipient="", template="confirmation", note="code accepted (sandbox)")
            run.authenticated("email_link")
            return ExecutorResult.complete()
        reason = "invalid"
        for purpose in LINK_PURPOSES.get(run.flow_type, ()):
            result = validate_link(token=code, purpose=purpose)
            if result.ok:
                user = User.objects.select_related("organization").filter(pk=result.data["userId"]).first()
                if user is None or user.organization_id != run.organization.pk:
                    break
                run.set_user(user)
                run.authenticated("email_link")
                return ExecutorResult.complete()
            reason = result.data.get("reason", "invalid")
            if reason != "invalid":  # the right purpose, but used, superseded or expired
                break
        text = _("This link has already been used.") if reason == "used" else _("This link is invalid or has expired.")
        return ExecutorResult(
            "USER_ERROR",
            code="FE-60008",
            message=text,
            description=_("The confirmation code was rejected (%(r)s).") % {"r": reason},
            messages=[message_error(text, "flows.link.rejected")],
        )


@executor_register
class MagicLinkExecutor(Executor):
    """Mails a link that continues this flow (``?flowId=...&token=...`` on the flow's page); opening
    it posts the token as the ``magicLinkToken`` input. Proves control of the email address."""

    name = "MagicLinkExecutor"
    required_inputs = (MAGIC_LINK_TOKEN,)
    authenticator = "magic_link"

    def initiate(self, run: FlowRun, action: PlanAction) -> ExecutorResult | None:
        return self._send(run)

    def _send(self, run: FlowRun) -> ExecutorResult:
        from apps.flows.links import flow_resume_url
        from apps.notifications.executors import mask_recipient
        from apps.notifications.services import notification_send, notification_settings_get

        user = run.user()
        recipient = user.email if user is not None else str(run.claims.get(EMAIL_CLAIM) or "")
        config = notification_settings_get(organization=run.organization)
        ttl = min(config.link_ttl_seconds or 900, 3600)
        token = secrets.token_urlsafe(24)
        nonce = secrets.token_hex(8)
        now = timezone.now()
        decoy = run.flow_type != "REGISTRATION" and user is None and not run.sandbox
        run.secrets.setdefault("links", {})["magic"] = {
            "nonce": nonce,
            "hash": "" if decoy else code_hash("flow-link", str(run.ctx.pk), nonce, token),
            "expiresAt": (now + timedelta(seconds=ttl)).isoformat(),
            "recipient": recipient,
        }
        generic = message_info(_("If an account matches, we sent it a link."), "flows.link.sentIfExists")
        if decoy:
            return ExecutorResult("COMPLETE", messages=[generic])
        if not recipient:
            return ExecutorResult(
                "COMPLETE", messages=[message_error(_("There is no email address to send a link to."))]
            )
        url = flow_resume_url(run.organization, run.flow_type, flow_id=str(run.ctx.pk))
        link = f"{url}&{urlencode({'token': token})}"
        if run.sandbox:
            run.sandbox_message(channel="email", recipient=recipient, template="magic_link", link=link)
        else:
            try:
                notification_send(
                    organization=run.organization,
                    channel="email",
                    template_type="magic_link",
                    recipient=recipient,
                    context={"link": link, "expiry_minutes": max(1, ttl // 60), "user_name": run.username() or ""},
                    expires_at=now + timedelta(seconds=ttl),
                )
            except DomainError as exc:
                return ExecutorResult("COMPLETE", messages=[message_error(exc.message)])
        if run.flow_type == "PASSWORD_RECOVERY":
            return ExecutorResult("COMPLETE", messages=[generic])
        return ExecutorResult(
            "COMPLETE",
            messages=[
                message_info(_("We sent a link to %(r)s.") % {"r": mask_recipient(recipient)}, "flows.link.sent")
            ],
        )

    def execute(self, run: FlowRun, action: PlanAction, inputs: dict[str, str]) -> ExecutorResult:
        if action.is_resend:
            sent = self._send(run)
            sent.status = "RETRY"
            return sent
        token = (inputs.get(MAGIC_LINK_TOKEN) or "").strip()
        record = run.secrets.get("links", {}).get("magic")
        if not token or not record:
            return ExecutorResult.retry(_("Open the link we sent you to continue."), i18n_key="flows.link.waiting")
        expires = parse_datetime(record.get("expiresAt") or "")
        candidate = code_hash("flow-link", str(run.ctx.pk), record["nonce"], token[:128])
        if expires is not None and expires <= timezone.now():
            return ExecutorResult.retry(_("The link has expired. Request a new one."), i18n_key="flows.link.expired")
        if not record["hash"] or not codes_equal(record["hash"], candidate):
            return ExecutorResult.retry(_("This link is invalid."), i18n_key="flows.link.invalid")
        run.secrets["links"].pop("magic", None)
        run.secrets.setdefault("verified", {})["email"] = record.get("recipient", "")
        run.authenticated(self.authenticator)
        return ExecutorResult.complete()
