"""Organization "login & registration" settings, resolved through one function."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from apps.authn.models import LoginSettings
from apps.core.audit import audit_record
from apps.core.errors import InvalidInput

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


def login_settings_for(organization: Any) -> LoginSettings:
    """The settings that apply to ``organization``: its own row, else the defaults (unsaved).

    This is the one place settings are resolved; inheritance from parent organizations goes here."""
    row = LoginSettings.objects.filter(organization_id=organization.pk).first()
    return row if row is not None else LoginSettings(organization_id=organization.pk)


@transaction.atomic
def login_settings_update(*, actor: Any, organization: Any, **fields: Any) -> LoginSettings:
    """Change some settings of ``organization``; unknown fields and out-of-range values are refused."""
    row = LoginSettings.objects.select_for_update().filter(organization_id=organization.pk).first()
    row = row or LoginSettings(organization_id=organization.pk)
    changed: dict[str, Any] = {}
    for name, value in fields.items():
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
        if getattr(row, name) != value:
            changed[name] = value
        setattr(row, name, value)
    if row.password_min_length > row.password_max_length:
        raise InvalidInput(
            "ALS-60004", _("The minimum password length exceeds the maximum."), field="password_min_length"
        )
    row.save()
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
