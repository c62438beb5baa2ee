"""Reads: the providers, templates and message log of an organization."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from apps.core.ids import parse_uuid
from apps.notifications.models import EmailSender, Message, NotificationTemplate, SmsSender
from apps.notifications.services.settings import root_of
from apps.notifications.services.templates import template_resolve
from apps.notifications.templating import TEMPLATE_TYPES, ResolvedTemplate
from apps.orgs.models import Organization

MESSAGE_STATUS_FILTERS = {
    "queued": (Message.Status.QUEUED, Message.Status.SENDING),
    "sent": (Message.Status.SENT,),
    "failed": (Message.Status.FAILED, Message.Status.DEAD),
    "retrying": (Message.Status.FAILED,),
    "dead": (Message.Status.DEAD,),
}


def email_sender_get(*, organization: Organization, name: str | None = None) -> EmailSender | None:
    if not organization.is_root:
        return None  # a sub-organization neither sees nor edits its root's provider
    found = EmailSender.objects.filter(organization=organization)
    if name is not None:
        found = found.filter(name=name)
    return found.first()


def sms_sender_get(*, organization: Organization, name: str | None = None) -> SmsSender | None:
    if not organization.is_root:
        return None
    found = SmsSender.objects.filter(organization=organization)
    if name is not None:
        found = found.filter(name=name)
    return found.first()


def message_list(*, organization: Organization, status: str = "", channel: str = "") -> QuerySet[Message]:
    """Messages of the organization (a root also sees its sub-organizations' messages)."""
    rows = Message.objects.select_related("organization")
    if organization.is_root:
        rows = rows.filter(organization__path__startswith=organization.path)
    else:
        rows = rows.filter(organization=organization)
    if status:
        rows = rows.filter(status__in=MESSAGE_STATUS_FILTERS[status])
    if channel:
        rows = rows.filter(channel=channel)
    return rows.order_by("-created")


def message_get(*, organization: Organization, message_id: Any) -> Message | None:
    pk = parse_uuid(message_id)
    if pk is None:
        return None
    return message_list(organization=organization).filter(pk=pk).first()


def template_overview(*, organization: Organization) -> list[dict[str, Any]]:
    """Every template type with the locales the organization has customised."""
    custom: dict[str, list[str]] = {}
    for template_type, locale in NotificationTemplate.objects.filter(organization=root_of(organization)).values_list(
        "template_type", "locale"
    ):
        custom.setdefault(template_type, []).append(locale)
    return [{"type": spec, "customLocales": sorted(custom.get(key, []))} for key, spec in TEMPLATE_TYPES.items()]


def template_get(*, organization: Organization, template_type: str, locale: str) -> ResolvedTemplate:
    return template_resolve(organization=organization, template_type=template_type, locale=locale)
