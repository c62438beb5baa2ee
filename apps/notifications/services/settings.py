"""Per-organization OTP and delivery settings, resolved in one place (later: inheritance)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from apps.core.audit import audit_record
from apps.core.errors import Forbidden, InvalidInput
from apps.notifications.models import NotificationSettings
from apps.notifications.templating import locale_normalize
from apps.orgs.models import Organization

OTP_LENGTH_RANGE = (4, 10)
DIGITS = "0123456789"
UPPERCASE = "ABCDEFGHJKLMNPRSTUVWXYZ"  # WSO2's alphabets: no ambiguous glyphs
LOWERCASE = "abcdefghjkmnpqrstuvwxyz"


def root_of(organization: Organization) -> Organization:
    return organization if organization.is_root else organization.root


def require_root(organization: Organization) -> Organization:
    """Providers, templates and settings are configured on the root organization only."""
    if not organization.is_root:
        raise Forbidden(
            "NTF-60100",
            _("Notification settings belong to the root organization."),
            _("Configure providers, templates and OTP settings in the root organization."),
        )
    return organization


def notification_settings_get(*, organization: Organization) -> NotificationSettings:
    """The settings that apply to ``organization`` (its root's row, or the defaults)."""
    root = root_of(organization)
    found = NotificationSettings.objects.filter(organization=root).first()
    return found if found is not None else NotificationSettings(organization=root)


def otp_charset(settings_row: NotificationSettings) -> str:
    charset = ""
    if settings_row.otp_use_uppercase:
        charset += UPPERCASE
    if settings_row.otp_use_lowercase:
        charset += LOWERCASE
    if settings_row.otp_use_digits:
        charset += DIGITS
    return charset or DIGITS


EDITABLE = (
    "otp_length",
    "otp_use_digits",
    "otp_use_uppercase",
    "otp_use_lowercase",
    "otp_ttl_seconds",
    "otp_max_attempts",
    "otp_resend_cooldown_seconds",
    "link_ttl_seconds",
    "default_locale",
)


@transaction.atomic
def notification_settings_update(*, actor: Any, organization: Organization, **fields: Any) -> NotificationSettings:
    row = notification_settings_get(organization=require_root(organization))
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise InvalidInput("NTF-60040", _("Unknown setting."), ", ".join(sorted(unknown)))
    for name, value in fields.items():
        setattr(row, name, value)
    low, high = OTP_LENGTH_RANGE
    if not low <= row.otp_length <= high:
        raise InvalidInput(
            "NTF-60041", _("OTP length must be between %(a)d and %(b)d.") % {"a": low, "b": high}, field="otp_length"
        )
    if not (row.otp_use_digits or row.otp_use_uppercase or row.otp_use_lowercase):
        raise InvalidInput("NTF-60042", _("Choose at least one OTP character set."), field="otp_use_digits")
    if row.otp_max_attempts < 1:
        raise InvalidInput("NTF-60043", _("At least one attempt must be allowed."), field="otp_max_attempts")
    if row.otp_ttl_seconds < 30 or row.link_ttl_seconds < 60:
        raise InvalidInput("NTF-60044", _("Codes and links must live at least 30/60 seconds."), field="otp_ttl_seconds")
    row.default_locale = locale_normalize(row.default_locale)
    row.save()
    audit_record(
        actor=actor,
        action="notification_settings.update",
        target_type="notification_settings",
        target_id=row.organization_id,
        organization=row.organization,
        data={name: getattr(row, name) for name in fields},
    )
    return row
