"""Flow enablement, completion options and the live flow of each type, resolved down the
organization tree by the one inheritance service (``apps.orgs.inheritance``, kind ``flows``).

Per flow type ``T`` the kind has two properties, each inherited as a whole from the nearest
organization that set it (the organization itself first):

* ``T.config``: ``{"isEnabled": bool, "completion": {option: bool}}`` (a ``FlowConfig`` row);
* ``T.version``: the number of the organization's live version (a ``FlowDefinition`` whose
  ``live_version`` is set); its *source* is the organization that owns that version.

Both stay in the flows app's own tables (drafts and version history live next to them); the kind
only reads them, so every write in ``apps.flows.services`` calls ``inheritance_changed`` in its
transaction and every process sees the change at once."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from apps.flows.constants import COMPLETION_CONFIGS, FLOW_TYPES
from apps.flows.models import FlowConfig, FlowDefinition
from apps.orgs.inheritance import Kind, Resolution, inheritance_changed, kind_register, settings_resolve


def config_name(flow_type: str) -> str:
    return f"{flow_type}.config"


def version_name(flow_type: str) -> str:
    return f"{flow_type}.version"


def _defaults() -> dict[str, Any]:
    values: dict[str, Any] = {}
    for flow_type in FLOW_TYPES:
        values[config_name(flow_type)] = {
            "isEnabled": False,
            "completion": dict.fromkeys(COMPLETION_CONFIGS[flow_type], False),
        }
        values[version_name(flow_type)] = None  # the shipped default flow
    return values


def _stored(chain: list[uuid.UUID]) -> Mapping[uuid.UUID, Mapping[str, Any]]:
    layers: dict[uuid.UUID, dict[str, Any]] = defaultdict(dict)
    configs = FlowConfig.objects.filter(organization_id__in=chain).values_list(
        "organization_id", "flow_type", "is_enabled", "completion"
    )
    for org_id, flow_type, enabled, completion in configs:
        layers[org_id][config_name(flow_type)] = {
            "isEnabled": enabled,
            "completion": completion if isinstance(completion, dict) else {},
        }
    live = FlowDefinition.objects.filter(organization_id__in=chain, live_version__isnull=False).values_list(
        "organization_id", "flow_type", "live_version"
    )
    for org_id, flow_type, version in live:
        layers[org_id][version_name(flow_type)] = version
    return layers


FLOWS_KIND = kind_register(Kind("flows", _defaults, stored_values=_stored))


def flows_resolve(organization: Any) -> Resolution:
    """Every flow type's config and live version in ``organization``, with their sources."""
    return settings_resolve(organization, FLOWS_KIND.name)


def flows_changed(organization: Any) -> None:
    """Call in the transaction of every change to a flow config or a live flow version."""
    inheritance_changed(organization)
