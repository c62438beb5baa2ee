"""The end of a flow: onboarding or password provisioning, completion options, events.

* REGISTRATION: ``UserOnboardingExecutor`` creates the account; lock-on-creation and email
  verification apply; ``registrationSuccess`` (REGISTER, USER) and an audit row.
* PASSWORD_RECOVERY: ``PasswordProvisioningExecutor`` writes the new password (its service emits
  ``credentialUpdated`` with USER / RESET).
* INVITED_USER_REGISTRATION: the same for the invited account (ADMIN / INVITE), plus
  ``registrationSuccess`` with action INVITE.

Then, per the flow type's completion options: a completion email when its template exists, and
the auto-login ``userAssertion``."""

from __future__ import annotations

import logging
from typing import Any

from django.utils.translation import gettext as _

from apps.core import context
from apps.core.audit import audit_record
from apps.flows.engine.assertion import assertion_issue
from apps.flows.engine.run import FlowRun
from apps.flows.errors import FlowError
from apps.flows.executors.base import ExecutorResult, message_info
from apps.flows.executors.onboarding import UserOnboardingExecutor, account_state_apply
from apps.flows.executors.password import PasswordProvisioningExecutor

log = logging.getLogger(__name__)

# Completion emails, when the notifications app ships a template of that type.
COMPLETION_TEMPLATES = {
    "REGISTRATION": "self_signup_success",
    "PASSWORD_RECOVERY": "password_reset_success",
    "INVITED_USER_REGISTRATION": "ask_password_success",
}
DONE_MESSAGES = {
    "REGISTRATION": ("Your account is ready.", "flows.registration.complete"),
    "PASSWORD_RECOVERY": ("Your password has been reset.", "flows.recovery.complete"),
    "INVITED_USER_REGISTRATION": ("Your password is set. You can sign in now.", "flows.invite.complete"),
}


def _raise(result: ExecutorResult, default_code: str) -> None:
    code = result.code or default_code
    raise FlowError(
        code,
        result.message or _("The account could not be created."),
        result.description,
        status=500 if code.startswith("FE-65") else 400,
    )


def _application(run: FlowRun) -> Any:
    if not run.ctx.application_id:
        return None
    from apps.applications.models import Application

    query = Application.objects.filter(organization_id=run.organization.pk)
    app = query.filter(client_id=run.ctx.application_id).only("id", "name", "client_id").first()
    if app is None and run.ctx.application_id.isdigit():
        app = query.filter(pk=int(run.ctx.application_id)).only("id", "name", "client_id").first()
    return app


def _notify(run: FlowRun, user: Any) -> None:
    from apps.notifications.services import notification_send
    from apps.notifications.templating import TEMPLATE_TYPES

    template = COMPLETION_TEMPLATES[run.flow_type]
    if template not in TEMPLATE_TYPES or not user.email:
        log.info("flows: no %s template; completion email not sent", template)
        return
    try:
        notification_send(
            organization=run.organization,
            channel="email",
            template_type=template,
            recipient=user.email,
            context={"user_name": user.display_name},
        )
    except Exception:  # the account is done; a missing email must not undo it
        log.exception("flows: completion email failed")


def flow_complete(run: FlowRun) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    from apps.flows.services.config import flow_config_values

    _enabled, options = flow_config_values(run.organization, run.flow_type)
    text, key = DONE_MESSAGES[run.flow_type]
    messages: list[dict[str, Any]] = []
    additional: dict[str, Any] = {}
    if run.flow_type == "REGISTRATION":
        result = UserOnboardingExecutor().execute(run, None, {})
        if result.status != "COMPLETE":
            _raise(result, "FE-65008")
        user = run.user()
        if user is not None and not run.sandbox:
            user, messages = account_state_apply(run, user, options)
            _registration_succeeded(run, user, action="REGISTER", initiator="USER")
    else:
        if not run.secrets.get("provisioned"):
            result = PasswordProvisioningExecutor().execute(run, None, {})
            if result.status != "COMPLETE":
                _raise(result, "FE-60006")
        user = run.user()
        if run.flow_type == "INVITED_USER_REGISTRATION" and user is not None and not run.sandbox:
            _registration_succeeded(run, user, action="INVITE", initiator="ADMIN")
    messages.insert(0, message_info(_(text), key))
    if user is not None and not run.sandbox:
        audit_record(
            actor=user,
            action=f"flow.{run.flow_type.lower()}.completed",
            target_type="user",
            target_id=user.pk,
            organization=run.organization,
            data={"flowId": str(run.ctx.pk), "version": run.ctx.version, "authenticators": run.progress.get("amr", [])},
        )
        if options.get("isFlowCompletionNotificationEnabled"):
            _notify(run, user)
        if options.get("isAutoLoginEnabled") and user.is_active:
            additional["userAssertion"] = assertion_issue(
                organization=run.organization,
                user=user,
                flow_type=run.flow_type,
                methods=list(run.progress.get("amr", [])),
                application_id=run.ctx.application_id,
            )
    if user is not None and not run.sandbox:
        additional["userId"] = str(user.pk)
    return messages, additional


def _registration_succeeded(run: FlowRun, user: Any, *, action: str, initiator: str) -> None:
    from apps.webhooks.services import publish_registration

    publish_registration(
        organization=run.organization,
        succeeded=True,
        username=user.username,
        user=user,
        action=action,
        initiator_type=initiator,
        application=_application(run),
    )


def registration_failed_record(*, organization: Any, run: FlowRun, reason: str) -> None:
    from apps.webhooks.services import publish_registration

    username = run.username()
    audit_record(
        actor=None,
        action="flow.registration.failed",
        target_type="flow",
        target_id=str(run.ctx.pk),
        organization=organization,
        data={"username": username[:150], "reason": reason, "ip": context.current().ip or ""},
    )
    publish_registration(
        organization=organization,
        succeeded=False,
        username=username,
        action="REGISTER",
        initiator_type="USER",
        application=_application(run),
        reason=reason,
    )
