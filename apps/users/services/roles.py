"""Writes to roles and their permissions and assignments."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from apps.applications.models import APIResource, Scope
from apps.core.audit import audit_record
from apps.core.errors import Conflict, Forbidden, InvalidInput
from apps.core.events import emit
from apps.core.ids import parse_uuid
from apps.users.models import Group, Role, User
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


def _role_holders(*, organization: Any, user_ids: Iterable[Any]) -> list[User]:
    """Users of the organization or of one of its ancestors: an ancestor's administrator may hold a role in
    a sub-organization (what ``organization_switch`` tokens act with there)."""
    ids = [parse_uuid(raw) for raw in user_ids]
    if None in ids:
        raise InvalidInput("ROL-60003", _("Invalid user id."), field="users")
    if not ids:
        return []
    users = list(User.objects.filter(pk__in=ids, organization_id__in=organization.ancestor_ids()))
    if len(users) != len(set(ids)):
        raise InvalidInput("ROL-60011", _("One or more users do not exist in this organization."), field="users")
    return users


def _refuse_shared_edit(role: Role) -> None:
    if role.shared_from_id is not None:
        raise Forbidden(
            "ROL-60012",
            _("This role is shared with the organization by an application: only its assignments can change."),
        )


def _follow_origin(role: Role) -> None:
    from apps.applications.services.sharing import shared_roles_follow_origin

    shared_roles_follow_origin(origin=role)


def _role_name(name: Any, *, organization: Any, exclude: Role | None = None, application: Any = None) -> str:
    name = clean_text(name, field="name", max_length=255, code="ROL-60003")
    if not name:
        raise InvalidInput("ROL-60002", _("Role name is required."), field="name")
    if application is None:
        qs = Role.objects.for_org(organization).filter(audience=Role.Audience.ORGANIZATION, name__iexact=name)
    else:
        qs = Role.objects.for_org(organization).filter(audience_application=application, name__iexact=name)
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
    audience_application: Any = None,
) -> Role:
    """An organization role, or with ``audience_application`` a role of that application (which must
    belong to ``organization``; it travels with the application when it is shared)."""
    if audience_application is not None and audience_application.organization_id != organization.pk:
        raise InvalidInput("ROL-60003", _("The application does not belong to this organization."), field="audience")
    role = Role(
        organization=organization,
        name=_role_name(name, organization=organization, application=audience_application),
    )
    if audience_application is not None:
        role.audience, role.audience_application = Role.Audience.APPLICATION, audience_application
    scopes = _scopes_for_org(organization=organization, scope_names=permissions)
    users = _role_holders(organization=organization, user_ids=user_ids)
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
    if role.is_shared and (
        (name is not None and name != role.name)
        or (permissions is not None and set(permissions) != set(role.permissions.values_list("name", flat=True)))
    ):
        _refuse_shared_edit(role)
    if name is not None and not role.is_shared:
        role.name = _role_name(name, organization=org, exclude=role, application=role.audience_application)
    scopes = (
        None if permissions is None or role.is_shared else _scopes_for_org(organization=org, scope_names=permissions)
    )
    users = None if user_ids is None else _role_holders(organization=org, user_ids=user_ids)
    groups = None if group_ids is None else _groups_in_org(organization=org, group_ids=group_ids)
    role.save()
    if scopes is not None:
        role.permissions.set(scopes)
    if users is not None:
        role.users.set(users)
    if groups is not None:
        role.groups.set(groups)
    if name is not None or scopes is not None:
        _follow_origin(role)
    audit_record(actor=actor, action="role.update", target_type="role", target_id=role.id, organization=org)
    emit("role.updated", organization=org, payload={"id": str(role.id), "name": role.name})
    return role


@transaction.atomic
def role_delete(*, actor: Any, role: Role) -> None:
    """Delete a role. A shared copy goes away by unsharing; an origin role that is shared is refused,
    naming the organizations that hold it (their assignments would silently disappear)."""
    _refuse_shared_edit(role)
    from apps.applications.sharing import role_shared_organizations

    holders = role_shared_organizations(role=role)
    if holders:
        raise Conflict(
            "ROL-60013",
            _("The role is shared with organizations: %(orgs)s. Stop sharing it first.")
            % {"orgs": ", ".join(f"{org.name} ({org.handle})" for org in holders[:50])},
        )
    organization, role_id, name = role.organization, str(role.id), role.name
    role.delete()
    audit_record(actor=actor, action="role.delete", target_type="role", target_id=role_id, organization=organization)
    emit("role.deleted", organization=organization, payload={"id": role_id, "name": name})


# --- set-based assignment changes (SCIM PATCH on /v2/Roles) ------------------------------------


@transaction.atomic
def role_assignments_change(
    *,
    actor: Any,
    role: Role,
    add_user_ids: Iterable[Any] = (),
    remove_user_ids: Iterable[Any] = (),
    add_group_ids: Iterable[Any] = (),
    remove_group_ids: Iterable[Any] = (),
    add_permissions: Iterable[Any] = (),
    remove_permissions: Iterable[Any] = (),
) -> Role:
    """Add or remove users, groups and permissions without reading the role's other assignments."""
    from django.utils import timezone

    org = role.organization
    add_permissions, remove_permissions = list(add_permissions), list(remove_permissions)
    if role.is_shared and (add_permissions or remove_permissions):
        _refuse_shared_edit(role)
    users = _role_holders(organization=org, user_ids=add_user_ids)
    groups = _groups_in_org(organization=org, group_ids=add_group_ids)
    scopes = _scopes_for_org(organization=org, scope_names=add_permissions)
    role_users, role_groups, role_scopes = Role.users.through, Role.groups.through, Role.permissions.through
    role_users.objects.bulk_create([role_users(role_id=role.pk, user_id=u.pk) for u in users], ignore_conflicts=True)
    role_groups.objects.bulk_create(
        [role_groups(role_id=role.pk, group_id=g.pk) for g in groups], ignore_conflicts=True
    )
    role_scopes.objects.bulk_create(
        [role_scopes(role_id=role.pk, scope_id=s.pk) for s in scopes], ignore_conflicts=True
    )
    remove_users = [pk for pk in (parse_uuid(raw) for raw in remove_user_ids) if pk is not None]
    remove_groups = [pk for pk in (parse_uuid(raw) for raw in remove_group_ids) if pk is not None]
    remove_scopes = [name for name in remove_permissions if isinstance(name, str)]
    if remove_users:
        role_users.objects.filter(role_id=role.pk, user_id__in=remove_users).delete()
    if remove_groups:
        role_groups.objects.filter(role_id=role.pk, group_id__in=remove_groups).delete()
    if remove_scopes:
        role_scopes.objects.filter(role_id=role.pk, scope__name__in=remove_scopes).delete()
    if scopes or remove_scopes:
        _follow_origin(role)
    role.last_modified = timezone.now()
    Role.objects.filter(pk=role.pk).update(last_modified=role.last_modified)
    audit_record(actor=actor, action="role.update", target_type="role", target_id=role.id, organization=org)
    emit("role.updated", organization=org, payload={"id": str(role.id), "name": role.name})
    return role
