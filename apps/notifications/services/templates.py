"""Template overrides per root organization, type and locale, over the shipped defaults."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from apps.core.audit import audit_record
from apps.core.errors import InvalidInput, NotFound
from apps.notifications.models import NotificationTemplate
from apps.notifications.services.settings import notification_settings_get, require_root, root_of
from apps.notifications.templating import (
    ResolvedTemplate,
    locale_candidates,
    locale_normalize,
    shipped_defaults,
    template_type_get,
    template_validate,
)
from apps.orgs.models import Organization


def template_resolve(*, organization: Organization, template_type: str, locale: str | None = None) -> ResolvedTemplate:
    """The template to use: an override or shipped default, walking the locale fallback chain."""
    template_type_get(template_type)
    root = root_of(organization)
    default_locale = notification_settings_get(organization=root).default_locale
    candidates = locale_candidates(locale_normalize(locale) if locale else None, default_locale)
    overrides = {
        row.locale: row
        for row in NotificationTemplate.objects.filter(
            organization=root, template_type=template_type, locale__in=candidates
        )
    }
    for candidate in candidates:
        row = overrides.get(candidate)
        if row is not None:
            return ResolvedTemplate(template_type, candidate, row.subject, row.body_html, row.body_text, True)
        shipped = shipped_defaults(candidate).get(template_type)
        if shipped is not None:
            return ResolvedTemplate(
                template_type, candidate, shipped["subject"], shipped["body_html"], shipped["body_text"], False
            )
    raise NotFound("NTF-60036", _("No template found."), template_type)  # the shipped "en" always has it


@transaction.atomic
def template_save(
    *,
    actor: Any,
    organization: Organization,
    template_type: str,
    locale: str,
    subject: str = "",
    body_html: str = "",
    body_text: str,
) -> NotificationTemplate:
    """Create or replace the override; every field is validated against the type's placeholders."""
    spec = template_type_get(template_type)
    locale = locale_normalize(locale)
    if not (body_text or "").strip():
        raise InvalidInput("NTF-60037", _("The body is required."), field="body")
    if spec.channel == "email" and not (subject or "").strip():
        raise InvalidInput("NTF-60037", _("The subject is required."), field="subject")
    if spec.channel == "sms" and (subject or body_html):
        raise InvalidInput("NTF-60038", _("SMS templates have only a body."), field="subject")
    for field, text in (("subject", subject), ("bodyHtml", body_html), ("body", body_text)):
        template_validate(text or "", placeholders=spec.placeholders, field=field)
    root = require_root(organization)
    row, created = NotificationTemplate.objects.update_or_create(
        organization=root,
        template_type=template_type,
        locale=locale,
        defaults={"subject": subject or "", "body_html": body_html or "", "body_text": body_text},
    )
    audit_record(
        actor=actor,
        action="notification_template.create" if created else "notification_template.update",
        target_type="notification_template",
        target_id=f"{template_type}/{locale}",
        organization=root,
    )
    return row


@transaction.atomic
def template_reset(*, actor: Any, organization: Organization, template_type: str, locale: str) -> None:
    """Remove the override so the shipped default applies again."""
    template_type_get(template_type)
    locale = locale_normalize(locale)
    root = require_root(organization)
    deleted, _rows = NotificationTemplate.objects.filter(
        organization=root, template_type=template_type, locale=locale
    ).delete()
    if not deleted:
        raise NotFound("NTF-60039", _("No custom template for this type and locale."), f"{template_type}/{locale}")
    audit_record(
        actor=actor,
        action="notification_template.delete",
        target_type="notification_template",
        target_id=f"{template_type}/{locale}",
        organization=root,
    )
