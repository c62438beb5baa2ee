"""Whole-graph validation of a flow definition (WSO2's ``FM-``/``RFM-`` codes).

``flow_problems`` returns every problem found, each ``{code, message, description}`` plus the
``stepId`` / ``componentId`` it concerns, so the Builder can show each one in place; saving is
refused while the list is not empty."""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import gettext as _

from apps.flows.constants import (
    ACTION_TYPES,
    COMPLETE,
    COMPONENT_TYPES,
    CONFIRMATION_CODE,
    EMAIL_CLAIM,
    FEDERATED_EXECUTORS,
    INPUT_VARIANTS,
    MOBILE_CLAIM,
    NON_CLAIM_IDENTIFIERS,
    OTP,
    PASSWORD,
    RESERVED_IDS,
    STEP_TYPES,
    SUPPORTED_EXECUTORS,
    USERNAME_CLAIM,
    canonical_flow_type,
)
from apps.flows.plan import walk

MAX_STEPS = 64
MAX_COMPONENTS = 1000
MAX_DEPTH = 8
MAX_JSON_BYTES = 512 * 1024


class _Problems:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def add(
        self, code: str, message: str, description: str = "", *, step: str | None = None, component: str | None = None
    ) -> None:
        item: dict[str, Any] = {"code": code, "message": message, "description": description or message}
        if step is not None:
            item["stepId"] = step
        if component is not None:
            item["componentId"] = component
        self.items.append(item)


def _depth(components: list[Any], level: int = 1) -> int:
    deepest = level if components else level - 1
    for item in components:
        if isinstance(item, dict) and isinstance(item.get("components"), list):
            deepest = max(deepest, _depth(item["components"], level + 1))
    return deepest


