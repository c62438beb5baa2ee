"""``EmailOTPExecutor`` and ``SMSOTPExecutor``.

For an existing account (recovery, invite) the code is the notifications service's own
(``apps.notifications.executors``: per-user attempt limit, resend cool-down, single use). During
registration there is no account yet, so the code belongs to the flow: its keyed hash, expiry and
attempt count live in the sealed part of the execution context, with the same length, alphabet,
lifetime and attempt limit as the organization's OTP settings, and the message goes out through
``notification_send`` like any other. A recovery for an identifier that matches no account gets a
flow code that was never sent, so the answer looks the same whether the account exists or not.

A button whose action carries ``meta: {"resend": true}`` sends a new code instead of checking one."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from apps.core.errors import DomainError
from apps.flows.constants import EMAIL_CLAIM, MOBILE_CLAIM, OTP
from apps.flows.executors.base import (
    USER_ERROR,
    Executor,
    ExecutorResult,
    executor_register,
    message_error,
    message_info,
)
from apps.notifications.executors import mask_recipient
from apps.notifications.secrets import code_hash, codes_equal

if TYPE_CHECKING:
    from apps.flows.engine.run import FlowRun
    from apps.flows.plan import PlanAction

PURPOSES = {
    "REGISTRATION": "email_verification",
    "PASSWORD_RECOVERY": "password_recovery",
    "INVITED_USER_REGISTRATION": "ask_password",
}


class _OtpExecutor(Executor):
    channel: str = ""
    claim: str = ""
    required_inputs = (OTP,)

    # --- where the code goes -----------------------------------------------------------------

    def _recipient(self, run: FlowRun) -> str:
        user = run.user()
        if user is not None:
            return user.email if self.channel == "email" else user.phone
        return str(run.claims.get(self.claim) or "")

    def _user_bound(self, run: FlowRun) -> bool:
        return run.user() is not None and not run.sandbox

    # --- initiation --------------------------------------------------------------------------

    def initiate(self, run: FlowRun, action: PlanAction) -> ExecutorResult | None:
        return self._send(run)

    def _send(self, run: FlowRun) -> ExecutorResult:
        from apps.notifications.executors import send_email_otp, send_sms_otp

        purpose = PURPOSES[run.flow_type]
        recovery = run.flow_type != "REGISTRATION"
        if self._user_bound(run):
            user = run.user()
            sender = send_email_otp if self.channel == "email" else send_sms_otp
            result = sender(user=user, purpose=purpose, context={"user_name": user.display_name})
            run.secrets.setdefault("otp", {})[self.channel] = {"mode": "user", "purpose": purpose}
            if not result.ok and result.status == "retry_later":
                return _result_info(
                    message_error(
                        _("Please wait %(s)d seconds before asking for another code.")
                        % {"s": result.data.get("retryAfter", 0)},
                        "flows.otp.retryLater",
                    ),
                    retryAfter=result.data.get("retryAfter", 0),
                )
            if not result.ok and not recovery:
                return _result_info(message_error(result.message, "flows.otp.sendFailed"))
            return _result_info(self._sent_message(run, result.data.get("maskedRecipient", "")))
        return self._send_local(run, purpose)

    def _sent_message(self, run: FlowRun, masked: str) -> dict[str, str]:
        if run.flow_type == "PASSWORD_RECOVERY":
            # Never tell whether the identifier matched an account.
            text = (
                _("If an account matches, we sent a code to its email address.")
                if self.channel == "email"
                else _("If an account matches, we sent a code to its mobile number.")
            )
            return message_info(text, "flows.otp.sentIfExists")
        return message_info(_("We sent a code to %(r)s.") % {"r": masked}, "flows.otp.sent")

    def _send_local(self, run: FlowRun, purpose: str) -> ExecutorResult:
        from apps.notifications.services import notification_send, notification_settings_get
        from apps.notifications.services.settings import otp_charset

        config = notification_settings_get(organization=run.organization)
        recipient = self._recipient(run)
        previous = run.secrets.get("otp", {}).get(self.channel) or {}
        now = timezone.now()
        sent_at = parse_datetime(previous.get("sentAt") or "") if previous.get("mode") == "local" else None
        if sent_at is not None and (now - sent_at).total_seconds() < config.otp_resend_cooldown_seconds:
            wait = int(config.otp_resend_cooldown_seconds - (now - sent_at).total_seconds()) + 1
            return _result_info(
                message_error(_("Please wait %(s)d seconds before asking for another code.") % {"s": wait}),
                retryAfter=wait,
            )
        alphabet = otp_charset(config)
        code = "".join(secrets.choice(alphabet) for _ in range(config.otp_length))
        # A decoy (recovery for an unknown identifier) is never sent and can never match.
        decoy = run.flow_type != "REGISTRATION" and run.user() is None and not run.sandbox
        nonce = secrets.token_hex(8)
        record: dict[str, Any] = {
            "mode": "local",
            "nonce": nonce,
            "hash": "" if decoy else code_hash("flow-otp", str(run.ctx.pk), self.channel, nonce, code),
            "recipient": recipient,
            "sentAt": now.isoformat(),
            "expiresAt": (now + timedelta(seconds=config.otp_ttl_seconds)).isoformat()
            if config.otp_ttl_seconds > 0
            else "",
            "attempts": 0,
            "maxAttempts": config.otp_max_attempts,
        }
        run.secrets.setdefault("otp", {})[self.channel] = record
        if decoy:
            return _result_info(self._sent_message(run, ""))
        if not recipient:
            what = _("email address") if self.channel == "email" else _("mobile number")
            return _result_info(message_error(_("There is no %(w)s to send a code to.") % {"w": what}))
        template = "email_otp" if self.channel == "email" else "sms_otp"
        context = {
            "user_name": str(run.claims.get("http://wso2.org/claims/givenname") or run.username() or ""),
            "expiry_minutes": max(1, config.otp_ttl_seconds // 60) if config.otp_ttl_seconds > 0 else "",
            "otp": code,
        }
        if run.sandbox:
            run.sandbox_message(channel=self.channel, recipient=recipient, template=template, otp=code, purpose=purpose)
        else:
            try:
                notification_send(
                    organization=run.organization,
                    channel=self.channel,
                    template_type=template,
                    recipient=recipient,
                    context=context,
                    expires_at=(now + timedelta(seconds=config.otp_ttl_seconds)) if config.otp_ttl_seconds else None,
                )
            except DomainError as exc:
                run.secrets["otp"].pop(self.channel, None)
                return _result_info(message_error(exc.message, "flows.otp.sendFailed"))
        return _result_info(self._sent_message(run, mask_recipient(recipient)))

    # --- the check ---------------------------------------------------------------------------

    def execute(self, run: FlowRun, action: PlanAction, inputs: dict[str, str]) -> ExecutorResult:
        if action.is_resend:
            sent = self._send(run)
            sent.status = "RETRY"
            return sent
        code = (inputs.get(OTP) or "").strip()
        if not code:
            return ExecutorResult("USER_INPUT_REQUIRED", required=[OTP], messages=[message_error(_("Enter the code."))])
        record = run.secrets.get("otp", {}).get(self.channel)
        if not record:
            return ExecutorResult.retry(_("Request a new code first."), i18n_key="flows.otp.noCode")
        if record.get("mode") == "user":
            return self._check_user_code(run, record, code)
        return self._check_local_code(run, record, code)

    def _verified(self, run: FlowRun, recipient: str) -> ExecutorResult:
        run.secrets.setdefault("verified", {})[self.channel] = recipient
        run.secrets["otp"].pop(self.channel, None)
        run.authenticated(self.authenticator)
        return ExecutorResult.complete()

    def _check_user_code(self, run: FlowRun, record: dict[str, Any], code: str) -> ExecutorResult:
        from apps.notifications.executors import validate_code

        user = run.user()
        if user is None:
            return ExecutorResult.retry(_("The code is wrong or no longer valid."))
        result = validate_code(user=user, purpose=record["purpose"], code=code)
        if result.ok:
            return self._verified(run, self._recipient(run))
        return _wrong_code(result.data.get("reason", "invalid"), int(result.data.get("attemptsRemaining") or 0))

    def _check_local_code(self, run: FlowRun, record: dict[str, Any], code: str) -> ExecutorResult:
        if record["attempts"] >= record["maxAttempts"]:
            return _wrong_code("locked", 0)
        expires = parse_datetime(record.get("expiresAt") or "")
        if expires is not None and expires <= timezone.now():
            return _wrong_code("expired", 0)
        candidate = code_hash("flow-otp", str(run.ctx.pk), self.channel, record["nonce"], code[:64])
        if record["hash"] and codes_equal(record["hash"], candidate):
            return self._verified(run, record.get("recipient", ""))
        record["attempts"] += 1
        remaining = max(0, record["maxAttempts"] - record["attempts"])
        return _wrong_code("invalid" if remaining else "locked", remaining)


def _result_info(message: dict[str, str], **data: Any) -> ExecutorResult:
    return ExecutorResult("COMPLETE", messages=[message], data=data)


def _wrong_code(reason: str, remaining: int) -> ExecutorResult:
    if reason == "invalid" and remaining:
        text = _("The code is wrong. %(n)d attempts left.") % {"n": remaining}
        if remaining == 1:
            text = _("The code is wrong. 1 attempt left.")
        return ExecutorResult.retry(text, i18n_key="flows.otp.wrong", attemptsRemaining=remaining)
    if reason == "expired":
        return ExecutorResult.retry(_("The code has expired. Request a new code."), i18n_key="flows.otp.expired")
    return ExecutorResult.retry(
        _("Too many wrong codes. Request a new code."), i18n_key="flows.otp.locked", attemptsRemaining=0
    )


@executor_register
class EmailOTPExecutor(_OtpExecutor):
    name = "EmailOTPExecutor"
    channel = "email"
    claim = EMAIL_CLAIM
    authenticator = "email_otp"


@executor_register
class SMSOTPExecutor(_OtpExecutor):
    name = "SMSOTPExecutor"
    channel = "sms"
    claim = MOBILE_CLAIM
    authenticator = "sms_otp"


__all__ = ["USER_ERROR", "EmailOTPExecutor", "SMSOTPExecutor"]
