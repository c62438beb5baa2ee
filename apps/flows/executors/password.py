"""``PasswordOnboardExecutor`` (the password collected for a new account, or the new password of a
recovery/invite) and ``PasswordProvisioningExecutor`` (writes it to the existing account).

The engine checks the password against the organization's policy and hashes it when the view that
collects it is submitted; only the hash is kept (sealed) in the context, and only the hash is ever
written to the account."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from apps.core import context
from apps.core.audit import audit_record
from apps.core.events import emit
from apps.flows.constants import PASSWORD
from apps.flows.executors.base import Executor, ExecutorResult, executor_register
from apps.users.models import User
from apps.users.services.validation import user_payload

if TYPE_CHECKING:
    from apps.flows.engine.run import FlowRun
    from apps.flows.plan import PlanAction

# WSO2's credentialUpdated mapping: forgot-password is USER/RESET, the invite is ADMIN/INVITE.
CREDENTIAL_EVENTS = {"PASSWORD_RECOVERY": ("RESET", "USER"), "INVITED_USER_REGISTRATION": ("INVITE", "ADMIN")}


def username_taken(organization: Any, username: str) -> bool:
    return User.objects.for_org(organization).filter(username__iexact=username).exists()


@executor_register
class PasswordOnboardExecutor(Executor):
    name = "PasswordOnboardExecutor"
    required_inputs = (PASSWORD,)
    authenticator = "basic"

    def execute(self, run: FlowRun, action: PlanAction, inputs: dict[str, str]) -> ExecutorResult:
        if not run.secrets.get("passwordHash"):
            return ExecutorResult("USER_INPUT_REQUIRED", required=[PASSWORD])
        if run.flow_type == "REGISTRATION":
            username = run.username()
            if not username:
                return ExecutorResult.user_error("FE-60002", _("A username is required."))
            if username_taken(run.organization, username):
                return ExecutorResult.user_error(
                    "FE-60003", _("This username is taken."), _("Choose another username.")
                )
        run.authenticated(self.authenticator)
        return ExecutorResult.complete()


@transaction.atomic
def password_hash_provision(*, user: User, password_hash: str, flow_type: str) -> User:
    """Give ``user`` the password whose hash the flow collected; events as WSO2 sends them."""
    action, initiator = CREDENTIAL_EVENTS[flow_type]
    user = User.objects.select_for_update().select_related("organization").get(pk=user.pk)
    user.password = password_hash
    if user.state in (User.State.PENDING_PASSWORD_RESET, User.State.PENDING_ASK_PASSWORD):
        user.state = User.State.ACTIVE
    user.save(update_fields=["password", "state", "last_modified"])
    audit_record(
        actor=user,
        action="user.password.reset" if action == "RESET" else "user.password.invite_accepted",
        target_type="user",
        target_id=user.id,
        organization=user.organization,
        data={"flowType": flow_type},
    )
    emit(
        "user.password_updated",
        organization=user.organization,
        payload={
            **user_payload(user),
            "actorType": "user",
            "actorId": str(user.pk),
            "action": action,
            "initiatorType": initiator,
            "ip": context.current().ip or "",
        },
    )
    return user


@executor_register
class PasswordProvisioningExecutor(Executor):
    name = "PasswordProvisioningExecutor"
    required_inputs = (PASSWORD,)
    authenticator = "basic"

    def execute(self, run: FlowRun, action: PlanAction, inputs: dict[str, str]) -> ExecutorResult:
        password_hash = run.secrets.get("passwordHash")
        if not password_hash:
            return ExecutorResult("USER_INPUT_REQUIRED", required=[PASSWORD])
        if run.secrets.get("provisioned"):
            return ExecutorResult.complete()
        user = run.user()
        if user is None:
            if run.flow_type == "PASSWORD_RECOVERY":
                # Never reveal that the identifier matched nobody: finish as if it had.
                return ExecutorResult.complete()
            return ExecutorResult.user_error("FE-60006", _("This invitation cannot be completed."))
        if run.sandbox:
            run.sandbox_message(channel="password", recipient=user.username, template="", note="password not written")
        else:
            password_hash_provision(user=user, password_hash=password_hash, flow_type=run.flow_type)
        run.secrets["provisioned"] = True
        run.authenticated(self.authenticator)
        return ExecutorResult.complete()