def _shape(steps: Any, problems: _Problems) -> bool:
    """Steps are objects with a text id and a data object; components are objects with an id."""
    if not isinstance(steps, list) or not steps:
        problems.add("FM-10012", _("The flow has no steps."), _("Add at least one step."))
        return False
    try:
        size = len(json.dumps(steps))
    except (TypeError, ValueError):
        size = MAX_JSON_BYTES + 1
    if size > MAX_JSON_BYTES or len(steps) > MAX_STEPS:
        problems.add(
            "FM-10002",
            _("The flow is too large."),
            _("At most %(n)d steps and %(k)d KB.") % {"n": MAX_STEPS, "k": MAX_JSON_BYTES // 1024},
        )
        return False
    ok = True
    total = 0
    for index, step in enumerate(steps):
        if not isinstance(step, dict) or not isinstance(step.get("id"), str) or not step["id"].strip():
            problems.add("FM-10002", _("Every step needs a text id."), _("Step %(n)d has no id.") % {"n": index + 1})
            ok = False
            continue
        data = step.get("data", {})
        if data is None:
            data = {}
        if not isinstance(data, dict):
            problems.add("FM-10002", _("A step's data must be an object."), step=step["id"])
            ok = False
            continue
        components = data.get("components", [])
        if components is None:
            components = []
        if not isinstance(components, list):
            problems.add("FM-10002", _("Components must be a list."), step=step["id"])
            ok = False
            continue
        if _depth(components) > MAX_DEPTH:
            problems.add("FM-10002", _("Components are nested too deeply."), step=step["id"])
            ok = False
        for component in walk(components):
            total += 1
            if not isinstance(component.get("id"), str) or not component["id"].strip():
                problems.add("FM-10002", _("Every component needs a text id."), step=step["id"])
                ok = False
            children = component.get("components")
            if children is not None and not isinstance(children, list):
                problems.add(
                    "FM-10002", _("Components must be a list."), step=step["id"], component=component.get("id")
                )
                ok = False
            for key in ("config", "action"):
                if component.get(key) is not None and not isinstance(component.get(key), dict):
                    problems.add(
                        "FM-10002",
                        _("A component's %(k)s must be an object.") % {"k": key},
                        step=step["id"],
                        component=component.get("id"),
                    )
                    ok = False
        if data.get("action") is not None and not isinstance(data.get("action"), dict):
            problems.add("RFM-60007", _("An execution step runs exactly one executor."), step=step["id"])
            ok = False
    if total > MAX_COMPONENTS:
        problems.add("FM-10002", _("The flow has too many components."), _("At most %(n)d.") % {"n": MAX_COMPONENTS})
        ok = False
    return ok


def _claims(organization: Any) -> dict[str, Any]:
    from apps.attributes.selectors import attribute_definitions

    return {definition.claim_uri: definition for definition in attribute_definitions(organization=organization)}


def _check_action(
    action: Any,
    *,
    flow_type: str,
    step_ids: set[str],
    end_ids: set[str],
    step: str,
    component: str | None,
    problems: _Problems,
    organization: Any,
) -> None:
    where = {"step": step, "component": component}
    kind = str(action.get("type") or "").upper()
    if kind not in ACTION_TYPES:
        problems.add(
            "RFM-60008",
            _("Unknown action type."),
            _("Action type %(t)r is not NEXT or EXECUTOR.") % {"t": action.get("type")},
            **where,
        )
        return
    if kind == "EXECUTOR":
        executor = action.get("executor")
        name = executor.get("name") if isinstance(executor, dict) else None
        if not isinstance(name, str) or not name:
            problems.add("RFM-60006", _("The action does not name an executor."), **where)
        elif name not in SUPPORTED_EXECUTORS[flow_type]:
            problems.add(
                "FM-10004",
                _("Executor not supported for this flow type."),
                _("%(e)s cannot be used in a %(t)s flow.") % {"e": name, "t": flow_type},
                **where,
            )
        else:
            meta = executor.get("meta") if isinstance(executor, dict) else None
            if meta is not None and not isinstance(meta, dict):
                problems.add("FM-10007", _("Executor metadata must be an object."), **where)
            elif name in FEDERATED_EXECUTORS:
                _check_federated(name, meta or {}, organization=organization, problems=problems, where=where)
    target = action.get("next")
    if not isinstance(target, str) or not target:
        problems.add("RFM-60005", _("The action has no next step."), **where)
    elif target != COMPLETE and target not in step_ids and target not in end_ids:
        problems.add(
            "RFM-600009",
            _("The next step %(s)r does not exist.") % {"s": target},
            _("Step %(step)s points to %(s)r, which is not a step of this flow.") % {"step": step, "s": target},
            **where,
        )


def _check_federated(name: str, meta: dict[str, Any], *, organization: Any, problems: _Problems, where: dict) -> None:
    idp_name = meta.get("idpName")
    if not isinstance(idp_name, str) or not idp_name:
        problems.add("FM-10007", _("Federated sign-up needs an identity provider (meta.idpName)."), **where)
        return
    from apps.flows.executors.federated import idp_lookup

    found = idp_lookup(organization, idp_name, name)
    if found is False:
        problems.add(
            "FM-10007",
            _("Unknown identity provider."),
            _("No identity provider named %(n)r in this organization that %(e)s can use.") % {"n": idp_name, "e": name},
            **where,
        )


def _check_input(
    component: dict[str, Any], *, claims: dict[str, Any], step: str, in_form: bool, problems: _Problems
) -> str:
    where = {"step": step, "component": component["id"]}
    variant = str(component.get("variant") or "TEXT").upper()
    if variant not in INPUT_VARIANTS:
        problems.add("RFM-60010", _("Unsupported input variant %(v)r.") % {"v": component.get("variant")}, **where)
    if not in_form:
        problems.add("RFM-60002", _("Input fields must sit inside a form."), **where)
    config = component.get("config") or {}
    identifier = config.get("identifier")
    if not isinstance(identifier, str) or not identifier:
        problems.add("FM-10008", _("The input is not bound to an attribute."), **where)
        return ""
    if identifier in NON_CLAIM_IDENTIFIERS:
        return identifier
    definition = claims.get(identifier)
    if definition is None:
        problems.add(
            "FM-10008",
            _("The input is bound to an unknown attribute."),
            _("%(a)s is not an attribute of this organization.") % {"a": identifier},
            **where,
        )
    elif (definition.read_only and identifier != USERNAME_CLAIM) or definition.data_type == "complex":
        problems.add(
            "FM-10008",
            _("The input is bound to an attribute users cannot set."),
            _("%(a)s is read-only or an object.") % {"a": identifier},
            **where,
        )
    return identifier


def flow_problems(organization: Any, flow_type: Any, steps: Any) -> list[dict[str, Any]]:
    problems = _Problems()
    canonical = canonical_flow_type(flow_type)
    if canonical is None:
        problems.add("FM-10001", _("Unsupported flow type."), _("Flow type %(t)r is not supported.") % {"t": flow_type})
        return problems.items
    if not _shape(steps, problems):
        return problems.items
    flow_type = canonical

    # Unique ids across steps and components.
    seen: set[str] = set()
    for step in steps:
        for item_id in [step["id"], *(c["id"] for c in walk((step.get("data") or {}).get("components") or []))]:
            if item_id in seen:
                problems.add(
                    "FM-10006",
                    _("Duplicate id %(i)r.") % {"i": item_id},
                    _("Step and component ids must be unique across the flow; %(i)r is used twice.") % {"i": item_id},
                    step=step["id"],
                    component=item_id if item_id != step["id"] else None,
                )
            seen.add(item_id)

    end_ids = {step["id"] for step in steps if step.get("type") == "END"}
    step_ids = {step["id"] for step in steps if step.get("type") != "END"}
    claims = _claims(organization)
    identifiers: set[str] = set()
    executors: set[str] = set()
    inbound: set[str] = set()
    for step in steps:
        step_id = step["id"]
        kind = step.get("type")
        if kind not in STEP_TYPES:
            problems.add(
                "RFM-60001",
                _("Unsupported step type %(t)r.") % {"t": kind},
                _("Use VIEW, EXECUTION, REDIRECTION or END."),
                step=step_id,
            )
            continue
        if step_id in RESERVED_IDS:
            problems.add("RFM-60013", _("%(i)r is reserved and cannot be a step id.") % {"i": step_id}, step=step_id)
        data = step.get("data") or {}
        components = data.get("components") or []
        view_identifiers: set[str] = set()
        view_executors: set[str] = set()
        if kind == "VIEW" and not components:
            problems.add("RFM-60003", _("A view step needs components."), step=step_id)
        forms: set[int] = set()
        for component in walk(components):
            ctype = component.get("type")
            if ctype not in COMPONENT_TYPES:
                problems.add(
                    "RFM-60010",
                    _("Unsupported component type %(t)r.") % {"t": ctype},
                    step=step_id,
                    component=component["id"],
                )
                continue
            if ctype == "FORM":
                forms.update(id(child) for child in walk(component.get("components") or []))
            if ctype == "INPUT":
                identifier = _check_input(
                    component, claims=claims, step=step_id, in_form=id(component) in forms, problems=problems
                )
                if identifier:
                    view_identifiers.add(identifier)
            action = component.get("action")
            if ctype == "BUTTON" and not action:
                problems.add("RFM-60004", _("The button has no action."), step=step_id, component=component["id"])
            if isinstance(action, dict):
                _check_action(
                    action,
                    flow_type=flow_type,
                    step_ids=step_ids,
                    end_ids=end_ids,
                    step=step_id,
                    component=component["id"],
                    problems=problems,
                    organization=organization,
                )
                executor = (action.get("executor") or {}) if isinstance(action.get("executor"), dict) else {}
                if str(action.get("type", "")).upper() == "EXECUTOR" and executor.get("name"):
                    meta = executor.get("meta") if isinstance(executor.get("meta"), dict) else {}
                    if not meta.get("resend"):
                        view_executors.add(str(executor["name"]))
                    executors.add(str(executor["name"]))
                if isinstance(action.get("next"), str) and action["next"] != step_id:
                    inbound.add(action["next"])
        if kind in ("EXECUTION", "REDIRECTION"):
            action = data.get("action")
            if not isinstance(action, dict):
                problems.add("RFM-60006", _("An execution step needs an executor action."), step=step_id)
            else:
                _check_action(
                    action,
                    flow_type=flow_type,
                    step_ids=step_ids,
                    end_ids=end_ids,
                    step=step_id,
                    component=None,
                    problems=problems,
                    organization=organization,
                )
                executor = action.get("executor") if isinstance(action.get("executor"), dict) else {}
                if executor.get("name"):
                    executors.add(str(executor["name"]))
                if isinstance(action.get("next"), str) and action["next"] != step_id:
                    inbound.add(action["next"])
        if kind == "VIEW":
            if view_executors & {"EmailOTPExecutor", "SMSOTPExecutor"} and OTP not in view_identifiers:
                problems.add(
                    "FM-10005",
                    _("A one-time code step needs an OTP input."),
                    _("Step %(s)s verifies a code but has no input with identifier %(i)r.") % {"s": step_id, "i": OTP},
                    step=step_id,
                )
            if "ConfirmationCodeValidationExecutor" in view_executors and CONFIRMATION_CODE not in view_identifiers:
                problems.add(
                    "FM-10005",
                    _("A confirmation code step needs a confirmation code input."),
                    _("Add an input with identifier %(i)r to step %(s)s.") % {"i": CONFIRMATION_CODE, "s": step_id},
                    step=step_id,
                )
        identifiers |= view_identifiers

    starts = [step["id"] for step in steps if step.get("type") in ("VIEW", "EXECUTION", "REDIRECTION")]
    first = [step_id for step_id in starts if step_id not in inbound]
    if starts and len(first) != 1:
        problems.add(
            "RFM-60012",
            _("The flow must have exactly one first step."),
            _("Steps nothing leads to: %(s)s.") % {"s": ", ".join(first) or _("none (every step is a target)")},
        )
    if not starts:
        problems.add(
            "RFM-60012", _("The flow must have exactly one first step."), _("It has no view or execution step.")
        )
    _check_mandatory(flow_type, identifiers, executors, problems)
    return problems.items


def _check_mandatory(flow_type: str, identifiers: set[str], executors: set[str], problems: _Problems) -> None:
    federated = bool(executors & set(FEDERATED_EXECUTORS))
    if flow_type == "REGISTRATION":
        if not federated and not identifiers & {USERNAME_CLAIM, EMAIL_CLAIM}:
            problems.add(
                "FM-10005",
                _("Registration must collect a username or an email address."),
                _("Add an input bound to %(u)s or %(e)s.") % {"u": USERNAME_CLAIM, "e": EMAIL_CLAIM},
            )
        if "PasswordOnboardExecutor" in executors and PASSWORD not in identifiers:
            problems.add(
                "FM-10005",
                _("A password executor needs a password field."),
                _("Add an input with identifier %(i)r.") % {"i": PASSWORD},
            )
        if "EmailOTPExecutor" in executors and EMAIL_CLAIM not in identifiers and not federated:
            problems.add(
                "FM-10005", _("Email OTP needs an email input."), _("Add an input bound to %(e)s.") % {"e": EMAIL_CLAIM}
            )
        if "SMSOTPExecutor" in executors and MOBILE_CLAIM not in identifiers and not federated:
            problems.add(
                "FM-10005", _("SMS OTP needs a mobile input."), _("Add an input bound to %(e)s.") % {"e": MOBILE_CLAIM}
            )
        return
    if PASSWORD not in identifiers:
        problems.add(
            "FM-10005",
            _("This flow must collect the new password."),
            _("Add an input with identifier %(i)r.") % {"i": PASSWORD},
        )
    needed = {"UserResolveExecutor", "ConfirmationCodeValidationExecutor"}
    if flow_type == "INVITED_USER_REGISTRATION":
        needed = {"ConfirmationCodeValidationExecutor"}
    if not executors & needed:
        problems.add(
            "FM-10005",
            _("This flow must identify the user."),
            _("Use %(e)s.") % {"e": " or ".join(sorted(needed))},
        )
