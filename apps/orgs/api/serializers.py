from __future__ import annotations

from typing import Any

from rest_framework import serializers

from apps.core.api.serializers import StrictCharField, StrictSerializer
from apps.orgs.models import Organization


def _iso(value: Any) -> str:
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class AttributeSerializer(StrictSerializer):
    key = StrictCharField(max_length=255)
    value = StrictCharField(max_length=1024)


class OrganizationCreateSerializer(StrictSerializer):
    name = StrictCharField(max_length=255)
    orgHandle = StrictCharField(max_length=64, required=False, allow_blank=True)  # noqa: N815
    description = StrictCharField(max_length=1024, required=False, allow_blank=True)
    type = serializers.ChoiceField(choices=Organization.Type.values, required=False)
    parentId = serializers.UUIDField(required=False)  # noqa: N815
    attributes = AttributeSerializer(many=True, required=False)


class OrganizationPutSerializer(StrictSerializer):
    name = StrictCharField(max_length=255)
    status = serializers.ChoiceField(choices=Organization.Status.values)
    description = StrictCharField(max_length=1024, required=False, allow_blank=True)
    version = StrictCharField(max_length=32, required=False)
    attributes = AttributeSerializer(many=True, required=False)


class PatchOperationSerializer(StrictSerializer):
    operation = serializers.ChoiceField(choices=["ADD", "REMOVE", "REPLACE"])
    path = StrictCharField(max_length=300)
    value = serializers.JSONField(required=False)


class CheckNameSerializer(StrictSerializer):
    name = StrictCharField(max_length=255)


class CheckHandleSerializer(StrictSerializer):
    orgHandle = StrictCharField(max_length=64)  # noqa: N815


def organization_basic(org: Organization) -> dict[str, Any]:
    return {
        "id": str(org.id),
        "name": org.name,
        "orgHandle": org.handle,
        "status": org.status,
        "version": org.version,
        "hasChildren": bool(getattr(org, "has_children", False)),
        "ref": f"/api/server/v1/organizations/{org.id}",
    }


def organization_full(org: Organization) -> dict[str, Any]:
    return {
        **organization_basic(org),
        "description": org.description,
        "created": _iso(org.created),
        "lastModified": _iso(org.last_modified),
        "type": org.type,
        "parent": (
            {"id": str(org.parent_id), "ref": f"/api/server/v1/organizations/{org.parent_id}"}
            if org.parent_id
            else None
        ),
        "attributes": [{"key": k, "value": v} for k, v in sorted(org.attributes.items())],
        "depth": org.depth,
    }
