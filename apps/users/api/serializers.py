from __future__ import annotations

from typing import Any

from rest_framework import serializers

from apps.core.api.serializers import StrictCharField, StrictSerializer
from apps.users.models import Group, Role, User


class UserCreateSerializer(StrictSerializer):
    username = StrictCharField(max_length=150)
    password = StrictCharField(max_length=256, required=False, trim_whitespace=False)
    email = StrictCharField(max_length=254, required=False, allow_blank=True)
    givenName = StrictCharField(max_length=150, required=False, allow_blank=True)  # noqa: N815
    familyName = StrictCharField(max_length=150, required=False, allow_blank=True)  # noqa: N815
    phone = StrictCharField(max_length=32, required=False, allow_blank=True)
    attributes = serializers.DictField(required=False)
    kind = serializers.ChoiceField(choices=User.Kind.values, required=False)


class UserPatchSerializer(StrictSerializer):
    username = StrictCharField(max_length=150, required=False)
    email = StrictCharField(max_length=254, required=False, allow_blank=True)
    givenName = StrictCharField(max_length=150, required=False, allow_blank=True)  # noqa: N815
    familyName = StrictCharField(max_length=150, required=False, allow_blank=True)  # noqa: N815
    phone = StrictCharField(max_length=32, required=False, allow_blank=True)
    attributes = serializers.DictField(required=False)


class UserStateSerializer(StrictSerializer):
    state = serializers.ChoiceField(choices=User.State.values)
    lockMinutes = serializers.IntegerField(required=False, min_value=1, max_value=525_600)  # noqa: N815


class PasswordSerializer(StrictSerializer):
    password = StrictCharField(max_length=256, trim_whitespace=False)


class GroupSerializer(StrictSerializer):
    name = StrictCharField(max_length=255)
    description = StrictCharField(max_length=1024, required=False, allow_blank=True)
    members = serializers.ListField(child=StrictCharField(max_length=64), required=False, max_length=10_000)


class GroupPatchSerializer(GroupSerializer):
    name = StrictCharField(max_length=255, required=False)


class RoleSerializer(StrictSerializer):
    name = StrictCharField(max_length=255)
    permissions = serializers.ListField(child=StrictCharField(max_length=255), required=False, max_length=5_000)
    users = serializers.ListField(child=StrictCharField(max_length=64), required=False, max_length=10_000)
    groups = serializers.ListField(child=StrictCharField(max_length=64), required=False, max_length=10_000)


class RolePatchSerializer(RoleSerializer):
    name = StrictCharField(max_length=255, required=False)


FIELD_MAP = {"givenName": "given_name", "familyName": "family_name"}


def user_changes(data: dict[str, Any]) -> dict[str, Any]:
    return {FIELD_MAP.get(k, k): v for k, v in data.items() if k not in {"password", "kind"}}


def _iso(value: Any) -> str:
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def user_out(user: User) -> dict[str, Any]:
    return {
        "id": str(user.id),
        "username": user.username,
        "kind": user.kind,
        "email": user.email,
        "givenName": user.given_name,
        "familyName": user.family_name,
        "phone": user.phone,
        "attributes": user.attributes,
        "state": user.state,
        "lockedUntil": _iso(user.locked_until) if user.locked_until else None,
        "organizationId": str(user.organization_id),
        "created": _iso(user.created),
        "lastModified": _iso(user.last_modified),
    }


def group_out(group: Group, *, with_members: bool = False) -> dict[str, Any]:
    body = {"id": str(group.id), "name": group.name, "description": group.description}
    if with_members:
        body["members"] = [{"id": str(u.id), "username": u.username} for u in group.members.all()]
    return body


def role_out(role: Role, *, detailed: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {"id": str(role.id), "name": role.name, "audience": role.audience}
    if detailed:
        body["permissions"] = sorted(p.name for p in role.permissions.all())
        body["users"] = [{"id": str(u.id), "username": u.username} for u in role.users.all()]
        body["groups"] = [{"id": str(g.id), "name": g.name} for g in role.groups.all()]
    return body
