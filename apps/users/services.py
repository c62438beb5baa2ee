"""Every write to users, groups and roles, and password checks.

Rules that live here and nowhere else:

* usernames are NFC-normalised, 1-150 characters, no whitespace or control
  characters, and unique per organization ignoring case;
* passwords pass Django's validators and are hashed with Argon2id;
* an id passed in (group members, role permissions, ...) must belong to the
  same organization, or the whole change is refused.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.applications.models import APIResource, Scope
from apps.core.audit import audit_record
from apps.core.errors import Conflict, InvalidInput, NotFound
from apps.core.events import emit
from apps.core.ids import parse_uuid
from apps.users.models import Group, Role, User

_PHONE_RE = re.compile(r"^\+?[0-9][0-9 ()-]{2,30}$")
_ATTRIBUTES_MAX_JSON = 16_384


# --- validation helpers ------------------------------------------------------


def normalize_username(username: Any) -> str:
    if not isinstance(username, str):
        raise InvalidInput("UMG-60002", _("Username is required."), field="username")
    value = unicodedata.normalize("NFC", username.strip())
    if not value:
        raise InvalidInput("UMG-60002", _("Username is required."), field="username")
    if len(value) > 150:
        raise InvalidInput("UMG-60003", _("Username must be at most 150 characters."), field="username")
    if any(ch.isspace() or unicodedata.category(ch).startswith("C") for ch in value):
        raise InvalidInput("UMG-60003", _("Username must not contain spaces or control characters."), field="username")
    return value


def _text(value: Any, *, field: str, max_length: int, code: str = "UMG-60003") -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(code, _("%(field)s must be text.") % {"field": field}, field=field)
    value = unicodedata.normalize("NFC", value.strip())
    if len(value) > max_length:
        raise InvalidInput(
            code, _("%(field)s must be at most %(n)d characters.") % {"field": field, "n": max_length}, field=field
        )
    return value


def _email(value: Any) -> str:
    value = _text(value, field="email", max_length=254)
    if value:
        try:
            validate_email(value)
        except ValidationError as exc:
            raise InvalidInput("UMG-60003", _("Enter a valid email address."), field="email") from exc
    return value


def _phone(value: Any) -> str:
    value = _text(value, field="phone", max_length=32)
    if value and not _PHONE_RE.match(value):
        raise InvalidInput("UMG-60003", _("Enter a valid phone number, e.g. +94 77 123 4567."), field="phone")
    return value


# NUL and lone UTF-16 surrogates: PostgreSQL (and UTF-8 itself) cannot store them.
_UNSTORABLE_RE = re.compile("[\x00\ud800-\udfff]")


def _contains_unstorable_text(value: Any) -> bool:
    if isinstance(value, str):
        return _UNSTORABLE_RE.search(value) is not None
    if isinstance(value, dict):
        return any(_contains_unstorable_text(k) or _contains_unstorable_text(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_contains_unstorable_text(v) for v in value)
    return False


def _attributes(value: Any) -> dict[str, Any]:
    import json

    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) and k for k in value):
        raise InvalidInput("UMG-60003", _("Custom attributes must be an object with text keys."), field="attributes")
    if len(json.dumps(value)) > _ATTRIBUTES_MAX_JSON:
        raise InvalidInput("UMG-60003", _("Custom attributes are too large."), field="attributes")
    if _contains_unstorable_text(value):
        raise InvalidInput(
            "UMG-60003", _("Custom attributes must not contain NUL or surrogate characters."), field="attributes"
        )
    return value


def _password(password: Any, *, user: User | None = None) -> str:
    if not isinstance(password, str) or not password:
        raise InvalidInput("UMG-60002", _("Password is required."), field="password")
    if len(password) > 256:
        raise InvalidInput("UMG-60004", _("Password must be at most 256 characters."), field="password")
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise InvalidInput("UMG-60004", " ".join(exc.messages), field="password") from exc
    return password


def _check_username_free(*, organization: Any, username: str, exclude: User | None = None) -> None:
    qs = User.objects.for_org(organization).filter(username__iexact=username)
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    if qs.exists():
        raise Conflict("UMG-60009", _("A user with this username already exists."), field="username")


def _user_payload(user: User) -> dict[str, Any]:
    return {"id": str(user.id), "username": user.username, "organizationId": str(user.organization_id)}


# --- users ---------------------------------------------------------------------


USER_EDITABLE_FIELDS = ("email", "given_name", "family_name", "phone", "attributes")


@transaction.atomic
def user_create(
    *,
    actor: Any,
    organization: Any,
    username: Any,
    password: Any = None,
    email: Any = "",
    given_name: Any = "",
    family_name: Any = "",
    phone: Any = "",
    attributes: Any = None,
    kind: str = User.Kind.USER,
) -> User:
    username = normalize_username(username)
    if kind not in User.Kind.values:
        raise InvalidInput("UMG-60003", _("Kind must be user or agent."), field="kind")
    user = User(
        organization=organization,
        username=username,
        kind=kind,
        email=_email(email),
        given_name=_text(given_name, field="given_name", max_length=150),
        family_name=_text(family_name, field="family_name", max_length=150),
        phone=_phone(phone),
        attributes=_attributes(attributes),
    )
    _check_username_free(organization=organization, username=username)
    if password is None:
        user.set_unusable_password()
    else:
        user.password = make_password(_password(password, user=user))
    try:
        with transaction.atomic():
            user.save(force_insert=True)
    except IntegrityError as exc:
        raise Conflict("UMG-60009", _("A user with this username already exists."), field="username") from exc
    audit_record(actor=actor, action="user.create", target_type="user", target_id=user.id, organization=organization)
    emit("user.created", organization=organization, payload=_user_payload(user))
    return user


@transaction.atomic
def user_update(*, actor: Any, user: User, **changes: Any) -> User:
    """Update profile fields (``USER_EDITABLE_FIELDS`` and ``username``)."""
    unknown = set(changes) - set(USER_EDITABLE_FIELDS) - {"username"}
    if unknown:
        raise InvalidInput("UMG-60001", _("Unknown field: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    user = User.objects.select_for_update().get(pk=user.pk)
    cleaners = {
        "email": _email,
        "given_name": lambda v: _text(v, field="given_name", max_length=150),
        "family_name": lambda v: _text(v, field="family_name", max_length=150),
        "phone": _phone,
        "attributes": _attributes,
    }
    changed = []
    for field, value in changes.items():
        if field == "username":
            value = normalize_username(value)
            _check_username_free(organization=user.organization, username=value, exclude=user)
        else:
            value = cleaners[field](value)
        if getattr(user, field) != value:
            setattr(user, field, value)
            changed.append(field)
    if changed:
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError as exc:
            raise Conflict("UMG-60009", _("A user with this username already exists."), field="username") from exc
        audit_record(
            actor=actor,
            action="user.update",
            target_type="user",
            target_id=user.id,
            organization=user.organization,
            data={"fields": sorted(changed)},
        )
        emit("user.updated", organization=user.organization, payload={**_user_payload(user), "changed": changed})
    return user


@transaction.atomic
def user_set_password(*, actor: Any, user: User, password: Any, current_password: Any = None) -> None:
    """Set a new password; when ``current_password`` is given (self-service) it must match."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if current_password is not None and not user.check_password(current_password):
        raise InvalidInput("UMG-60005", _("The current password is incorrect."), field="current_password")
    user.password = make_password(_password(password, user=user))
    if user.state == User.State.PENDING_PASSWORD_RESET:
        user.state = User.State.ACTIVE
    user.save(update_fields=["password", "state", "last_modified"])
    audit_record(
        actor=actor, action="user.password.set", target_type="user", target_id=user.id, organization=user.organization
    )
    emit("user.password_updated", organization=user.organization, payload=_user_payload(user))


