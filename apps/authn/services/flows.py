"""Login flows: plan the steps an application needs, run them one by one, then establish the SSO session.

A flow is a database row (a typed plan, not a pickle) whose id lives in the
browser's Django session; pages carry the id too and a mismatch restarts the
flow. The plan is copied from the sequence when the flow starts, so editing a
sequence never breaks a flow in progress. With a conditional-authentication
script the flow starts without steps and the script appends each step it asks
for (``services/scripts.py``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from apps.authn.authenticators import authenticator_get
from apps.authn.authenticators.base import FIRST_FACTOR, Authenticator, Outcome
from apps.authn.models import LoginFlow
from apps.authn.services.events import auth_event
from apps.authn.services.policy import password_expired
from apps.authn.services.scripts import (
    script_active,
    script_failure,
    script_flow_begin,
    script_step_completed,
    script_step_failed,
    sequence_script,
)
from apps.authn.services.sequences import sequence_for, steps_missing
from apps.authn.services.sessions import AuthResult, session_state, sso_session_establish

FLOW_KEY = "authn_flow"
FLOW_LIFETIME = timedelta(minutes=10)


@dataclass
class StepResult:
    done: bool = False  # the whole flow is complete
    outcome: Outcome = field(default_factory=Outcome)


def application_for(organization: Any, client_id: str) -> Any | None:
    from apps.applications.models import Application

    if not client_id:
        return None
    return Application.objects.filter(organization_id=organization.pk, client_id=client_id[:255]).first()


def plan_steps(*, steps: list[list[str]], application: Any, session: AuthResult | None) -> list[list[str]]:
    """The steps this flow runs: the sequence minus what the SSO session already did (step-up)."""
    if session is None:
        return steps
    return steps_missing(steps, session.methods)


def flow_start(
    request: HttpRequest, *, next_url: str, client_id: str = "", fresh: bool = False, login_hint: str = ""
) -> LoginFlow:
    """Start a login transaction for this browser (replacing an unfinished one)."""
    organization = request.organization
    application = application_for(organization, client_id)
    steps = sequence_for(application.pk if application is not None else None)
    session = None if fresh else session_state(request, organization)
    script = sequence_script(application.pk) if application is not None else ""
    plan = [] if script else plan_steps(steps=steps, application=application, session=session)
    flow = LoginFlow.objects.create(
        organization=organization,
        client_id=application.client_id if application is not None else "",
        next_url=next_url,
        steps=plan,
        user=session.user if session is not None and (plan or script) else None,
        state={"login_hint": login_hint[:150]} if login_hint else {},
        expires=timezone.now() + FLOW_LIFETIME,
    )
    if script:  # the script decides the steps (services/scripts.py)
        script_flow_begin(request, flow, application=application, script=script, steps=steps, session=session)
        flow.save(update_fields=["steps", "step_index", "state", "user"])
    request.session[FLOW_KEY] = str(flow.pk)
    return flow


def flow_current(request: HttpRequest) -> LoginFlow | None:
    """This browser's live flow in this organization, or None."""
    flow_id = request.session.get(FLOW_KEY)
    if not isinstance(flow_id, str):
        return None
    flow = (
        LoginFlow.objects.select_related("user", "organization")
        .filter(pk=flow_id, organization_id=request.organization.pk, expires__gt=timezone.now())
        .first()
    )
    return flow


def flow_discard(request: HttpRequest, flow: LoginFlow | None) -> None:
    request.session.pop(FLOW_KEY, None)
    if flow is not None:
        LoginFlow.objects.filter(pk=flow.pk).delete()


def step_choices(flow: LoginFlow) -> list[Authenticator]:
    """The authenticators the current step allows that this user can use."""
    if flow.step_index >= len(flow.steps):
        return []
    found = [authenticator_get(item) for item in flow.steps[flow.step_index]]
    usable = [item for item in found if item is not None]
    if flow.user is None:
        return [item for item in usable if item.can_identify]
    return [item for item in usable if item.kind != FIRST_FACTOR and item.available_for(flow.user)] or [
        item for item in usable if item.kind == FIRST_FACTOR
    ]


