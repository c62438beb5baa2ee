"""Flow definitions, versions, configuration and the execution engine (issue 7).

The public contract other apps (end-user pages, Console Flow Builder, login portal, notifications)
import from here; see docs/flows.md."""

from apps.flows.constants import FLOW_TYPES
from apps.flows.engine.assertion import flow_assertion_consume
from apps.flows.engine.core import flow_execute
from apps.flows.errors import FlowError
from apps.flows.links import flow_resume_url, flow_start_url
from apps.flows.services.config import flow_config_get, flow_config_revert, flow_config_update, flow_configs_list
from apps.flows.services.definitions import (
    flow_default_steps,
    flow_delete,
    flow_get,
    flow_publish,
    flow_replace,
    flow_rollback,
    flow_save,
    flow_validate,
    flow_versions,
)
from apps.flows.services.meta import flow_meta

__all__ = [
    "FLOW_TYPES",
    "FlowError",
    "flow_assertion_consume",
    "flow_config_get",
    "flow_config_revert",
    "flow_config_update",
    "flow_configs_list",
    "flow_default_steps",
    "flow_delete",
    "flow_execute",
    "flow_get",
    "flow_meta",
    "flow_publish",
    "flow_replace",
    "flow_resume_url",
    "flow_rollback",
    "flow_save",
    "flow_start_url",
    "flow_validate",
    "flow_versions",
]