@transaction.atomic
def user_set_state(*, actor: Any, user: User, state: str, lock_minutes: int | None = None) -> User:
    """Lock, unlock, disable or enable an account."""
    if state not in User.State.values:
        raise InvalidInput("UMG-60003", _("Unknown account state."), field="state")
    if state != User.State.ACTIVE and getattr(actor, "pk", None) == user.pk:
        # An administrator locking or disabling themselves is never what was meant.
        raise InvalidInput("UMG-60010", _("You cannot lock or disable your own account."), field="state")
    user = User.objects.select_for_update().get(pk=user.pk)
    previous = user.state
    user.state = state
    user.locked_until = (
        timezone.now() + timedelta(minutes=lock_minutes) if state == User.State.LOCKED and lock_minutes else None
    )
    user.save(update_fields=["state", "locked_until", "last_modified"])
    if previous != state:
        audit_record(
            actor=actor,
            action=f"user.state.{state}",
            target_type="user",
            target_id=user.id,
            organization=user.organization,
            data={"from": previous, "to": state},
        )
        emit("user.state_changed", organization=user.organization, payload={**_user_payload(user), "state": state})
    return user


@transaction.atomic
def user_delete(*, actor: Any, user: User) -> None:
    if actor is not None and getattr(actor, "pk", None) == user.pk:
        raise InvalidInput("UMG-60010", _("You cannot delete your own account here."))
    payload = _user_payload(user)
    organization = user.organization
    user.delete()
    audit_record(
        actor=actor, action="user.delete", target_type="user", target_id=payload["id"], organization=organization
    )
    emit("user.deleted", organization=organization, payload=payload)


