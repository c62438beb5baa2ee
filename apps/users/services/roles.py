"""Writes to roles and their permissions and assignments."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from apps.applications.models import APIResource, Scope
from apps.core.audit import audit_record
from apps.core.errors import Conflict, InvalidInput
from apps.core.events import emit
from apps.core.ids import parse_uuid
from apps.users.models import Group, Role
from apps.users.services.groups import users_in_org
from apps.users.services.validation import clean_text

# --- roles -------------------------------------------------------------------------


def _scopes_for_org(*, organization: Any, scope_names: Iterable[Any]) -> list[Scope]:
    names = set()
    for name in scope_names:
        if not isinstance(name, str) or not name:
            raise InvalidInput("ROL-60003", _("Permissions must be scope names."), field="permissions")
        names.add(name)
    scopes = list(Scope.objects.filter(api_resource__in=APIResource.objects.for_org(organization), name__in=names))
    missing = names - {s.name for s in scopes}
    if missing:
        raise InvalidInput(
            "ROL-60004",
            _("Unknown permission: %(names)s.") % {"names": ", ".join(sorted(missing))},
            field="permissions",
        )
    return scopes


def _groups_in_org(*, organization: Any, group_ids: Iterable[Any]) -> list[Group]:
    ids = [parse_uuid(raw) for raw in group_ids]
    if None in ids:
        raise InvalidInput("ROL-60003", _("Invalid group id."), field="groups")
    groups = list(Group.objects.for_org(organization).filter(pk__in=ids))
    if len(groups) != len(set(ids)):
        raise InvalidInput("ROL-60011", _("One or more groups do not exist in this organization."), field="groups")
    return groups


def _role_name(name: Any, *, organization: Any, exclude: Role | None = None) -> str:
    name = clean_text(name, field="name", max_length=255, code="ROL-60003")
    if not name:
        raise InvalidInput("ROL-60002", _("Role name is required."), field="name")
    qs = Role.objects.for_org(organization).filter(audience=Role.Audience.ORGANIZATION, name__iexact=name)
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    if qs.exists():
        raise Conflict("ROL-60009", _("A role with this name already exists."), field="name")
    return name


@transaction.atomic
def role_create(
    *,
    actor: Any,
    organization: Any,
    name: Any,
    permissions: Iterable[Any] = (),
    user_ids: Iterable[Any] = (),
    group_ids: Iterable[Any] = (),
) -> Role:
    role = Role(organization=organization, name=_role_name(name, organization=organization))
    scopes = _scopes_for_org(organization=organization, scope_names=permissions)
    users = users_in_org(organization=organization, user_ids=user_ids, prefix="ROL", field="users")
    groups = _groups_in_org(organization=organization, group_ids=group_ids)
    role.save(force_insert=True)
    role.permissions.set(scopes)
    role.users.set(users)
    role.groups.set(groups)
    audit_record(actor=actor, action="role.create", target_type="role", target_id=role.id, organization=organization)
    emit("role.created", organization=organization, payload={"id": str(role.id), "name": role.name})
    return role


@transaction.atomic
def role_update(
    *,
    actor: Any,
    role: Role,
    name: Any = None,
    permissions: Iterable[Any] | None = None,
    user_ids: Iterable[Any] | None = None,
    group_ids: Iterable[Any] | None = None,
) -> Role:
    role = Role.objects.select_for_update().get(pk=role.pk)
    org = role.organization
    if name is not None:
        role.name = _role_name(name, organization=org, exclude=role)
    scopes = None if permissions is None else _scopes_for_org(organization=org, scope_names=permissions)
    users = None if user_ids is None else users_in_org(organization=org, user_ids=user_ids, prefix="ROL", field="users")
    groups = None if group_ids is None else _groups_in_org(organization=org, group_ids=group_ids)
    role.save()
    if scopes is not None:
        role.permissions.set(scopes)
    if users is not None:
        role.users.set(users)
    if groups is not None:
        role.groups.set(groups)
    audit_record(actor=actor, action="role.update", target_type="role", target_id=role.id, organization=org)
    emit("role.updated", organization=org, payload={"id": str(role.id), "name": role.name})
    return role


@transaction.atomic
def role_delete(*, actor: Any, role: Role) -> None:
    organization, role_id, name = role.organization, str(role.id), role.name
    role.delete()
    audit_record(actor=actor, action="role.delete", target_type="role", target_id=role_id, organization=organization)
    emit("role.deleted", organization=organization, payload={"id": role_id, "name": name})
