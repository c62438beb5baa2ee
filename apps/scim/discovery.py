"""/ServiceProviderConfig, /ResourceTypes and /Schemas (RFC 7644 §4): what this server really does."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from apps.scim.context import ScimContext
from apps.scim.resources import RESOURCE_TYPES, ResourceType
from apps.scim.schema import (
    LIST_RESPONSE,
    MAX_BULK_OPERATIONS,
    MAX_BULK_PAYLOAD,
    MAX_FILTER_RESULTS,
    RESOURCE_TYPE_SCHEMA,
    SPC_SCHEMA,
    Schema,
)


def service_provider_config(ctx: ScimContext) -> dict[str, Any]:
    schemes = [
        {
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "An access token of this organization (Bearer or DPoP) holding the operation's scope.",
            "specUri": "https://www.rfc-editor.org/rfc/rfc6750",
            "primary": True,
        }
    ]
    if settings.IAM_API_BASIC_AUTH:
        schemes.append(
            {
                "type": "httpbasic",
                "name": "HTTP Basic",
                "description": "Username and password of a user of this organization; scopes from the user's roles.",
                "specUri": "https://www.rfc-editor.org/rfc/rfc7617",
                "primary": False,
            }
        )
    return {
        "schemas": [SPC_SCHEMA],
        "documentationUri": "https://www.rfc-editor.org/rfc/rfc7644",
        "patch": {"supported": True},
        "bulk": {"supported": True, "maxOperations": MAX_BULK_OPERATIONS, "maxPayloadSize": MAX_BULK_PAYLOAD},
        "filter": {"supported": True, "maxResults": MAX_FILTER_RESULTS},
        "changePassword": {"supported": True},
        "sort": {"supported": True},
        "etag": {"supported": True},
        "authenticationSchemes": schemes,
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": f"{ctx.base_url}/ServiceProviderConfig",
        },
    }


def resource_type_doc(ctx: ScimContext, resource: ResourceType) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": resource.name,
        "name": resource.name,
        "endpoint": f"/{resource.endpoint}",
        "description": resource.schema.description,
        "schema": resource.schema.id,
    }
    if resource.has_extensions:
        doc["schemaExtensions"] = [{"schema": urn, "required": False} for urn in ctx.extensions()]
    doc["meta"] = {"resourceType": "ResourceType", "location": f"{ctx.base_url}/ResourceTypes/{resource.name}"}
    return doc


def all_schemas(ctx: ScimContext) -> list[Schema]:
    return [*(r.schema for r in RESOURCE_TYPES), *ctx.extensions().values()]


def schema_doc(ctx: ScimContext, schema: Schema) -> dict[str, Any]:
    return schema.to_scim(f"{ctx.base_url}/Schemas/{schema.id}")


def list_response(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "schemas": [LIST_RESPONSE],
        "totalResults": len(resources),
        "startIndex": 1,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }
