"""Writes to user accounts and the password check."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.audit import actor_fields, audit_record
from apps.core.errors import Conflict, InvalidInput
from apps.core.events import emit
from apps.users.models import User
from apps.users.services.validation import (
    check_username_free,
    clean_attributes,
    clean_email,
    clean_password,
    clean_phone,
    clean_text,
    normalize_username,
    user_payload,
)

# --- users ---------------------------------------------------------------------


def _event_actor(actor: Any) -> dict[str, str]:
    """Who caused an event, for its consumers (webhooks map it to WSO2's initiatorType)."""
    fields = actor_fields(actor)
    return {"actorType": fields["actor_type"], "actorId": fields["actor_id"]}


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
        email=clean_email(email),
        given_name=clean_text(given_name, field="given_name", max_length=150),
        family_name=clean_text(family_name, field="family_name", max_length=150),
        phone=clean_phone(phone),
        attributes=clean_attributes(attributes, organization=organization),
    )
    check_username_free(organization=organization, username=username)
    if password is None:
        user.set_unusable_password()
    else:
        user.password = make_password(clean_password(password, user=user))
    try:
        with transaction.atomic():
            user.save(force_insert=True)
    except IntegrityError as exc:
        raise Conflict("UMG-60009", _("A user with this username already exists."), field="username") from exc
    audit_record(actor=actor, action="user.create", target_type="user", target_id=user.id, organization=organization)
    emit("user.created", organization=organization, payload={**user_payload(user), **_event_actor(actor)})
    return user


@transaction.atomic
def user_update(*, actor: Any, user: User, **changes: Any) -> User:
    """Update profile fields (``USER_EDITABLE_FIELDS`` and ``username``)."""
    unknown = set(changes) - set(USER_EDITABLE_FIELDS) - {"username"}
    if unknown:
        raise InvalidInput("UMG-60001", _("Unknown field: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    user = User.objects.select_for_update().get(pk=user.pk)
    before = {field: getattr(user, field) for field in changes if hasattr(user, field)}
    cleaners = {
        "email": clean_email,
        "given_name": lambda v: clean_text(v, field="given_name", max_length=150),
        "family_name": lambda v: clean_text(v, field="family_name", max_length=150),
        "phone": clean_phone,
        "attributes": lambda v: clean_attributes(v, organization=user.organization, user=user),
    }
    changed = []
    for field, value in changes.items():
        if field == "username":
            value = normalize_username(value)
            check_username_free(organization=user.organization, username=value, exclude=user)
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
        emit(
            "user.updated",
            organization=user.organization,
            payload={
                **user_payload(user),
                **_event_actor(actor),
                "changed": changed,
                "previous": {field: before.get(field) for field in changed},
                "current": {field: getattr(user, field) for field in changed},
            },
        )
    return user


@transaction.atomic
def user_set_password(*, actor: Any, user: User, password: Any, current_password: Any = None) -> None:
    """Set a new password; when ``current_password`` is given (self-service) it must match."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if current_password is not None and not user.check_password(current_password):
        raise InvalidInput("UMG-60005", _("The current password is incorrect."), field="current_password")
    user.password = make_password(clean_password(password, user=user))
    completes_reset = user.state == User.State.PENDING_PASSWORD_RESET
    # An invited user choosing their first password (WSO2: credentialUpdated ADMIN/INVITE).
    completes_invite = user.state == User.State.PENDING_ASK_PASSWORD and getattr(actor, "pk", None) == user.pk
    if user.state in (User.State.PENDING_PASSWORD_RESET, User.State.PENDING_ASK_PASSWORD):
        user.state = User.State.ACTIVE
    user.save(update_fields=["password", "state", "last_modified"])
    audit_record(
        actor=actor, action="user.password.set", target_type="user", target_id=user.id, organization=user.organization
    )
    emit(
        "user.password_updated",
        organization=user.organization,
        payload={
            **user_payload(user),
            **_event_actor(actor),
            "completesReset": completes_reset,
            "completesInvite": completes_invite,
        },
    )


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
        emit(
            "user.state_changed",
            organization=user.organization,
            payload={**user_payload(user), **_event_actor(actor), "state": state, "previousState": previous},
        )
    return user


@transaction.atomic
def user_delete(*, actor: Any, user: User) -> None:
    if actor is not None and getattr(actor, "pk", None) == user.pk:
        raise InvalidInput("UMG-60010", _("You cannot delete your own account here."))
    payload = user_payload(user)
    organization = user.organization
    user.delete()
    audit_record(
        actor=actor, action="user.delete", target_type="user", target_id=payload["id"], organization=organization
    )
    emit("user.deleted", organization=organization, payload={**payload, **_event_actor(actor)})


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