def step_authenticator(flow: LoginFlow) -> Authenticator | None:
    choices = step_choices(flow)
    chosen = flow.state.get("chosen")
    for item in choices:
        if item.id == chosen:
            return item
    return choices[0] if choices else None


def flow_choose(flow: LoginFlow, authenticator_id: str) -> bool:
    if authenticator_id not in [item.id for item in step_choices(flow)]:
        return False
    flow.state["chosen"] = authenticator_id
    flow.save(update_fields=["state"])
    return True


def flow_submit(request: HttpRequest, flow: LoginFlow, data: Any) -> StepResult:
    """Complete the current step with the posted ``data``; a failure keeps the flow on this step."""
    authenticator = step_authenticator(flow)
    if authenticator is None:
        return StepResult(outcome=Outcome(reason="no_authenticator"))
    outcome = authenticator.complete(request, flow, data)
    if outcome.pending:
        flow.save(update_fields=["state"])
        return StepResult(outcome=outcome)
    if not outcome.ok:
        flow.save(update_fields=["state"])
        if outcome.reason != "invalid_form":
            subject = outcome.user or flow.user
            if script_active(flow) and script_step_failed(
                request, flow, authenticator_id=authenticator.id, reason=outcome.reason, user=subject
            ):  # the script's onFail decides what follows
                flow.save(update_fields=["state", "steps", "step_index"])
            with transaction.atomic():
                auth_event(
                    "authentication.step_failed",
                    user=subject,
                    organization=flow.organization,
                    data={
                        "authenticator": authenticator.id,
                        "step": flow.step_index + 1,
                        "reason": outcome.reason,
                        "application": flow.client_id,
                        # WSO2 records the name that was entered, also when no such account exists
                        **({"userName": str(data.get("username") or "")[:150]} if subject is None else {}),
                    },
                )
        return StepResult(outcome=outcome)
    if authenticator.kind == FIRST_FACTOR and data.get("remember_me"):
        flow.remember_me = True
    if flow.user is None:
        flow.user = outcome.user
        if flow.user.state in (flow.user.State.PENDING_ASK_PASSWORD, flow.user.State.PENDING_PASSWORD_RESET):
            flow.state["password_expired"] = True  # signed in with a one-time code: set a password first
            flow.state["password_setup"] = flow.user.state
    if authenticator.amr == "pwd" and not flow.state.get("password_expired") and password_expired(flow.user):
        # Only a step the password completed asks to renew it: a federated, passkey or code step
        # proved nothing about the password (a linked account may never use it).
        flow.state["password_expired"] = True
    flow.methods = [*flow.methods, authenticator.id]
    flow.step_index += 1
    flow.state.pop("chosen", None)
    if script_active(flow):
        script_step_completed(request, flow, authenticator_id=authenticator.id, user=flow.user)
    flow.save(update_fields=["user", "methods", "step_index", "state", "remember_me", "steps"])
    done = flow.step_index >= len(flow.steps) and not flow.state.get("password_expired") and not script_failure(flow)
    return StepResult(done=done, outcome=outcome)


def flow_password_renewed(flow: LoginFlow) -> bool:
    """After the expired password was replaced: True when no step remains."""
    flow.state.pop("password_expired", None)
    flow.state.pop("password_setup", None)
    flow.save(update_fields=["state"])
    flow.user.refresh_from_db()  # the new hash, which the Django session's auth hash must match
    return flow.step_index >= len(flow.steps) and not script_failure(flow)


def flow_finish(request: HttpRequest, flow: LoginFlow) -> str:
    """Establish (or step up) the SSO session and return where the browser goes next."""
    sso_session_establish(request, user=flow.user, methods=list(flow.methods), remember_me=flow.remember_me)
    flow_discard(request, flow)
    return flow.next_url
