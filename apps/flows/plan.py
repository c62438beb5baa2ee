"""The execution plan: a validated flow definition compiled into a typed graph.

The plan is plain data (``to_json``/``from_json``) so an execution context can carry its own copy
in its database row: the flow in progress keeps running on it whatever is published meanwhile.

* a VIEW node renders ``components`` (canvas data stripped, ``actionId`` on buttons) and lists its
  ``inputs`` and the ``actions`` its buttons trigger (keyed by the button id, the ``actionId``);
* an EXECUTION or REDIRECTION node runs its one ``action`` when the flow arrives at it;
* every terminal transition points to ``COMPLETE`` (END steps are folded into it)."""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field
from typing import Any

from apps.flows.constants import COMPLETE

PLAN_FORMAT = 1
# Keys of a component the execution API shows; anything else (canvas data, actions) stays server-side.
_CLIENT_KEYS = ("id", "category", "type", "variant", "version", "config")


@dataclass(frozen=True)
class PlanInput:
    identifier: str
    component_id: str
    variant: str
    required: bool
    label: str = ""
    validations: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class PlanAction:
    id: str
    type: str  # NEXT | EXECUTOR
    next: str
    executor: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def is_resend(self) -> bool:
        """A "send the code again" button: it runs its executor's initiation, not its check."""
        return bool(self.meta.get("resend"))


@dataclass(frozen=True)
class PlanNode:
    id: str
    type: str  # VIEW | EXECUTION | REDIRECTION
    components: list[dict[str, Any]] = field(default_factory=list)
    inputs: list[PlanInput] = field(default_factory=list)
    actions: dict[str, PlanAction] = field(default_factory=dict)
    action: PlanAction | None = None

    def executors(self) -> list[PlanAction]:
        """The executor actions of this node, one per executor name, in button order."""
        seen: dict[str, PlanAction] = {}
        candidates = [self.action] if self.action is not None else list(self.actions.values())
        for action in candidates:
            if action is not None and action.type == "EXECUTOR" and action.executor not in seen:
                seen[action.executor] = action
        return list(seen.values())


@dataclass(frozen=True)
class Plan:
    flow_type: str
    version: int | None
    start: str
    nodes: dict[str, PlanNode]

    def node(self, node_id: str) -> PlanNode | None:
        return self.nodes.get(node_id)

    def executor_names(self) -> set[str]:
        return {action.executor for node in self.nodes.values() for action in node.executors()}

    def to_json(self) -> dict[str, Any]:
        return {
            "format": PLAN_FORMAT,
            "flowType": self.flow_type,
            "version": self.version,
            "start": self.start,
            "nodes": {key: asdict(node) for key, node in self.nodes.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        nodes = {}
        for key, raw in data["nodes"].items():
            action = raw.get("action")
            nodes[key] = PlanNode(
                id=raw["id"],
                type=raw["type"],
                components=raw.get("components") or [],
                inputs=[PlanInput(**item) for item in raw.get("inputs") or []],
                actions={name: PlanAction(**item) for name, item in (raw.get("actions") or {}).items()},
                action=PlanAction(**action) if action else None,
            )
        return cls(flow_type=data["flowType"], version=data.get("version"), start=data["start"], nodes=nodes)


def walk(components: list[Any]) -> list[dict[str, Any]]:
    """Every component of a tree, depth first (containers before their children)."""
    out: list[dict[str, Any]] = []
    stack = list(reversed(components or []))
    while stack:
        item = stack.pop()
        if not isinstance(item, dict):
            continue
        out.append(item)
        stack.extend(reversed(item.get("components") or []))
    return out


def _client_component(component: dict[str, Any]) -> dict[str, Any]:
    out = {key: copy.deepcopy(component[key]) for key in _CLIENT_KEYS if key in component}
    out.setdefault("config", {})
    if component.get("type") == "BUTTON" or isinstance(component.get("action"), dict):
        out["actionId"] = component["id"]
    children = component.get("components")
    if children:
        out["components"] = [_client_component(child) for child in children if isinstance(child, dict)]
    return out


def _target(next_id: Any, end_ids: set[str]) -> str:
    value = str(next_id or "")
    return COMPLETE if value == COMPLETE or value in end_ids else value


def _action(action_id: str, raw: dict[str, Any], end_ids: set[str]) -> PlanAction:
    executor = raw.get("executor") if isinstance(raw.get("executor"), dict) else {}
    return PlanAction(
        id=action_id,
        type=str(raw.get("type", "")).upper(),
        next=_target(raw.get("next"), end_ids),
        executor=str(executor.get("name") or ""),
        meta=dict(executor.get("meta") or {}) if isinstance(executor.get("meta"), dict) else {},
    )


def _input(component: dict[str, Any]) -> PlanInput:
    config = component.get("config") if isinstance(component.get("config"), dict) else {}
    validations = config.get("validations")
    return PlanInput(
        identifier=str(config.get("identifier") or ""),
        component_id=str(component["id"]),
        variant=str(component.get("variant") or "TEXT").upper(),
        required=bool(config.get("required")),
        label=str(config.get("label") or ""),
        validations=list(validations) if isinstance(validations, list) else [],
    )


def plan_compile(flow_type: str, steps: list[dict[str, Any]], *, version: int | None = None) -> Plan:
    """Compile validated ``steps`` (``flow_validate`` returned no errors for them)."""
    end_ids = {str(step["id"]) for step in steps if step.get("type") == "END"}
    nodes: dict[str, PlanNode] = {}
    inbound: set[str] = set()
    for step in steps:
        if step.get("type") == "END":
            continue
        step_id = str(step["id"])
        data = step.get("data") if isinstance(step.get("data"), dict) else {}
        components = [c for c in data.get("components") or [] if isinstance(c, dict)]
        actions: dict[str, PlanAction] = {}
        inputs: list[PlanInput] = []
        for component in walk(components):
            if component.get("type") == "INPUT":
                inputs.append(_input(component))
            if isinstance(component.get("action"), dict):
                actions[str(component["id"])] = _action(str(component["id"]), component["action"], end_ids)
        step_action = data.get("action")
        action = _action(step_id, step_action, end_ids) if isinstance(step_action, dict) else None
        nodes[step_id] = PlanNode(
            id=step_id,
            type=str(step["type"]),
            components=[_client_component(c) for c in components],
            inputs=inputs,
            actions=actions,
            action=action,
        )
        for target in [*(a.next for a in actions.values()), *([action.next] if action else [])]:
            if target != step_id:
                inbound.add(target)
    starts = [node_id for node_id in nodes if node_id not in inbound]
    return Plan(flow_type=flow_type, version=version, start=starts[0] if starts else next(iter(nodes)), nodes=nodes)
