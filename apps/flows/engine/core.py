"""``flow_execute``: one call of the execution API (``POST /flow/execute``).

The first call names the ``flowType``; the engine creates the execution context with its own copy
of the plan (so the flow finishes on the version it started with) and walks to the first view.
Each later call names the ``flowId`` and the ``actionId`` of the button pressed, with the view's
``inputs``; the context row is locked for the whole step, so two submits of the same step run one
after the other and the second finds the step already done (it gets the same answer, not a
second account).

Errors are ``FlowError`` with WSO2's ``FE-`` codes: 400 for the client's mistakes, 500 (``FE-65xxx``)
for a broken flow. A wrong code or an invalid value is not an error but the same view again with
an ERROR message (``data.messages``)."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core import context
from apps.flows.constants import COMPLETE, FEDERATED_CALLBACK_KEYS, canonical_flow_type
from apps.flows.engine.collect import inputs_collect, inputs_parse, missing_required
from apps.flows.engine.run import FlowRun
from apps.flows.errors import FlowError
from apps.flows.executors.base import ERROR, EXTERNAL_REDIRECTION, ExecutorResult, executor_get
from apps.flows.models import FlowExecutionContext
from apps.flows.plan import Plan, PlanAction, PlanNode
from apps.notifications.secrets import code_hash

log = logging.getLogger(__name__)

MAX_HOPS = 32
RATE_SCOPE = "flow-execute-ip"
REDIRECT_KEY = "redirected"  # progress: the view and button whose executor sent the user to an IdP


# --- responses -------------------------------------------------------------------------------------


def _response(
    run: FlowRun,
    *,
    status: str = "INCOMPLETE",
    kind: str = "VIEW",
    node: PlanNode | None = None,
    messages: list[dict[str, Any]] | None = None,
    additional: dict[str, Any] | None = None,
    redirect_url: str = "",
) -> dict[str, Any]:
    data: dict[str, Any] = {"components": node.components if node is not None else []}
    if node is not None:
        data["requiredParams"] = [spec.identifier for spec in node.inputs if spec.required]
    if redirect_url:
        data["redirectURL"] = redirect_url
    if messages:
        data["messages"] = messages
    extra = dict(additional or {})
    if run.sandbox:
        extra["sandbox"] = True
        extra["sandboxMessages"] = run.sandbox_messages
    if extra:
        data["additionalData"] = extra
    return {
        "flowId": str(run.ctx.pk),
        "flowType": run.flow_type,
        "flowStatus": status,
        "type": kind,
        "data": data,
    }


def _render(
    run: FlowRun, node: PlanNode, messages: list[dict[str, Any]] | None = None, additional: dict | None = None
) -> dict[str, Any]:
    return _response(run, node=node, messages=messages, additional=additional)


def _fail(result: ExecutorResult, *, default_code: str) -> FlowError:
    if result.status == ERROR:
        return FlowError(
            result.code or "FE-65006", result.message or _("The flow failed."), result.description, status=500
        )
    code = result.code or default_code
    message = result.message or (result.messages[0]["message"] if result.messages else _("Invalid input."))
    return FlowError(code, message, result.description or message, status=500 if code.startswith("FE-65") else 400)


# --- walking the graph -----------------------------------------------------------------------------


def _initiations(node: PlanNode) -> list[PlanAction]:
    """One executor action per executor name, preferring the button that is not a "resend"."""
    chosen: dict[str, PlanAction] = {}
    for action in node.actions.values():
        if action.type != "EXECUTOR" or not action.executor:
            continue
        if action.executor not in chosen or (chosen[action.executor].is_resend and not action.is_resend):
            chosen[action.executor] = action
    return list(chosen.values())


def _arrive(run: FlowRun, node_id: str, inputs: dict[str, str]) -> dict[str, Any]:
    """Move to ``node_id`` and keep going until a view must be shown or the flow completes."""
    for _hop in range(MAX_HOPS):
        if node_id == COMPLETE:
            return _complete(run)
        node = run.plan.node(node_id)
        if node is None:
            raise FlowError("FE-65003", _("The flow is broken."), f"Unknown step {node_id!r}.", status=500)
        run.ctx.current_node = node_id
        if node.type == "VIEW":
            messages: list[dict[str, Any]] = []
            additional: dict[str, Any] = {}
            for action in _initiations(node):
                executor = executor_get(action.executor)
                result = executor.initiate(run, action) if executor is not None else None
                if result is not None:
                    messages += result.messages
                    additional.update(result.data)
            return _render(run, node, messages, additional)
        action = node.action
        executor = executor_get(action.executor) if action is not None and action.type == "EXECUTOR" else None
        if action is None:
            raise FlowError("FE-65003", _("The flow is broken."), f"Step {node_id!r} has no action.", status=500)
        if action.type == "NEXT":
            node_id = action.next
            continue
        if executor is None:
            raise FlowError("FE-65004", _("The flow is broken."), f"Unknown executor {action.executor!r}.", status=500)
        result = executor.execute(run, action, inputs)
        inputs = {}
        if result.status == "COMPLETE":
            run.step_done(f"{node.id}:{action.executor}")
            node_id = result.next_step or action.next
            continue
        if result.status == EXTERNAL_REDIRECTION:
            return _response(run, kind="REDIRECTION", redirect_url=result.redirect_url, additional=result.data)
        raise _fail(result, default_code="FE-60008")
    raise FlowError("FE-65003", _("The flow is broken."), _("The flow does not reach a view or its end."), status=500)


def _pick_action(node: PlanNode, action_id: Any, inputs: dict[str, str]) -> PlanAction:
    if isinstance(action_id, str) and action_id in node.actions:
        return node.actions[action_id]
    if action_id in (None, ""):
        # A link-driven continuation (magic link) names no button: the one executor that reads what was sent.
        candidates = []
        for action in node.actions.values():
            executor = executor_get(action.executor) if action.type == "EXECUTOR" else None
            keys = executor.get_initiation_data() if executor is not None else []
            if keys and not action.is_resend and all(inputs.get(key) for key in keys):
                candidates.append(action)
        if len(candidates) == 1:
            return candidates[0]
    raise FlowError(
        "FE-60009",
        _("Invalid action."),
        _("The action %(a)r is not on the current step.") % {"a": action_id},
    )


def _submit(run: FlowRun, action_id: Any, inputs: dict[str, str]) -> dict[str, Any]:
    node = run.plan.node(run.ctx.current_node)
    if node is None:
        raise FlowError("FE-65003", _("The flow is broken."), status=500)
    if node.type != "VIEW":  # a redirection waiting for its callback
        return _arrive(run, node.id, inputs)
    redirected = run.progress.get(REDIRECT_KEY)
    if action_id in (None, "") and isinstance(redirected, dict) and redirected.get("node") == node.id:
        action_id = redirected.get("action")  # the callback of the button that redirected (WSO2: no actionId)
    action = _pick_action(node, action_id, inputs)
    executor = executor_get(action.executor) if action.type == "EXECUTOR" else None
    if not action.is_resend and (executor is None or executor.reads_view_inputs):
        missing = missing_required(node, inputs)
        if missing:
            raise FlowError(
                "FE-60008",
                _("Required inputs are missing."),
                _("Missing: %(m)s.") % {"m": ", ".join(missing)},
            )
        problems = inputs_collect(run, node, inputs)
        if problems:
            return _render(run, node, problems)
    if action.type == "NEXT":
        return _arrive(run, action.next, {})
    if executor is None:
        raise FlowError("FE-65004", _("The flow is broken."), f"Unknown executor {action.executor!r}.", status=500)
    result = executor.execute(run, action, inputs)
    run.progress.pop(REDIRECT_KEY, None)
    if result.status == "COMPLETE":
        run.step_done(f"{node.id}:{action.id}")
        target = result.next_step or action.next
        if target == node.id:
            return _render(run, node, result.messages, result.data)
        return _arrive(run, target, {})
    if result.status in ("RETRY", "USER_INPUT_REQUIRED"):
        return _render(run, node, result.messages, result.data)
    if result.status == EXTERNAL_REDIRECTION:
        run.progress[REDIRECT_KEY] = {"node": node.id, "action": action.id}
        return _response(run, kind="REDIRECTION", redirect_url=result.redirect_url, additional=result.data)
    raise _fail(result, default_code="FE-60008")


# --- completion ------------------------------------------------------------------------------------


def _complete(run: FlowRun) -> dict[str, Any]:
    from apps.flows.engine.completion import flow_complete

    messages, additional = flow_complete(run)
    run.ctx.completed = True
    response = _response(run, status="COMPLETE", messages=messages, additional=additional)
    stored = json.loads(json.dumps(response))
    stored["data"].get("additionalData", {}).pop("userAssertion", None)
    run.progress["completion"] = stored
    return response


# --- the entry point -------------------------------------------------------------------------------


def _rate_limit(organization: Any) -> None:
    from apps.authn.ratelimit import rate_count, rate_limited

    ip = context.current().ip or ""
    if not ip:
        return
    limit = tuple(settings.IAM_FLOW_EXECUTE_RATE_PER_IP)
    subject = f"{organization.pk}:{ip}"
    wait = rate_limited(RATE_SCOPE, subject, limit)
    if wait:
        raise FlowError(
            "FE-60011",
            _("Too many requests."),
            _("Try again in %(s)d seconds.") % {"s": wait},
            status=429,
            retry_after=wait,
        )
    rate_count(RATE_SCOPE, subject, limit)


def _expiry() -> Any:
    return timezone.now() + timedelta(seconds=settings.IAM_FLOW_CONTEXT_SECONDS)


def _digest(flow_id: str, action_id: Any, inputs: dict[str, str]) -> str:
    body = json.dumps([str(action_id or ""), sorted(inputs.items())], separators=(",", ":"))
    return code_hash("flow-request", flow_id, body)


def _start(organization: Any, data: dict[str, Any], inputs: dict[str, str], *, sandbox: bool) -> dict[str, Any]:
    from apps.flows.services.config import flow_config_values
    from apps.flows.services.definitions import flow_plan

    flow_type = canonical_flow_type(data.get("flowType"))
    if flow_type is None:
        raise FlowError(
            "FE-60007",
            _("Unsupported flow type."),
            _("Use REGISTRATION, PASSWORD_RECOVERY or INVITED_USER_REGISTRATION."),
        )
    if not sandbox and not flow_config_values(organization, flow_type)[0]:
        raise FlowError(
            "FE-60006", _("This flow is not enabled."), _("%(t)s is disabled for this organization.") % {"t": flow_type}
        )
    plan = flow_plan(organization, flow_type, draft=sandbox)
    if not plan.nodes:
        raise FlowError("FE-65002", _("The flow has no first step."), status=500)
    application_id = data.get("applicationId")
    ctx = FlowExecutionContext(
        organization=organization,
        flow_type=flow_type,
        version=plan.version,
        sandbox=sandbox,
        application_id=str(application_id)[:64] if isinstance(application_id, str) else "",
        plan=plan.to_json(),
        current_node=plan.start,
        state={},
        expires_at=_expiry(),
    )
    run = FlowRun(ctx, plan, organization=organization)
    with transaction.atomic():
        response = _arrive(run, plan.start, inputs)
        run.store()
        ctx.save(force_insert=True)
    return response


def _replay(ctx: FlowExecutionContext, organization: Any) -> dict[str, Any]:
    """The answer to a repeated submit of a step that already ran."""
    if ctx.completed and isinstance(ctx.state.get("completion"), dict):
        return ctx.state["completion"]
    plan = Plan.from_json(ctx.plan)
    node = plan.node(ctx.current_node)
    run = FlowRun(ctx, plan, organization=organization)
    if node is None or node.type != "VIEW":
        raise FlowError("FE-60001", _("Invalid flow."), _("The flow is unknown or has expired."))
    return _render(run, node)


def _prepare(organization: Any, pk: uuid.UUID, data: dict[str, Any], inputs: dict[str, str], *, sandbox: bool) -> Any:
    """Run the ``prepare`` of the executor this call continues, before the step's transaction: an
    IdP's callback (``code``/``state``) is exchanged over HTTP there, holding neither the context row
    nor SQLite's write lock. Only calls that carry callback inputs pay for this extra read."""
    if not any(inputs.get(key) for key in (*FEDERATED_CALLBACK_KEYS, "error")):
        return None
    ctx = FlowExecutionContext.objects.filter(pk=pk, organization_id=organization.pk).first()
    if ctx is None or ctx.sandbox != sandbox or ctx.completed or ctx.expires_at <= timezone.now():
        return None
    plan = Plan.from_json(ctx.plan)
    node = plan.node(ctx.current_node)
    action: PlanAction | None = None
    if node is not None and node.type != "VIEW":
        action = node.action
    elif node is not None:
        action_id = data.get("actionId")
        redirected = ctx.state.get(REDIRECT_KEY) if isinstance(ctx.state, dict) else None
        if action_id in (None, "") and isinstance(redirected, dict) and redirected.get("node") == node.id:
            action_id = redirected.get("action")
        action = node.actions.get(action_id) if isinstance(action_id, str) else None
    executor = executor_get(action.executor) if action is not None and action.type == "EXECUTOR" else None
    if executor is None:
        return None
    return executor.prepare(FlowRun(ctx, plan, organization=organization), action, inputs)