_DUMMY_HASH: list[str] = []


def user_check_password(*, organization: Any, username: str, password: str) -> User | None:
    """The user if the credentials are valid and the account may sign in, else None.

    Runs the hasher even for unknown usernames so timing does not reveal
    whether an account exists. A lock with an expiry lifts itself."""
    try:
        username = normalize_username(username)
    except InvalidInput:
        username = ""
    user = (
        User.objects.select_related("organization")
        .filter(organization_id=organization.pk, username__iexact=username)
        .first()
        if username
        else None
    )
    if user is None:
        if not _DUMMY_HASH:
            _DUMMY_HASH.append(make_password("dummy-password-for-timing"))
        from django.contrib.auth.hashers import check_password

        check_password(password, _DUMMY_HASH[0])
        return None
    if not user.check_password(password):
        return None
    if user.state == User.State.LOCKED and user.locked_until and user.locked_until <= timezone.now():
        user = user_set_state(actor=None, user=user, state=User.State.ACTIVE)
    if not user.is_active or not user.organization.is_active:
        return None
    return user


# --- groups ----------------------------------------------------------------------


def _users_in_org(*, organization: Any, user_ids: Iterable[Any], prefix: str, field: str) -> list[User]:
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
    name = _text(name, field="name", max_length=255, code="GRP-60003")
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
        description=_text(description, field="description", max_length=1024, code="GRP-60003"),
    )
    members = _users_in_org(organization=organization, user_ids=member_ids, prefix="GRP", field="members")
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
        group.description = _text(description, field="description", max_length=1024, code="GRP-60003")
    members = (
        None
        if member_ids is None
        else _users_in_org(organization=group.organization, user_ids=member_ids, prefix="GRP", field="members")
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
    name = _text(name, field="name", max_length=255, code="ROL-60003")
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
    users = _users_in_org(organization=organization, user_ids=user_ids, prefix="ROL", field="users")
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
    users = (
        None if user_ids is None else _users_in_org(organization=org, user_ids=user_ids, prefix="ROL", field="users")
    )
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


def get_or_404(value: Any, message: str, code: str) -> Any:
    if value is None:
        raise NotFound(code, message)
    return value
