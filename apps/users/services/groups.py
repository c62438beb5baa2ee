"""Writes to groups."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from apps.core.audit import audit_record
from apps.core.errors import Conflict, InvalidInput
from apps.core.events import emit
from apps.core.ids import parse_uuid
from apps.users.models import Group, User
from apps.users.services.validation import clean_text

# --- groups ----------------------------------------------------------------------


def users_in_org(*, organization: Any, user_ids: Iterable[Any], prefix: str, field: str) -> list[User]:
    """The users of ``organization`` with these ids; any other id refuses the whole change.

    ``prefix`` and ``field`` name the API (``GRP``/``ROL``) and the body field the ids came in."""
    ids = []
    for raw in user_ids:
        pk = parse_uuid(raw)
        if pk is None:
            raise InvalidInput(f"{prefix}-60003", _("Invalid user id: %(id)s.") % {"id": raw}, field=field)
        ids.append(pk)
    users = list(User.objects.for_org(organization).filter(pk__in=ids))
    if len(users) != len(set(ids)):
        raise InvalidInput(f"{prefix}-60011", _("One or more users do not exist in this organization."), field=field)
    return users


def _group_name(name: Any, *, organization: Any, exclude: Group | None = None) -> str:
    name = clean_text(name, field="name", max_length=255, code="GRP-60003")
    if not name:
        raise InvalidInput("GRP-60002", _("Group name is required."), field="name")
    qs = Group.objects.for_org(organization).filter(name__iexact=name)
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    if qs.exists():
        raise Conflict("GRP-60009", _("A group with this name already exists."), field="name")
    return name


@transaction.atomic
def group_create(
    *, actor: Any, organization: Any, name: Any, description: Any = "", member_ids: Iterable[Any] = ()
) -> Group:
    group = Group(
        organization=organization,
        name=_group_name(name, organization=organization),
        description=clean_text(description, field="description", max_length=1024, code="GRP-60003"),
    )
    members = users_in_org(organization=organization, user_ids=member_ids, prefix="GRP", field="members")
    group.save(force_insert=True)
    group.members.set(members)
    audit_record(actor=actor, action="group.create", target_type="group", target_id=group.id, organization=organization)
    emit("group.created", organization=organization, payload={"id": str(group.id), "name": group.name})
    return group


@transaction.atomic
def group_update(
    *, actor: Any, group: Group, name: Any = None, description: Any = None, member_ids: Iterable[Any] | None = None
) -> Group:
    group = Group.objects.select_for_update().get(pk=group.pk)
    if name is not None:
        group.name = _group_name(name, organization=group.organization, exclude=group)
    if description is not None:
        group.description = clean_text(description, field="description", max_length=1024, code="GRP-60003")
    members = (
        None
        if member_ids is None
        else users_in_org(organization=group.organization, user_ids=member_ids, prefix="GRP", field="members")
    )
    group.save()
    if members is not None:
        group.members.set(members)
    audit_record(
        actor=actor, action="group.update", target_type="group", target_id=group.id, organization=group.organization
    )
    emit("group.updated", organization=group.organization, payload={"id": str(group.id), "name": group.name})
    return group


@transaction.atomic
def group_delete(*, actor: Any, group: Group) -> None:
    organization, group_id, name = group.organization, str(group.id), group.name
    group.delete()
    audit_record(actor=actor, action="group.delete", target_type="group", target_id=group_id, organization=organization)
    emit("group.deleted", organization=organization, payload={"id": group_id, "name": name})


# --- set-based membership changes (SCIM PATCH; cost independent of the group's size) ---------


def _touch_group(group: Group) -> Group:
    from django.utils import timezone

    now = timezone.now()
    Group.objects.filter(pk=group.pk).update(last_modified=now)
    group.last_modified = now
    return group


@transaction.atomic
def group_members_add(*, actor: Any, group: Group, user_ids: Iterable[Any]) -> Group:
    """Add users to ``group`` without reading its other members; already-members are ignored."""
    users = users_in_org(organization=group.organization, user_ids=user_ids, prefix="GRP", field="members")
    through = Group.members.through
    through.objects.bulk_create([through(group_id=group.pk, user_id=user.pk) for user in users], ignore_conflicts=True)
    _touch_group(group)
    audit_record(
        actor=actor,
        action="group.members.add",
        target_type="group",
        target_id=group.id,
        organization=group.organization,
        data={"users": [str(u.pk) for u in users]},
    )
    emit(
        "group.updated",
        organization=group.organization,
        payload={"id": str(group.id), "name": group.name, "membersAdded": [str(u.pk) for u in users]},
    )
    return group


@transaction.atomic
def group_members_remove(*, actor: Any, group: Group, user_ids: Iterable[Any]) -> Group:
    """Remove users from ``group`` (ids that are not members are ignored)."""
    ids = [pk for pk in (parse_uuid(raw) for raw in user_ids) if pk is not None]
    Group.members.through.objects.filter(group_id=group.pk, user_id__in=ids).delete()
    _touch_group(group)
    audit_record(
        actor=actor,
        action="group.members.remove",
        target_type="group",
        target_id=group.id,
        organization=group.organization,
        data={"users": [str(pk) for pk in ids]},
    )
    emit(
        "group.updated",
        organization=group.organization,
        payload={"id": str(group.id), "name": group.name, "membersRemoved": [str(pk) for pk in ids]},
    )
    return group
