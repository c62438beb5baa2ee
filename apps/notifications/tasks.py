"""Celery tasks: send one message; the beat sweep sends whatever is due."""

from __future__ import annotations

from celery import shared_task

from apps.notifications.delivery import message_deliver, messages_due, notifications_purge


@shared_task
def notification_deliver(message_id: str) -> str:
    return message_deliver(message_id)


@shared_task
def notification_sweep(limit: int = 200) -> int:
    """Beat: retries whose countdown task was lost, messages queued while the broker was down."""
    return sum(1 for message_id in messages_due(limit) if message_deliver(message_id))


@shared_task
def notification_purge() -> int:
    """Beat (hourly): drop used/expired codes and links, wipe bodies of long-dead messages."""
    return notifications_purge()
