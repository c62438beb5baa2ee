"""Request bodies and response shapes of authorized APIs and API resources (WSO2's)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from apps.applications.api.serializers import enum_field, string_list
from apps.applications.models import APIResource, Application, AuthorizedAPI, Scope
from apps.core.api.serializers import StrictBooleanField, StrictCharField, StrictSerializer
from apps.core.errors import InvalidInput

# --- authorized APIs ---------------------------------------------------------------


class AuthorizedAPICreateSerializer(StrictSerializer):
    id = StrictCharField(max_length=64)
    policyIdentifier = enum_field(AuthorizedAPI.Policy.values, required=False)  # noqa: N815
    scopes = string_list(255, required=False, max_length=500)


class AuthorizedAPIPatchSerializer(StrictSerializer):
    addedScopes = string_list(255, required=False, max_length=500)  # noqa: N815
    removedScopes = string_list(255, required=False, max_length=500)  # noqa: N815


def authorized_api_out(authorized: AuthorizedAPI) -> dict[str, Any]:
    resource = authorized.api_resource
    return {
        "id": str(resource.id),
        "identifier": resource.identifier,
        "displayName": resource.name,
        "type": resource.type,
        "policyId": authorized.policy,
        "authorizedScopes": [{"name": s.name, "displayName": s.display_name} for s in authorized.scopes.all()],
    }


# --- API resources -------------------------------------------------------------------


class ScopeCreateSerializer(StrictSerializer):
    name = StrictCharField(max_length=255, trim_whitespace=False)
    displayName = StrictCharField(max_length=255, required=False, allow_blank=True)  # noqa: N815
    description = StrictCharField(max_length=1024, required=False, allow_blank=True)


class ScopeListSerializer(StrictSerializer):
    """Wraps the bare JSON list that ``PUT /api-resources/{id}/scopes`` takes."""

    scopes = ScopeCreateSerializer(many=True, max_length=500)


class APIResourceCreateSerializer(StrictSerializer):
    name = StrictCharField(max_length=255)
    identifier = StrictCharField(max_length=512)
    description = StrictCharField(max_length=1024, required=False, allow_blank=True)
    requiresAuthorization = StrictBooleanField(required=False)  # noqa: N815
    type = enum_field(["BUSINESS", "MCP"], required=False)
    resourceType = enum_field(["BUSINESS", "MCP"], required=False, help_text="Alias of type.")  # noqa: N815
    scopes = ScopeCreateSerializer(many=True, required=False, max_length=500)


class APIResourcePatchSerializer(StrictSerializer):
    name = StrictCharField(max_length=255, required=False)
    description = StrictCharField(max_length=1024, required=False, allow_blank=True)
    requiresAuthorization = StrictBooleanField(required=False)  # noqa: N815
    addedScopes = ScopeCreateSerializer(many=True, required=False, max_length=500)  # noqa: N815
    removedScopes = string_list(255, required=False, max_length=500)  # noqa: N815


def scope_specs(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "name": item["name"],
            "display_name": item.get("displayName", ""),
            "description": item.get("description", ""),
        }
        for item in items
    ]


def resource_type(data: dict[str, Any]) -> str:
    given = {data[key] for key in ("type", "resourceType") if key in data}
    if len(given) > 1:
        raise InvalidInput("APR-60001", _("type and resourceType disagree."))
    return given.pop() if given else APIResource.Type.BUSINESS


def scope_out(scope: Scope) -> dict[str, Any]:
    return {
        "id": str(scope.id),
        "name": scope.name,
        "displayName": scope.display_name,
        "description": scope.description,
    }


def api_resource_out(resource: APIResource, *, subscribed: list[Application] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(resource.id),
        "name": resource.name,
        "identifier": resource.identifier,
        "description": resource.description,
        "type": resource.type,
        "requiresAuthorization": resource.requires_authorization,
        "scopes": [scope_out(scope) for scope in resource.scopes.all()],
        "properties": [],
        "self": reverse("api-resource-detail", kwargs={"api_resource_id": resource.id}),
    }
    if subscribed is not None:
        body["subscribedApplications"] = [{"id": str(app.uuid), "name": app.name} for app in subscribed]
    return body


def api_resource_list_item(resource: APIResource) -> dict[str, Any]:
    return {
        "id": str(resource.id),
        "name": resource.name,
        "identifier": resource.identifier,
        "type": resource.type,
        "requiresAuthorization": resource.requires_authorization,
        # Not in WSO2's list item; the Console's role picker reads the scopes from here.
        "scopes": [{"name": scope.name, "displayName": scope.display_name} for scope in resource.scopes.all()],
        "self": reverse("api-resource-detail", kwargs={"api_resource_id": resource.id}),
    }
