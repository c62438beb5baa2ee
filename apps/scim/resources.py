"""The resource types served under /scim2 and what each operation on them needs (scopes included).

Used by the endpoints and by /Bulk alike, so an operation behaves the same either way."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from apps.core.ids import parse_uuid
from apps.scim import groups, roles, users
from apps.scim.context import ScimContext
from apps.scim.schema import GROUP, ROLE, USER, Schema


@dataclass(frozen=True)
class ResourceType:
    name: str
    endpoint: str  # relative to /scim2
    schema: Schema
    queryset: Callable[..., QuerySet]
    to_scim: Callable[..., dict[str, Any]]
    resolver: Callable[[ScimContext], Any]
    sort_fields: dict[str, str]
    create: Callable[[ScimContext, Any], Any]
    replace: Callable[[ScimContext, Any, Any], Any]
    patch: Callable[[ScimContext, Any, Any], Any]
    delete: Callable[..., None]
    scopes: dict[str, tuple[str, ...]]  # "list" | "view" | "create" | "update" | "delete" -> scopes (any)
    bulk_scopes: dict[str, str]  # WSO2's per-operation bulk scopes: "create" | "update" | "delete"
    has_extensions: bool = False

    def get(self, ctx: ScimContext, resource_id: Any, projection: Any = None) -> Any:
        pk = parse_uuid(resource_id)
        if pk is None:
            return None
        return self.queryset(ctx.organization, projection).filter(pk=pk).first()


def _delete_user(*, actor: Any, obj: Any) -> None:
    from apps.users.services import user_delete

    user_delete(actor=actor, user=obj)


def _delete_group(*, actor: Any, obj: Any) -> None:
    from apps.users.services import group_delete

    group_delete(actor=actor, group=obj)


def _delete_role(*, actor: Any, obj: Any) -> None:
    from apps.users.services import role_delete

    role_delete(actor=actor, role=obj)


USERS = ResourceType(
    name="User",
    endpoint="Users",
    schema=USER,
    queryset=users.user_queryset,
    to_scim=users.user_to_scim,
    resolver=users.user_resolver,
    sort_fields=users.SORT_FIELDS,
    create=users.scim_user_create,
    replace=users.scim_user_replace,
    patch=users.scim_user_patch,
    delete=_delete_user,
    scopes={
        "list": ("internal_user_mgt_list",),
        "view": ("internal_user_mgt_view",),
        "create": ("internal_user_mgt_create",),
        "update": ("internal_user_mgt_update",),
        "delete": ("internal_user_mgt_delete",),
    },
    bulk_scopes={
        "create": "internal_bulk_user_create",
        "update": "internal_bulk_user_update",
        "delete": "internal_bulk_user_delete",
    },
    has_extensions=True,
)
GROUPS = ResourceType(
    name="Group",
    endpoint="Groups",
    schema=GROUP,
    queryset=groups.group_queryset,
    to_scim=groups.group_to_scim,
    resolver=groups.group_resolver,
    sort_fields=groups.SORT_FIELDS,
    create=groups.scim_group_create,
    replace=groups.scim_group_replace,
    patch=groups.scim_group_patch,
    delete=_delete_group,
    scopes={
        "list": ("internal_group_mgt_view",),
        "view": ("internal_group_mgt_view",),
        "create": ("internal_group_mgt_create",),
        "update": ("internal_group_mgt_update",),
        "delete": ("internal_group_mgt_delete",),
    },
    bulk_scopes={
        "create": "internal_bulk_group_create",
        "update": "internal_bulk_group_update",
        "delete": "internal_bulk_group_delete",
    },
)
ROLES = ResourceType(
    name="Role",
    endpoint="v2/Roles",
    schema=ROLE,
    queryset=roles.role_queryset,
    to_scim=roles.role_to_scim,
    resolver=roles.role_resolver,
    sort_fields=roles.SORT_FIELDS,
    create=roles.scim_role_create,
    replace=roles.scim_role_replace,
    patch=roles.scim_role_patch,
    delete=_delete_role,
    scopes={
        "list": ("internal_role_mgt_view",),
        "view": ("internal_role_mgt_view",),
        "create": ("internal_role_mgt_create",),
        "update": ("internal_role_mgt_update",),
        "delete": ("internal_role_mgt_delete",),
    },
    bulk_scopes={
        "create": "internal_bulk_role_create",
        "update": "internal_bulk_role_update",
        "delete": "internal_bulk_role_delete",
    },
)
RESOURCE_TYPES = (USERS, GROUPS, ROLES)

METHOD_ACTIONS = {"POST": "create", "PUT": "update", "PATCH": "update", "DELETE": "delete"}
BULK_ALL_SCOPE = "internal_bulk_resource_create"


def resource_type_for_path(path: str) -> tuple[ResourceType, str | None] | None:
    """``/Users`` → (USERS, None); ``/v2/Roles/<id>`` → (ROLES, "<id>")."""
    stripped = path.strip("/")
    for resource in RESOURCE_TYPES:
        if stripped == resource.endpoint:
            return resource, None
        prefix = resource.endpoint + "/"
        if stripped.startswith(prefix) and "/" not in stripped[len(prefix) :] and stripped[len(prefix) :]:
            return resource, stripped[len(prefix) :]
    return None
