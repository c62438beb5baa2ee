"""Field rules shared by the user, group and role services."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from apps.core.errors import Conflict, InvalidInput
from apps.core.text import contains_unstorable_text
from apps.users.models import User

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


def clean_text(value: Any, *, field: str, max_length: int, code: str = "UMG-60003") -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(code, _("%(field)s must be text.") % {"field": field}, field=field)
    if contains_unstorable_text(value):
        raise InvalidInput(
            code, _("%(field)s must not contain NUL or surrogate characters.") % {"field": field}, field=field
        )
    value = unicodedata.normalize("NFC", value.strip())
    if len(value) > max_length:
        raise InvalidInput(
            code, _("%(field)s must be at most %(n)d characters.") % {"field": field, "n": max_length}, field=field
        )
    return value


def clean_email(value: Any) -> str:
    value = clean_text(value, field="email", max_length=254)
    if value:
        try:
            validate_email(value)
        except ValidationError as exc:
            raise InvalidInput("UMG-60003", _("Enter a valid email address."), field="email") from exc
    return value


def clean_phone(value: Any) -> str:
    value = clean_text(value, field="phone", max_length=32)
    if value and not _PHONE_RE.match(value):
        raise InvalidInput("UMG-60003", _("Enter a valid phone number, e.g. +94 77 123 4567."), field="phone")
    return value


# NUL and lone UTF-16 surrogates: PostgreSQL (and UTF-8 itself) cannot store them.


def clean_attributes(
    value: Any, *, organization: Any, user: User | None = None, partial: bool = False, system: bool = False
) -> dict[str, Any]:
    """The whole new ``User.attributes``: storable JSON, then every defined attribute checked
    and normalised by ``apps.attributes`` (the one validation path); empty values are dropped."""
    import json

    from apps.attributes.services import validate_user_attributes

    if value is None:
        value = {}
    if not isinstance(value, dict) or not all(isinstance(k, str) and k for k in value):
        raise InvalidInput("UMG-60003", _("Custom attributes must be an object with text keys."), field="attributes")
    if len(json.dumps(value)) > _ATTRIBUTES_MAX_JSON:
        raise InvalidInput("UMG-60003", _("Custom attributes are too large."), field="attributes")
    if contains_unstorable_text(value):
        raise InvalidInput(
            "UMG-60003", _("Custom attributes must not contain NUL or surrogate characters."), field="attributes"
        )
    cleaned = validate_user_attributes(organization, value, user=user, partial=partial, system=system)
    return {key: item for key, item in cleaned.items() if item is not None}


def clean_password(password: Any, *, user: User | None = None) -> str:
    if not isinstance(password, str) or not password:
        raise InvalidInput("UMG-60002", _("Password is required."), field="password")
    if len(password) > 256:
        raise InvalidInput("UMG-60004", _("Password must be at most 256 characters."), field="password")
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise InvalidInput("UMG-60004", " ".join(exc.messages), field="password") from exc
    if user is not None and getattr(user, "organization_id", None):
        from apps.authn.services.policy import password_policy_check  # the organization's password policy

        password_policy_check(user.organization, password, user)
    return password


def check_username_free(*, organization: Any, username: str, exclude: User | None = None) -> None:
    qs = User.objects.for_org(organization).filter(username__iexact=username)
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    if qs.exists():
        raise Conflict("UMG-60009", _("A user with this username already exists."), field="username")


def user_payload(user: User) -> dict[str, Any]:
    return {"id": str(user.id), "username": user.username, "organizationId": str(user.organization_id)}
