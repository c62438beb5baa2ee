"""Organization "login & registration" settings, resolved through one function.

Sub-organizations inherit each value from the nearest ancestor that set it (``apps.orgs.inheritance``,
kind ``login``); the root's own values live in its ``LoginSettings`` row."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from apps.authn.models import LoginSettings
from apps.core.audit import audit_record
from apps.core.errors import InvalidInput
from apps.orgs.inheritance import (
    Kind,
    Resolution,
    inheritance_changed,
    kind_register,
    overrides_delete,
    overrides_save,
    settings_resolve,
)

# field -> (minimum, maximum) accepted by ``login_settings_update``
SETTING_RANGES: dict[str, tuple[int, int]] = {
    "lockout_max_failures": (1, 100),
    "lockout_minutes": (1, 60 * 24 * 30),
    "lockout_factor": (1, 10),
    "password_min_length": (1, 256),
    "password_max_length": (1, 256),
    "password_min_upper": (0, 64),
    "password_min_lower": (0, 64),
    "password_min_digits": (0, 64),
    "password_min_special": (0, 64),
    "password_history_count": (0, 50),
    "password_expiry_days": (0, 3650),
    "session_hours": (1, 24 * 30),
    "remember_me_days": (1, 365),
}
BOOLEAN_SETTINGS = ("lockout_enabled", "notify_on_lock")


def _setting_fields() -> list[Any]:
    skip = {"id", "organization", "updated"}
    return [f for f in LoginSettings._meta.concrete_fields if f.name not in skip]


def _defaults() -> dict[str, Any]:
    return {f.name: f.get_default() for f in _setting_fields()}


def _root_values(root_id: Any) -> dict[str, Any]:
    """The root keeps its values in its ``LoginSettings`` row (every field is its own)."""
    names = [f.name for f in _setting_fields()]
    row = LoginSettings.objects.filter(organization_id=root_id).values(*names).first()
    return row or {}


# WSO2: the idle session timeout and the remember-me period are always the root's.
ROOT_ONLY = frozenset({"session_hours", "remember_me_days"})
LOGIN_KIND = kind_register(Kind("login", _defaults, _root_values, root_only=ROOT_ONLY))


def login_settings_resolve(organization: Any) -> Resolution:
    """Effective values and their sources (``apps.orgs.inheritance``)."""
    return settings_resolve(organization, LOGIN_KIND.name)


def login_settings_for(organization: Any) -> LoginSettings:
    """The settings that apply to ``organization`` (unsaved): for each field its own value, else the
    nearest ancestor's, else the default. This is the one place settings are resolved."""
    return LoginSettings(organization_id=organization.pk, **login_settings_resolve(organization).values)


def _check(name: str, value: Any) -> None:
    if name in BOOLEAN_SETTINGS:
        if not isinstance(value, bool):
            raise InvalidInput("ALS-60001", _("%(f)s must be true or false.") % {"f": name}, field=name)
    elif name in SETTING_RANGES:
        low, high = SETTING_RANGES[name]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            message = _("%(f)s must be a whole number from %(a)d to %(b)d.") % {"f": name, "a": low, "b": high}
            raise InvalidInput("ALS-60002", message, field=name)
    else:
        raise InvalidInput("ALS-60003", _("Unknown setting %(f)s.") % {"f": name}, field=name)


def _check_lengths(minimum: int, maximum: int) -> None:
    if minimum > maximum:
        raise InvalidInput(
            "ALS-60004", _("The minimum password length exceeds the maximum."), field="password_min_length"
        )


@transaction.atomic
def _override(*, actor: Any, organization: Any, fields: dict[str, Any]) -> LoginSettings:
    """A sub-organization's values become its own: same rules as the root, plus the root-only ones."""
    for name, value in fields.items():
        _check(name, value)
        if name in ROOT_ONLY:
            raise InvalidInput(
                "ALS-60005",
                _("%(f)s is always inherited from the root organization.") % {"f": name},
                field=name,
            )
    effective = {**login_settings_resolve(organization).values, **fields}
    _check_lengths(effective["password_min_length"], effective["password_max_length"])
    overrides_save(organization=organization, kind=LOGIN_KIND.name, values=fields)
    if fields:
        audit_record(
            actor=actor,
            action="login_settings.update",
            target_type="organization",
            target_id=organization.pk,
            organization=organization,
            data=fields,
        )
    return login_settings_for(organization)


@transaction.atomic
def login_settings_revert(*, actor: Any, organization: Any, names: list[str] | None = None) -> LoginSettings:
    """Forget ``organization``'s own values of ``names`` (all when None): a sub-organization inherits
    them again; the root goes back to the system defaults. Unknown names are refused."""
    known = set(_defaults())
    for name in names or ():
        if name not in known:
            raise InvalidInput("ALS-60003", _("Unknown setting %(f)s.") % {"f": name}, field=name)
    if organization.is_root:
        reverted = sorted(names or known)
        row = LoginSettings.objects.select_for_update().filter(organization_id=organization.pk).first()
        if row is not None:
            defaults = _defaults()
            for name in reverted:
                setattr(row, name, defaults[name])
            row.save()
        inheritance_changed(organization)
    else:
        reverted = overrides_delete(organization=organization, kind=LOGIN_KIND.name, names=names)
    # Reverting one bound alone could leave min > max: the effective pair must still hold.
    effective = login_settings_resolve(organization).values
    _check_lengths(effective["password_min_length"], effective["password_max_length"])
    audit_record(
        actor=actor,
        action="login_settings.revert",
        target_type="organization",
        target_id=organization.pk,
        organization=organization,
        data={"reverted": reverted},
    )
    return login_settings_for(organization)


@transaction.atomic
def login_settings_update(*, actor: Any, organization: Any, **fields: Any) -> LoginSettings:
    """Change some settings of ``organization``; unknown fields and out-of-range values are refused.

    In a sub-organization the values become its overrides (``login_settings_revert`` undoes them)."""
    if not organization.is_root:
        return _override(actor=actor, organization=organization, fields=dict(fields))
    row = LoginSettings.objects.select_for_update().filter(organization_id=organization.pk).first()
    row = row or LoginSettings(organization_id=organization.pk)
    changed: dict[str, Any] = {}
    for name, value in fields.items():
        _check(name, value)
        if getattr(row, name) != value:
            changed[name] = value
        setattr(row, name, value)
    _check_lengths(row.password_min_length, row.password_max_length)
    row.save()
    inheritance_changed(organization)
    if changed:
        audit_record(
            actor=actor,
            action="login_settings.update",
            target_type="organization",
            target_id=organization.pk,
            organization=organization,
            data=changed,
        )
    return row
