"""The SCIM Group resource. Membership changes are set-based: adding a member to a group of
10,000 costs the same queries as adding one to a group of 10 (nothing loads the other members)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet

from apps.core.ids import parse_uuid
from apps.scim import query as sq
from apps.scim.context import ScimContext, iso, json_member, version_of
from apps.scim.errors import invalid_filter, invalid_path, invalid_value, mutability, no_target
from apps.scim.filters import AttrPath, Compare, Logical, Node, PatchPath
from apps.scim.patch import PatchOperation
from apps.scim.projection import Projection
from apps.scim.schema import GROUP, GROUP_SCHEMA
from apps.users import services
from apps.users.models import Group
from apps.users.services.groups import group_members_add, group_members_remove

ENDPOINT = "Groups"


def group_queryset(organization: Any, projection: Projection | None = None) -> QuerySet[Group]:
    return Group.objects.for_org(organization)


def group_to_scim(ctx: ScimContext, group: Group, projection: Projection | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"schemas": [GROUP_SCHEMA], "id": str(group.id), "displayName": group.name}
    if projection is None or projection.wants("members"):
        # Only ids and usernames: never whole user rows.
        rows = Group.members.through.objects.filter(group_id=group.pk).values_list("user_id", "user__username")
        members = [
            {"value": str(uid), "display": name, "$ref": ctx.location("Users", uid), "type": "User"}
            for uid, name in rows.order_by("user__username")
        ]
        if members:
            doc["members"] = members
    doc["meta"] = {
        "resourceType": "Group",
        "created": iso(group.created),
        "lastModified": iso(group.last_modified),
        "location": ctx.location(ENDPOINT, group.id),
        "version": version_of(group.last_modified),
    }
    return doc


def _member_fields() -> sq.Resolver:
    fields = {
        "value": sq.uuid_field("user_id"),
        "display": sq.Field(column="user__username"),
        "type": sq.constant("User"),
    }

    def resolve(path: AttrPath) -> sq.Field:
        target = fields.get(path.attr.lower())
        if target is None or path.schema is not None:
            raise invalid_filter(f"Unknown attribute {path}.")
        return target

    return resolve


def group_resolver(ctx: ScimContext) -> sq.Resolver:
    membership = Group.members.through
    core: dict[str, Any] = {
        "id": sq.uuid_field("pk"),
        "displayname": sq.Field(column="name"),
        "members": sq.Related(
            resolver=_member_fields(),
            subquery=lambda q: Q(pk__in=membership.objects.filter(q).values("group_id")),
        ),
        "meta": sq.meta_fields("Group"),
    }
    return sq.schema_resolver(GROUP_SCHEMA, core)


SORT_FIELDS = sq.NAMED_SORT_FIELDS


# --- writes ---------------------------------------------------------------------------


def member_ids(value: Any) -> list[str]:
    """User ids from a ``members`` value: ``[{"value": id}, ...]`` (or one such object)."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    ids = []
    for item in items:
        raw = json_member(item, "value") if isinstance(item, dict) else None
        if not isinstance(raw, str) or not raw:
            raise invalid_value('Each member must be an object with a "value" (a user id).')
        member_type = json_member(item, "type")
        if member_type is not None and str(member_type).lower() != "user":
            raise invalid_value("Only users can be group members; groups do not nest.")
        ids.append(raw)
    return ids


def _display_name(body: Any) -> Any:
    name = json_member(body, "displayName")
    if name is None:
        raise invalid_value("displayName is required.")
    return name


@transaction.atomic
def scim_group_create(ctx: ScimContext, body: Any) -> Group:
    if not isinstance(body, dict):
        raise invalid_value("The request body must be a JSON object.")
    return services.group_create(
        actor=ctx.actor,
        organization=ctx.organization,
        name=_display_name(body),
        member_ids=member_ids(json_member(body, "members")),
    )


