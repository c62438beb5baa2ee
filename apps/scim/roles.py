"""WSO2 Roles v2 (``/scim2/v2/Roles``): displayName, audience, permissions, users, groups."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet

from apps.scim import query as sq
from apps.scim.context import ScimContext, iso, json_member, version_of
from apps.scim.errors import invalid_filter, invalid_path, invalid_value, mutability, no_target
from apps.scim.filters import AttrPath, PatchPath
from apps.scim.patch import PatchOperation
from apps.scim.projection import Projection
from apps.scim.schema import ROLE, ROLE_SCHEMA
from apps.users import services
from apps.users.models import Role
from apps.users.services.roles import role_assignments_change

ENDPOINT = "v2/Roles"


def role_queryset(organization: Any, projection: Projection | None = None) -> QuerySet[Role]:
    return Role.objects.for_org(organization).select_related("audience_application", "organization")


def _audience(role: Role) -> dict[str, Any]:
    if role.audience == Role.Audience.APPLICATION and role.audience_application is not None:
        app = role.audience_application
        return {"value": str(app.uuid), "display": app.name, "type": "application"}
    return {"value": str(role.organization_id), "display": role.organization.name, "type": "organization"}


def role_to_scim(ctx: ScimContext, role: Role, projection: Projection | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"schemas": [ROLE_SCHEMA], "id": str(role.id), "displayName": role.name}
    doc["audience"] = _audience(role)
    if projection is None or projection.wants("permissions"):
        rows = Role.permissions.through.objects.filter(role_id=role.pk).values_list(
            "scope__name", "scope__display_name"
        )
        doc["permissions"] = [
            {"value": name, "display": display or name} for name, display in rows.order_by("scope__name")
        ]
    if projection is None or projection.wants("users"):
        rows = Role.users.through.objects.filter(role_id=role.pk).values_list("user_id", "user__username")
        users = [
            {"value": str(pk), "display": name, "$ref": ctx.location("Users", pk)}
            for pk, name in rows.order_by("user__username")
        ]
        if users:
            doc["users"] = users
    if projection is None or projection.wants("groups"):
        rows = Role.groups.through.objects.filter(role_id=role.pk).values_list("group_id", "group__name")
        groups = [
            {"value": str(pk), "display": name, "$ref": ctx.location("Groups", pk)}
            for pk, name in rows.order_by("group__name")
        ]
        if groups:
            doc["groups"] = groups
    doc["meta"] = {
        "resourceType": "Role",
        "created": iso(role.created),
        "lastModified": iso(role.last_modified),
        "location": ctx.location(ENDPOINT, role.id),
        "version": version_of(role.last_modified),
    }
    return doc


def _flat(fields: dict[str, sq.Field]) -> sq.Resolver:
    lowered = {k.lower(): v for k, v in fields.items()}

    def resolve(path: AttrPath) -> sq.Field:
        target = lowered.get(path.attr.lower())
        if target is None or path.schema is not None:
            raise invalid_filter(f"Unknown attribute {path}.")
        return target

    return resolve


def _audience_value(op: str, value: Any) -> Q:
    if op == "pr":
        return sq.MATCH_ALL
    org_q = sq.uuid_field("organization_id").compare(op, value) & Q(audience=Role.Audience.ORGANIZATION)
    app_q = Q(audience=Role.Audience.APPLICATION) & sq.uuid_field("audience_application__uuid").compare(op, value)
    return org_q | app_q


def role_resolver(ctx: ScimContext) -> sq.Resolver:
    core: dict[str, Any] = {
        "id": sq.uuid_field("pk"),
        "displayname": sq.Field(column="name"),
        "audience": sq.Complex(
            {
                "type": sq.Field(column="audience", case_exact=True),
                "value": sq.Field(predicate=_audience_value),
                "display": sq.Field(column="audience_application__name"),
            },
            default="value",
        ),
        "permissions": sq.Related(
            resolver=_flat(
                {
                    "value": sq.Field(column="scope__name", case_exact=True),
                    "display": sq.Field(column="scope__display_name"),
                }
            ),
            subquery=lambda q: Q(pk__in=Role.permissions.through.objects.filter(q).values("role_id")),
        ),
        "users": sq.Related(
            resolver=_flat({"value": sq.uuid_field("user_id"), "display": sq.Field(column="user__username")}),
            subquery=lambda q: Q(pk__in=Role.users.through.objects.filter(q).values("role_id")),
        ),
        "groups": sq.Related(
            resolver=_flat({"value": sq.uuid_field("group_id"), "display": sq.Field(column="group__name")}),
            subquery=lambda q: Q(pk__in=Role.groups.through.objects.filter(q).values("role_id")),
        ),
        "meta": sq.meta_fields("Role"),
    }
    return sq.schema_resolver(ROLE_SCHEMA, core)


SORT_FIELDS = sq.NAMED_SORT_FIELDS


# --- writes ---------------------------------------------------------------------------


def _values(value: Any, name: str) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        raw = json_member(item, "value") if isinstance(item, dict) else item
        if not isinstance(raw, str) or not raw:
            raise invalid_value(f'Each of {name} must be an object with a "value".')
        out.append(raw)
    return out


def _check_audience(ctx: ScimContext, body: dict[str, Any], role: Role | None) -> Any:
    """The application a new role is for (``audience.type`` application), or None for the organization."""
    audience = json_member(body, "audience")
    if audience is None:
        return None
    if not isinstance(audience, dict):
        raise invalid_value("audience must be an object.")
    kind = str(json_member(audience, "type") or "organization").lower()
    value = json_member(audience, "value")
    if role is not None:
        current = _audience(role)
        if kind != current["type"] or (value is not None and str(value) != current["value"]):
            raise mutability("The audience of a role cannot be changed.")
        return None
    if kind == "application":
        from apps.applications.models import Application
        from apps.core.ids import parse_uuid

        app_id = parse_uuid(value)
        application = Application.objects.filter(organization=ctx.organization, uuid=app_id).first() if app_id else None
        if application is None:
            raise invalid_value("audience.value must be the id of an application of this organization.")
        return application
    if kind != "organization" or (value is not None and str(value) != str(ctx.organization.pk)):
        raise invalid_value('audience.type must be "organization" (this organization\'s id) or "application".')
    return None


@transaction.atomic
def scim_role_create(ctx: ScimContext, body: Any) -> Role:
    if not isinstance(body, dict):
        raise invalid_value("The request body must be a JSON object.")
    application = _check_audience(ctx, body, None)
    name = json_member(body, "displayName")
    if name is None:
        raise invalid_value("displayName is required.")
    return services.role_create(
        actor=ctx.actor,
        organization=ctx.organization,
        name=name,
        audience_application=application,
        permissions=_values(json_member(body, "permissions"), "permissions"),
        user_ids=_values(json_member(body, "users"), "users"),
        group_ids=_values(json_member(body, "groups"), "groups"),
    )


@transaction.atomic
def scim_role_replace(ctx: ScimContext, role: Role, body: Any) -> Role:
    if not isinstance(body, dict):
        raise invalid_value("The request body must be a JSON object.")
    _check_audience(ctx, body, role)
    name = json_member(body, "displayName")
    if name is None:
        raise invalid_value("displayName is required.")
    return services.role_update(
        actor=ctx.actor,
        role=role,
        name=name,
        permissions=_values(json_member(body, "permissions"), "permissions"),
        user_ids=_values(json_member(body, "users"), "users"),
        group_ids=_values(json_member(body, "groups"), "groups"),
    )


_ASSIGNMENTS = ("users", "groups", "permissions")


def _selected(path: PatchPath, role: Role) -> list[str]:
    """Values of users/groups/permissions selected by a value filter (evaluated by the database)."""
    name = path.path.attr.lower()
    resolver = role_resolver(None)(AttrPath(name))  # type: ignore[arg-type]
    q = sq.to_q(path.value_filter, resolver.resolver)
    through = {"users": Role.users.through, "groups": Role.groups.through, "permissions": Role.permissions.through}[
        name
    ]
    column = {"users": "user_id", "groups": "group_id", "permissions": "scope__name"}[name]
    return [str(v) for v in through.objects.filter(Q(role_id=role.pk) & q).values_list(column, flat=True)]


@transaction.atomic
def scim_role_patch(ctx: ScimContext, role: Role, operations: list[PatchOperation]) -> Role:
    name: Any = None
    replace: dict[str, list[str]] = {}
    add: dict[str, list[str]] = {k: [] for k in _ASSIGNMENTS}
    remove: dict[str, list[str]] = {k: [] for k in _ASSIGNMENTS}

    def handle(op: str, attr: str, value: Any, path: PatchPath | None) -> None:
        nonlocal name
        if attr == "displayname":
            if op == "remove":
                raise mutability("displayName is required and cannot be removed.")
            name = value
            return
        if attr in ("audience", "id", "meta"):
            raise mutability(f"{attr} cannot be modified.")
        if attr not in _ASSIGNMENTS:
            raise invalid_path(f"Unknown attribute {attr}.")
        if path is not None and path.value_filter is not None:
            if op != "remove":
                raise invalid_path(f'Add or replace {attr} through the path "{attr}".')
            selected = _selected(path, role)
            if not selected:
                raise no_target(f"No value of {attr} matches the filter.")
            remove[attr] += selected
        elif op == "replace" or (op == "remove" and value is None):
            replace[attr] = [] if op == "remove" else _values(value, attr)
            add[attr], remove[attr] = [], []
        elif op == "remove":
            remove[attr] += _values(value, attr)
        else:
            add[attr] += _values(value, attr)

    for operation in operations:
        if operation.path is None:
            for key, item in operation.value.items():
                if key.lower() != "schemas":
                    handle(operation.op, key.lower(), item, None)
            continue
        if operation.path.path.schema is not None and operation.path.path.schema.lower() != ROLE_SCHEMA.lower():
            raise invalid_path(f"Unknown schema {operation.path.path.schema}.")
        if ROLE.attr(operation.path.path.attr) is None:
            raise invalid_path(f"Unknown attribute {operation.path.path}.")
        if operation.path.path.sub or operation.path.sub:
            raise invalid_path("Sub-attributes of role assignments cannot be modified.")
        handle(operation.op, operation.path.path.attr.lower(), operation.value, operation.path)
    if name is not None or replace:
        role = services.role_update(
            actor=ctx.actor,
            role=role,
            name=name,
            permissions=replace.get("permissions"),
            user_ids=replace.get("users"),
            group_ids=replace.get("groups"),
        )
    if any(add.values()) or any(remove.values()):
        role = role_assignments_change(
            actor=ctx.actor,
            role=role,
            add_user_ids=add["users"],
            remove_user_ids=remove["users"],
            add_group_ids=add["groups"],
            remove_group_ids=remove["groups"],
            add_permissions=add["permissions"],
            remove_permissions=remove["permissions"],
        )
    return role_queryset(ctx.organization).get(pk=role.pk)
