"""``notification_send``: render, store and queue a message; the worker sends it."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.audit import audit_record
from apps.core.errors import InvalidInput
from apps.core.events import emit
from apps.notifications.models import Message
from apps.notifications.secrets import seal_secret
from apps.notifications.services.templates import template_resolve
from apps.notifications.templating import SECRET_PLACEHOLDERS, message_render, template_type_get
from apps.orgs.models import Organization

MESSAGE_QUEUED = "notification.message_queued"
MOBILE_RE = re.compile(r"^\+?[0-9]{6,15}$")
REDACTED = "••••••"


def recipient_normalize(channel: str, recipient: str) -> str:
    value = (recipient or "").strip()
    if channel == Message.Channel.EMAIL:
        try:
            validate_email(value)
        except ValidationError as exc:
            raise InvalidInput("NTF-60050", _("Invalid email recipient."), value, field="recipient") from exc
        return value
    compact = re.sub(r"[\s().-]", "", value)
    if not MOBILE_RE.match(compact):
        raise InvalidInput("NTF-60051", _("Invalid mobile number."), value, field="recipient")
    return compact


def payload_context(message_id: object) -> str:
    return f"message:{message_id}"


@transaction.atomic
def notification_send(
    *,
    organization: Organization,
    channel: str,
    template_type: str,
    recipient: str,
    context: dict[str, Any],
    locale: str | None = None,
    expires_at: datetime | None = None,
) -> Message:
    """Render ``template_type`` for ``recipient`` and queue it; returns the stored message.

    Context values named ``otp`` or ``link`` are masked in what the Console shows; the real text
    is sealed until the message is sent. ``organization_name`` defaults to the organization's name.
    With ``expires_at`` (the code's or link's expiry) a message still undelivered by then is given up."""
    spec = template_type_get(template_type)
    if spec.channel != channel:
        raise InvalidInput(
            "NTF-60052", _("This template is for %(c)s messages.") % {"c": spec.channel}, field="channel"
        )
    recipient = recipient_normalize(channel, recipient)
    values = {"organization_name": organization.name, "user_name": "", **context}
    template = template_resolve(organization=organization, template_type=template_type, locale=locale)
    real = message_render(template, values)
    shown = message_render(template, {**values, **{k: REDACTED for k in SECRET_PLACEHOLDERS if k in values}})
    message = Message(
        organization=organization,
        channel=channel,
        recipient=recipient,
        template_type=template_type,
        locale=template.locale,
        subject=shown.subject,
        body_redacted=shown.body_text,
        max_attempts=settings.IAM_NOTIFICATION_MAX_ATTEMPTS,
        expires_at=expires_at,
    )
    message.payload_sealed = seal_secret(
        json.dumps({"subject": real.subject, "html": real.body_html, "text": real.body_text}),
        context=payload_context(message.id),
    )
    message.save()
    emit(
        MESSAGE_QUEUED,
        organization=organization,
        payload={"message_id": str(message.id), "channel": channel, "template_type": template_type},
    )
    return message


def test_email_send(*, actor: Any, organization: Organization, to: str) -> Message:
    """Queue the ``test`` template to ``to`` through the configured email provider."""
    with transaction.atomic():
        message = notification_send(
            organization=organization, channel=Message.Channel.EMAIL, template_type="test", recipient=to, context={}
        )
        audit_record(
            actor=actor,
            action="email_sender.test",
            target_type="message",
            target_id=message.pk,
            organization=organization,
        )
    return message


@transaction.atomic
def message_retry_now(*, actor: Any, message: Message) -> Message:
    """Send a failed (or given-up) message again now, with a fresh round of attempts."""
    if message.status not in {Message.Status.FAILED, Message.Status.DEAD}:
        raise InvalidInput("NTF-60053", _("Only failed messages can be retried."), message.status)
    Message.objects.filter(pk=message.pk).update(
        status=Message.Status.QUEUED,
        next_attempt_at=timezone.now(),
        max_attempts=message.attempts + settings.IAM_NOTIFICATION_MAX_ATTEMPTS,
    )
    emit(MESSAGE_QUEUED, organization=message.organization, payload={"message_id": str(message.id), "retry": True})
    audit_record(
        actor=actor,
        action="message.retry",
        target_type="message",
        target_id=message.pk,
        organization=message.organization,
    )
    message.refresh_from_db()
    return message
