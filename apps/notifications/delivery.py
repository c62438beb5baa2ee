"""Delivery of queued messages on the worker: claim, send, record the outcome, back off.

A message is claimed with a conditional UPDATE (``queued``/``failed`` and due -> ``sending``), so
the on-commit task, a retry and the beat sweep never send it twice concurrently. Failures keep the
message with its reason and the next attempt time (exponential backoff); after ``max_attempts``
it is ``dead`` (an admin may retry it). A worker that dies mid-send leaves ``sending``; the sweep
hands such messages back after ``IAM_NOTIFICATION_SENDING_STALE_SECONDS``. Delivery is therefore
at-least-once, like the outbox."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.core.models import OutboxEvent
from apps.notifications.models import EmailSender, LinkToken, Message, OneTimeCode, SmsSender
from apps.notifications.secrets import open_secret
from apps.notifications.services.messages import MESSAGE_QUEUED, payload_context
from apps.notifications.services.settings import root_of
from apps.notifications.transports import DeliveryError, OutgoingMessage, email_send, sms_send

__all__ = ["MESSAGE_QUEUED", "message_deliver", "message_enqueue_on_commit", "messages_due", "notifications_purge"]

log = logging.getLogger(__name__)


def _enqueue(message_id: str, *, countdown: float | None = None) -> None:
    from apps.notifications.tasks import notification_deliver

    try:
        if countdown is None:
            notification_deliver.delay(message_id)
        else:
            notification_deliver.apply_async(args=[message_id], countdown=countdown)
    except Exception:  # broker down: the sweep sends it later
        log.warning("notifications: could not enqueue %s; the sweep will send it", message_id, exc_info=True)


def message_enqueue_on_commit(event: OutboxEvent) -> None:
    """Outbox consumer: hand the message to a send task once the dispatch commits."""
    message_id = str(event.payload.get("message_id", ""))
    if message_id:
        transaction.on_commit(lambda: _enqueue(message_id))


def _claim(message_id: str) -> Message | None:
    now = timezone.now()
    claimed = Message.objects.filter(
        pk=message_id,
        status__in=[Message.Status.QUEUED, Message.Status.FAILED],
        next_attempt_at__lte=now,
    ).update(status=Message.Status.SENDING, attempts=F("attempts") + 1, claimed_at=now)
    if not claimed:
        return None
    return Message.objects.select_related("organization").get(pk=message_id)


def retry_delay(attempts: int) -> float:
    base = settings.IAM_NOTIFICATION_RETRY_BASE_SECONDS
    return min(settings.IAM_NOTIFICATION_RETRY_MAX_DELAY_SECONDS, base * (2 ** max(0, attempts - 1)))


def _outgoing(message: Message) -> OutgoingMessage:
    data = json.loads(open_secret(message.payload_sealed, context=payload_context(message.id)))
    return OutgoingMessage(
        recipient=message.recipient, subject=data["subject"], body_text=data["text"], body_html=data["html"]
    )


def _send(message: Message) -> None:
    root = root_of(message.organization)
    outgoing = _outgoing(message)
    if message.channel == Message.Channel.EMAIL:
        sender = EmailSender.objects.filter(organization=root).first()
        if sender is None:
            raise DeliveryError("No email provider is configured for this organization.")
        email_send(sender, outgoing)
    else:
        sender = SmsSender.objects.filter(organization=root).first()
        if sender is None:
            raise DeliveryError("No SMS provider is configured for this organization.")
        sms_send(sender, outgoing)


def message_deliver(message_id: str) -> str:
    """Try to send one message if it is due; returns its status afterwards ("" if not claimed)."""
    message = _claim(message_id)
    if message is None:
        return ""
    if message.expires_at is not None and message.expires_at <= timezone.now():
        Message.objects.filter(pk=message.pk).update(
            status=Message.Status.DEAD,
            last_error="The code or link expired before it could be delivered.",
            payload_sealed="",
        )
        return Message.Status.DEAD
    try:
        _send(message)
    except Exception as exc:  # any failure keeps the message for a retry, with its reason
        reason = str(exc) if isinstance(exc, DeliveryError) else f"{type(exc).__name__}: {exc}"
        dead = message.attempts >= message.max_attempts
        delay = retry_delay(message.attempts)
        Message.objects.filter(pk=message.pk).update(
            status=Message.Status.DEAD if dead else Message.Status.FAILED,
            last_error=reason[:2000],
            next_attempt_at=timezone.now() + timedelta(seconds=delay),
        )
        log.warning("notifications: message %s attempt %d failed: %s", message.pk, message.attempts, reason)
        if not dead:
            _enqueue(str(message.pk), countdown=delay + 0.5)
        return Message.Status.DEAD if dead else Message.Status.FAILED
    Message.objects.filter(pk=message.pk).update(
        status=Message.Status.SENT, sent_at=timezone.now(), last_error="", payload_sealed=""
    )
    return Message.Status.SENT


def messages_due(limit: int = 200) -> list[str]:
    """Ids of messages to (re)send now: due retries, queued ones whose task never ran, stale claims."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.IAM_NOTIFICATION_SENDING_STALE_SECONDS)
    Message.objects.filter(status=Message.Status.SENDING, claimed_at__lt=stale).update(status=Message.Status.FAILED)
    return [
        str(pk)
        for pk in Message.objects.filter(
            Q(status__in=[Message.Status.QUEUED, Message.Status.FAILED]), next_attempt_at__lte=now
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    ]


def notifications_purge(*, retention: timedelta | None = None) -> int:
    """Forget what is no longer useful: codes and links expired or used longer than ``retention``
    ago, and the sealed bodies of messages that were given up that long ago (the log row stays)."""
    cutoff = timezone.now() - (retention or timedelta(seconds=settings.IAM_NOTIFICATION_RETENTION_SECONDS))
    done = Q(expires_at__lt=cutoff) | Q(consumed_at__lt=cutoff) | Q(invalidated_at__lt=cutoff)
    removed = OneTimeCode.objects.filter(done).delete()[0] + LinkToken.objects.filter(done).delete()[0]
    wiped = (
        Message.objects.filter(status=Message.Status.DEAD, created__lt=cutoff)
        .exclude(payload_sealed="")
        .update(payload_sealed="")
    )
    return removed + wiped
