"""Every write to applications, their API authorizations and API resources.

Each function runs in one transaction and writes its audit row and outbox
event inside it; a refused change writes nothing. Error codes:

Applications (``APP``)
    60001 invalid value · 60002 name missing · 60003 unknown template ·
    60004 bad redirect URL / origin / URL · 60005 grant types ·
    60006 setting locked by the template · 60007 setting fixed after creation ·
    60008 public client has no secret · 60009 name taken (409) · 60010 lifetime ·
    60011 JWKS · 60015 not found (404) · 60030 API resource unknown ·
    60031 scope not of that resource · 60032 MCP server needs the MCP template ·
    60033 already authorized (409) · 60034 not authorized (404) · 60035 policy

API resources (``APR``)
    60001 invalid value · 60002 missing value · 60003 system resource (403) ·
    60004 identifier taken (409) · 60005 scope name taken (409) ·
    60006 bad identifier · 60007 bad scope · 60008 not a root organization (403) ·
    60015 not found (404)
"""

from apps.applications.services.api_resources import (
    api_resource_create,
    api_resource_delete,
    api_resource_set_scopes,
    api_resource_update,
)
from apps.applications.services.applications import (
    application_create,
    application_delete,
    application_regenerate_secret,
    application_update,
)
from apps.applications.services.authorized_apis import (
    application_authorize_api,
    application_revoke_api,
    application_touch,
    application_update_authorized_api,
)
from apps.applications.services.seed import access_token_issue, api_resources_seed_system

__all__ = [
    "access_token_issue",
    "api_resource_create",
    "api_resource_delete",
    "api_resource_set_scopes",
    "api_resource_update",
    "api_resources_seed_system",
    "application_authorize_api",
    "application_create",
    "application_delete",
    "application_regenerate_secret",
    "application_revoke_api",
    "application_touch",
    "application_update",
    "application_update_authorized_api",
]
