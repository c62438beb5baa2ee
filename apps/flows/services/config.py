"""Per flow type configuration: enabled, and the completion options (WSO2's ``FlowConfig``).

Values are inherited from the nearest ancestor that saved its own (resolved by
``apps.orgs.inheritance``, see ``inherited.py``); defaults are all ``false``.
The API speaks WSO2's string booleans (``"true"``/``"false"``) in ``flowCompletionConfigs``;
``flow_config_values`` gives the engine real booleans."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from apps.core.audit import audit_record
from apps.flows.constants import COMPLETION_CONFIGS, FLOW_TYPES
from apps.flows.errors import FlowError
from apps.flows.models import FlowConfig
from apps.flows.services.definitions import flow_type_check
from apps.flows.services.inherited import config_name, flows_changed, flows_resolve


def _effective(organization: Any, flow_type: str) -> tuple[bool, dict[str, bool], Any]:
    """``(enabled, options, id of the organization whose config applies or None)``."""
    stored, source = flows_resolve(organization).resolve(config_name(flow_type))
    completion = stored.get("completion") or {}
    options = {key: bool(completion.get(key, False)) for key in COMPLETION_CONFIGS[flow_type]}
    return bool(stored.get("isEnabled")), options, source


def flow_config_values(organization: Any, flow_type: str) -> tuple[bool, dict[str, bool]]:
    """``(enabled, {completion option: bool})`` in effect for ``organization``."""
    enabled, options, _source = _effective(organization, flow_type)
    return enabled, options


def _out(organization: Any, flow_type: str) -> dict[str, Any]:
    enabled, options, source = _effective(organization, flow_type)
    return {
        "flowType": flow_type,
        "isEnabled": enabled,
        "flowCompletionConfigs": {key: "true" if value else "false" for key, value in options.items()},
        # the ancestor whose config applies (None: the organization's own, or the defaults)
        "inheritedFrom": str(source) if source is not None and source != organization.pk else None,
    }


def flow_config_get(organization: Any, flow_type: Any) -> dict[str, Any]:
    return _out(organization, flow_type_check(flow_type))


def flow_configs_list(organization: Any) -> list[dict[str, Any]]:
    return [_out(organization, flow_type) for flow_type in FLOW_TYPES]


def _boolean(value: Any, *, field: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise FlowError("FM-10009", _("Invalid value for %(f)s.") % {"f": field}, _("Use true or false."))


@transaction.atomic
def flow_config_update(*, actor: Any, organization: Any, data: Any) -> dict[str, Any]:
    """Merge ``{flowType, isEnabled?, flowCompletionConfigs?}`` into the organization's own config."""
    if not isinstance(data, dict):
        raise FlowError("FM-10002", _("Invalid request body."), _("Send a JSON object."))
    flow_type = flow_type_check(data.get("flowType"))
    enabled, options = flow_config_values(organization, flow_type)
    if "isEnabled" in data:
        enabled = _boolean(data["isEnabled"], field="isEnabled")
    changes = data.get("flowCompletionConfigs")
    if changes is not None:
        if not isinstance(changes, dict):
            raise FlowError("FM-10009", _("flowCompletionConfigs must be an object."))
        for key, value in changes.items():
            if key not in COMPLETION_CONFIGS[flow_type]:
                raise FlowError(
                    "FM-10010",
                    _("Unsupported completion option %(k)r for %(t)s.") % {"k": key, "t": flow_type},
                    _("Supported: %(s)s.") % {"s": ", ".join(COMPLETION_CONFIGS[flow_type])},
                )
            options[key] = _boolean(value, field=key)
    FlowConfig.objects.update_or_create(
        organization=organization, flow_type=flow_type, defaults={"is_enabled": enabled, "completion": options}
    )
    flows_changed(organization)
    audit_record(
        actor=actor,
        action="flow.config.update",
        target_type="flow",
        target_id=flow_type,
        organization=organization,
        data={"isEnabled": enabled, "flowCompletionConfigs": options},
    )
    return _out(organization, flow_type)


@transaction.atomic
def flow_config_revert(*, actor: Any, organization: Any, flow_type: Any) -> dict[str, Any]:
    """Forget the organization's own config of ``flow_type``: the nearest ancestor's (or the
    defaults, all ``false``) applies again."""
    flow_type = flow_type_check(flow_type)
    deleted, _rows = FlowConfig.objects.filter(organization=organization, flow_type=flow_type).delete()
    if deleted:
        flows_changed(organization)
        audit_record(
            actor=actor,
            action="flow.config.revert",
            target_type="flow",
            target_id=flow_type,
            organization=organization,
        )
    return _out(organization, flow_type)