def _continue(
    organization: Any, flow_id: Any, data: dict[str, Any], inputs: dict[str, str], *, sandbox: bool
) -> dict[str, Any]:
    expired = FlowError("FE-60001", _("Invalid flow."), _("The flow is unknown or has expired."))
    try:
        pk = uuid.UUID(str(flow_id))
    except ValueError:
        raise expired from None
    digest = _digest(str(pk), data.get("actionId"), inputs)
    prepared = _prepare(organization, pk, data, inputs, sandbox=sandbox)
    run: FlowRun | None = None
    try:
        # One transaction for the step: a FlowError rolls all of it back and the context stays as it
        # was (no savepoint needed: nothing of a failed step is kept).
        with transaction.atomic():
            ctx = (
                FlowExecutionContext.objects.select_for_update().filter(pk=pk, organization_id=organization.pk).first()
            )
            if ctx is None or ctx.sandbox != sandbox or ctx.expires_at <= timezone.now():
                raise expired
            if ctx.state.get("lastDigest") == digest:
                return _replay(ctx, organization)
            if ctx.completed:
                raise expired
            run = FlowRun(ctx, Plan.from_json(ctx.plan), organization=organization)
            run.prepared = prepared
            before = ctx.current_node
            response = _submit(run, data.get("actionId"), inputs)
            if ctx.completed or ctx.current_node != before:
                run.progress["lastDigest"] = digest
            else:
                run.progress.pop("lastDigest", None)
            run.store()
            ctx.expires_at = _expiry()
            # ``plan``: an executor may add a view to this context's copy (federated sign-up's missing attributes)
            ctx.save(update_fields=["current_node", "plan", "state", "sealed", "completed", "expires_at"])
    except FlowError as error:
        if run is not None:
            _failed(organization, run, error)
        raise
    return response