@transaction.atomic
def scim_group_replace(ctx: ScimContext, group: Group, body: Any) -> Group:
    if not isinstance(body, dict):
        raise invalid_value("The request body must be a JSON object.")
    return services.group_update(
        actor=ctx.actor, group=group, name=_display_name(body), member_ids=member_ids(json_member(body, "members"))
    )


def _filter_member_ids(group: Group, node: Node) -> list[str]:
    """Members of ``group`` selected by a value filter, found by the database (``value eq`` needs no query)."""
    direct = _direct_ids(node)
    if direct is not None:
        return direct
    q = sq.to_q(node, _member_fields())
    rows = Group.members.through.objects.filter(Q(group_id=group.pk) & q).values_list("user_id", flat=True)
    return [str(pk) for pk in rows]


def _direct_ids(node: Node) -> list[str] | None:
    if isinstance(node, Compare) and node.op == "eq" and node.path.attr.lower() == "value" and not node.path.sub:
        return [node.value] if isinstance(node.value, str) and parse_uuid(node.value) else []
    if isinstance(node, Logical) and node.op == "or":
        left, right = _direct_ids(node.left), _direct_ids(node.right)
        return None if left is None or right is None else left + right
    return None


def _is_members(path: PatchPath | None) -> bool:
    return path is not None and path.path.attr.lower() == "members"


def _check_path(path: PatchPath) -> None:
    if path.path.schema is not None and path.path.schema.lower() != GROUP_SCHEMA.lower():
        raise invalid_path(f"Unknown schema {path.path.schema}.")
    name = path.path.attr.lower()
    if name in ("id", "meta"):
        raise mutability(f"{path.path.attr} cannot be modified.")
    if GROUP.attr(name) is None:
        raise invalid_path(f"Unknown attribute {path.path}.")
    if name == "displayname" and (path.value_filter is not None or path.path.sub):
        raise invalid_path("displayName has no sub-attributes.")
    if name == "members" and (path.path.sub or path.sub):
        raise mutability("Member values cannot be modified; remove and add the member instead.")


@transaction.atomic
def scim_group_patch(ctx: ScimContext, group: Group, operations: list[PatchOperation]) -> Group:
    name: Any = None
    replace_members: list[str] | None = None
    add: list[str] = []
    remove: list[str] = []
    for operation in operations:
        if operation.path is None:
            value = operation.value
            for key, item in value.items():
                lowered = key.lower()
                if lowered == "displayname":
                    name = item
                elif lowered == "members":
                    ids = member_ids(item)
                    if operation.op == "replace":
                        replace_members, add, remove = ids, [], []
                    else:
                        add += ids
                elif lowered in ("id", "meta"):
                    raise mutability(f"{key} cannot be modified.")
                elif lowered not in ("schemas", "externalid"):
                    raise invalid_path(f"Unknown attribute {key}.")
            continue
        _check_path(operation.path)
        if not _is_members(operation.path):
            if operation.op == "remove":
                raise mutability("displayName is required and cannot be removed.")
            name = operation.value
            continue
        if operation.path.value_filter is not None:
            if operation.op != "remove":
                raise invalid_path('Add or replace members through the path "members".')
            selected = _filter_member_ids(group, operation.path.value_filter)
            if not selected:
                raise no_target("No member matches the filter.")
            remove += selected
        elif operation.op == "remove":
            if operation.value is None:
                replace_members, add, remove = [], [], []
            else:
                remove += member_ids(operation.value)
        elif operation.op == "replace":
            replace_members, add, remove = member_ids(operation.value), [], []
        else:
            add += member_ids(operation.value)
    if name is not None or replace_members is not None:
        group = services.group_update(actor=ctx.actor, group=group, name=name, member_ids=replace_members)
    removing = set(remove) - set(add)
    if add:
        group = group_members_add(actor=ctx.actor, group=group, user_ids=list(dict.fromkeys(add)))
    if removing:
        group = group_members_remove(actor=ctx.actor, group=group, user_ids=sorted(removing))
    return Group.objects.get(pk=group.pk)
