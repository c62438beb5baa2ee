"""``flow_meta``: what a flow of one type may use (WSO2's ``FlowMetaResponse``), for the Builder's
palette and properties panel and for API clients."""

from __future__ import annotations

from typing import Any

from apps.flows.constants import (
    COMPLETION_CONFIGS,
    CONFIRMATION_CODE,
    FEDERATED_EXECUTORS,
    MAGIC_LINK_TOKEN,
    OTP,
    PASSWORD,
    SUPPORTED_EXECUTORS,
    USERNAME_CLAIM,
)
from apps.flows.services.definitions import flow_type_check


def _validators(definition: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    conditions = []
    if definition.min_length is not None:
        conditions.append({"key": "min.length", "value": str(definition.min_length)})
    if definition.max_length is not None:
        conditions.append({"key": "max.length", "value": str(definition.max_length)})
    if conditions:
        out.append({"type": "RULE", "name": "LengthValidator", "conditions": conditions})
    if definition.regex:
        out.append(
            {"type": "RULE", "name": "PatternValidator", "conditions": [{"key": "pattern", "value": definition.regex}]}
        )
    bounds = []
    if definition.min_value is not None:
        bounds.append({"key": "min.value", "value": str(definition.min_value)})
    if definition.max_value is not None:
        bounds.append({"key": "max.value", "value": str(definition.max_value)})
    if bounds:
        out.append({"type": "RULE", "name": "RangeValidator", "conditions": bounds})
    return out


def _attributes(organization: Any) -> list[dict[str, Any]]:
    from apps.attributes.selectors import attribute_definitions

    out = []
    for definition in attribute_definitions(organization=organization):
        if definition.data_type == "complex" or (definition.read_only and definition.claim_uri != USERNAME_CLAIM):
            continue
        out.append(
            {
                "name": definition.display_name,
                "claimURI": definition.claim_uri,
                "required": definition.required,
                "readOnly": definition.read_only,
                "dataType": definition.data_type,
                "multiValued": definition.multi_valued,
                "inputFormat": definition.input_format,
                "options": [{"label": label, "value": value} for label, value in definition.options],
                "supportedByDefault": definition.supported_by_default,
                "validators": _validators(definition),
            }
        )
    return out


def _password_policy(organization: Any) -> dict[str, Any]:
    from apps.authn.services.settings import login_settings_for

    policy = login_settings_for(organization)
    return {
        "minLength": policy.password_min_length,
        "maxLength": policy.password_max_length,
        "minUpperCase": policy.password_min_upper,
        "minLowerCase": policy.password_min_lower,
        "minNumbers": policy.password_min_digits,
        "minSpecialCharacters": policy.password_min_special,
    }


def flow_meta(organization: Any, flow_type: Any) -> dict[str, Any]:
    flow_type = flow_type_check(flow_type)
    from apps.flows.executors.federated import federated_connections

    executors = list(SUPPORTED_EXECUTORS[flow_type])
    connections = federated_connections(organization)
    return {
        "flowType": flow_type,
        "supportedExecutors": executors,
        "connectorConfigs": {"passwordPolicy": _password_policy(organization)},
        "attributeProfile": "SELF_REGISTRATION" if flow_type == "REGISTRATION" else "END_USER_PROFILE",
        "attributeMetadata": _attributes(organization),
        "inputIdentifiers": [PASSWORD, OTP, CONFIRMATION_CODE, MAGIC_LINK_TOKEN],
        "executorConnections": [
            {"executorName": name, "connections": connections.get(name, [])}
            for name in executors
            if name in FEDERATED_EXECUTORS
        ],
        "supportedFlowCompletionConfigs": list(COMPLETION_CONFIGS[flow_type]),
        "workflowEnabled": False,
    }
