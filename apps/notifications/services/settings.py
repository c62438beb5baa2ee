"""Per-organization OTP and delivery settings, resolved in one place.

The root's values live in its ``NotificationSettings`` row; a sub-organization inherits each value
from the nearest ancestor that overrode it (``apps.orgs.inheritance``, kind ``notifications``).
Providers and templates stay root-only."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from apps.core.audit import audit_record
from apps.core.errors import Forbidden, InvalidInput
from apps.notifications.models import NotificationSettings, PasswordSetupMethod, VerificationMethod
from apps.notifications.templating import locale_normalize
from apps.orgs.inheritance import (
    Kind,
    Resolution,
    inheritance_changed,
    kind_register,
    overrides_delete,
    overrides_save,
    settings_resolve,
)
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


def _fields() -> list[Any]:
    return [f for f in NotificationSettings._meta.concrete_fields if f.name in EDITABLE]


def _defaults() -> dict[str, Any]:
    return {f.name: f.get_default() for f in _fields()}


def _root_values(root_id: Any) -> dict[str, Any]:
    return NotificationSettings.objects.filter(organization_id=root_id).values(*EDITABLE).first() or {}


def notification_settings_resolve(*, organization: Organization) -> Resolution:
    """Effective values and where each comes from."""
    return settings_resolve(organization, NOTIFICATIONS_KIND.name)


def notification_settings_get(*, organization: Organization) -> NotificationSettings:
    """The settings that apply to ``organization`` (unsaved; resolved through inheritance)."""
    values = notification_settings_resolve(organization=organization).values
    return NotificationSettings(organization=root_of(organization), **values)


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
    "max_resends",
    "email_verification_method",
    "email_verification_ttl_seconds",
    "email_verify_on_update",
    "mobile_verify_on_update",
    "ask_password_method",
    "ask_password_ttl_seconds",
    "admin_reset_method",
    "admin_reset_ttl_seconds",
)


NOTIFICATIONS_KIND = kind_register(Kind("notifications", _defaults, _root_values))


@transaction.atomic
def notification_settings_update(*, actor: Any, organization: Organization, **fields: Any) -> NotificationSettings:
    """Change settings: the root's row, or a sub-organization's overrides (same validation)."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise InvalidInput("NTF-60040", _("Unknown setting."), ", ".join(sorted(unknown)))
    if organization.is_root:
        row = NotificationSettings.objects.filter(organization=organization).first()
        row = row or NotificationSettings(organization=organization, **_defaults())
    else:
        row = notification_settings_get(organization=organization)
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
    if row.email_verification_method not in VerificationMethod.values:
        raise InvalidInput(
            "NTF-60045", _("Email verification uses a link or an OTP."), field="email_verification_method"
        )
    for name in ("ask_password_method", "admin_reset_method"):
        if getattr(row, name) not in PasswordSetupMethod.values:
            choices = ", ".join(PasswordSetupMethod.values)
            raise InvalidInput("NTF-60046", _("Choose one of %(c)s.") % {"c": choices}, field=name)
    for name in ("email_verification_ttl_seconds", "ask_password_ttl_seconds", "admin_reset_ttl_seconds"):
        if getattr(row, name) < 60:
            raise InvalidInput("NTF-60044", _("Codes and links must live at least 60 seconds."), field=name)
    row.default_locale = locale_normalize(row.default_locale)
    if not organization.is_root:
        values = {name: getattr(row, name) for name in fields}
        overrides_save(organization=organization, kind=NOTIFICATIONS_KIND.name, values=values)
        audit_record(
            actor=actor,
            action="notification_settings.update",
            target_type="notification_settings",
            target_id=organization.pk,
            organization=organization,
            data=values,
        )
        return notification_settings_get(organization=organization)
    row.save()
    inheritance_changed(organization)
    audit_record(
        actor=actor,
        action="notification_settings.update",
        target_type="notification_settings",
        target_id=row.organization_id,
        organization=row.organization,
        data={name: getattr(row, name) for name in fields},
    )
    return row


@transaction.atomic
def notification_settings_revert(
    *, actor: Any, organization: Organization, names: list[str] | None = None
) -> NotificationSettings:
    """A sub-organization inherits ``names`` (all when None) again."""
    if organization.is_root:
        raise InvalidInput("NTF-60045", _("The root organization has nothing to inherit."))
    unknown = set(names or ()) - set(EDITABLE)
    if unknown:
        raise InvalidInput("NTF-60040", _("Unknown setting."), ", ".join(sorted(unknown)))
    reverted = overrides_delete(organization=organization, kind=NOTIFICATIONS_KIND.name, names=names)
    audit_record(
        actor=actor,
        action="notification_settings.revert",
        target_type="notification_settings",
        target_id=organization.pk,
        organization=organization,
        data={"reverted": reverted},
    )
    return notification_settings_get(organization=organization)