def _failed(organization: Any, run: FlowRun, error: FlowError) -> None:
    """A registration that could not be completed is recorded (audit, ``registrationFailed``)."""
    if run.sandbox or run.flow_type != "REGISTRATION" or error.code not in ("FE-60003", "FE-65008", "FE-60002"):
        return
    from apps.flows.engine.completion import registration_failed_record

    try:
        with transaction.atomic():
            registration_failed_record(organization=organization, run=run, reason=error.message)
    except Exception:  # recording a failure must never hide the failure itself
        log.exception("flows: could not record a failed registration")


def flow_execute(*, organization: Any, data: Any, request: Any = None, sandbox: bool = False) -> dict[str, Any]:
    """Run one execution API call; returns the response body or raises ``FlowError``.

    ``sandbox=True`` runs the organization's draft (the live flow when there is no draft) without
    side effects: no account is created, no password written, no message sent (what would have
    been sent is listed in ``data.additionalData.sandboxMessages``), no events."""
    if organization is None:
        raise FlowError("FE-65001", _("No flow is defined here."), status=404)
    if not isinstance(data, dict):
        raise FlowError("FE-60007", _("Invalid request."), _("Send a JSON object."))
    if request is not None and not sandbox:
        _rate_limit(organization)
    inputs = inputs_parse(data.get("inputs"))
    if inputs is None:
        raise FlowError("FE-60008", _("Invalid inputs."), _("inputs must be an object of text values."))
    flow_id = data.get("flowId")
    if flow_id in (None, ""):
        if data.get("flowType") in (None, ""):
            raise FlowError(
                "FE-60004", _("flowId is missing."), _("Send flowType to start a flow, flowId to continue one.")
            )
        return _start(organization, data, inputs, sandbox=sandbox)
    return _continue(organization, flow_id, data, inputs, sandbox=sandbox)


def flow_contexts_purge(*, now: Any = None) -> int:
    """Delete execution contexts past their expiry (the beat sweep); returns how many."""
    deleted, _rows = FlowExecutionContext.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted
