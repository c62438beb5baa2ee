"""``UserOnboardingExecutor``: the engine runs it when a REGISTRATION flow reaches its end.

It creates the account through the users service SCIM uses (``user_create``: the same username,
attribute and uniqueness rules), then gives it the password hash the flow collected and the state
the completion options ask for. It runs once per flow: the execution context records the new
user's id, and the context row is locked while a step runs, so a repeated submit cannot create a
second account."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from apps.core.errors import Conflict, DomainError
from apps.flows.executors.base import Executor, ExecutorResult, executor_register
from apps.users.models import User

if TYPE_CHECKING:
    from apps.flows.engine.run import FlowRun
    from apps.flows.plan import PlanAction

COLUMN_STORAGES = ("username", "email", "given_name", "family_name", "phone")
EMAIL_VERIFIED = "emailVerified"
PHONE_VERIFIED = "phoneVerified"


def user_fields_from_claims(organization: Any, claims: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(user_create keyword arguments, User.attributes)`` from claim URI -> value."""
    from apps.attributes.selectors import attribute_definitions

    definitions = {d.claim_uri: d for d in attribute_definitions(organization=organization)}
    fields: dict[str, Any] = {}
    attributes: dict[str, Any] = {}
    for uri, value in claims.items():
        definition = definitions.get(uri)
        if definition is None:
            continue
        if definition.storage in COLUMN_STORAGES:
            fields[definition.storage] = value
        elif definition.in_attributes:
            attributes[definition.storage] = value
    return fields, attributes


@executor_register
class UserOnboardingExecutor(Executor):
    name = "UserOnboardingExecutor"

    def execute(self, run: FlowRun, action: PlanAction | None, inputs: dict[str, str]) -> ExecutorResult:
        from apps.flows.executors.federated import federated_association_record
        from apps.users.services import user_create
        from apps.users.services.validation import check_username_free, clean_attributes

        if run.secrets.get("userId"):
            return ExecutorResult.complete()  # already onboarded by an earlier attempt of this step
        fields, attributes = user_fields_from_claims(run.organization, run.claims)
        username = run.username()
        if not username:
            return ExecutorResult.user_error("FE-60002", _("A username is required."))
        fields["username"] = username
        if not fields.get("email") and "@" in username and run.secrets.get("verified", {}).get("email") == username:
            fields["email"] = username
        try:
            if run.sandbox:
                check_username_free(organization=run.organization, username=username)
                clean_attributes(attributes, organization=run.organization)
                run.sandbox_message(
                    channel="user",
                    recipient=username,
                    template="",
                    note="user not created (sandbox)",
                    claims={k: v for k, v in run.claims.items()},
                )
                return ExecutorResult.complete()
            user = user_create(
                actor=None, organization=run.organization, password=None, attributes=attributes, **fields
            )
        except Conflict:
            return ExecutorResult.user_error("FE-60003", _("This username is taken."), _("Choose another username."))
        except DomainError as exc:
            return ExecutorResult.user_error("FE-60008", exc.message, exc.description)
        verified = run.secrets.get("verified", {})
        extra: dict[str, Any] = {}
        if user.email and verified.get("email", "").lower() == user.email.lower():
            extra[EMAIL_VERIFIED] = True
        if user.phone and verified.get("sms") == user.phone:
            extra[PHONE_VERIFIED] = True
        password_hash = run.secrets.get("passwordHash") or ""
        update: dict[str, Any] = {}
        if password_hash:
            update["password"] = password_hash
        if extra:
            update["attributes"] = {**(user.attributes or {}), **extra}
        if update:
            User.objects.filter(pk=user.pk).update(**update)
            for key, value in update.items():
                setattr(user, key, value)
        run.set_user(user)
        try:
            federated_association_record(run, user)  # a federated sign-up: link the identity it verified
        except DomainError as exc:  # linked to someone else meanwhile: the whole step is undone
            return ExecutorResult.user_error("FE-60003", _("You already have an account."), exc.message)
        run.secrets["onboarded"] = True
        return ExecutorResult.complete()


def account_state_apply(run: FlowRun, user: User, config: dict[str, bool]) -> tuple[User, list[dict[str, str]]]:
    """Lock on creation / email verification, per the REGISTRATION completion options."""
    from apps.flows.executors.base import message_info
    from apps.users.services import user_set_state

    messages: list[dict[str, str]] = []
    email_verified = bool((user.attributes or {}).get(EMAIL_VERIFIED))
    if config.get("isEmailVerificationEnabled") and not email_verified and user.email:
        user = user_set_state(actor=None, user=user, state=User.State.PENDING_EMAIL_VERIFICATION)
        try:
            from apps.notifications.services.verification import email_verification_start

            email_verification_start(actor=None, user=user)
        except ImportError:  # the lifecycle journeys are not installed: the account stays pending
            pass
        except DomainError:
            pass
        messages.append(
            message_info(_("Check your email to verify your address before you sign in."), "flows.verifyEmail")
        )
    elif config.get("isAccountLockOnCreationEnabled") and not email_verified:
        user = user_set_state(actor=None, user=user, state=User.State.LOCKED)
        messages.append(message_info(_("Your account is locked until an administrator unlocks it."), "flows.locked"))
    return user, messages
