"""Celery tasks: deliveries (each works through its webhooks' due batches), and the beat sweep."""

from __future__ import annotations

from celery import shared_task

from apps.webhooks import deliveries


@shared_task(ignore_result=True)
def webhook_deliver(delivery_ids: list[str] | str) -> int:
    if isinstance(delivery_ids, str):
        return deliveries.delivery_process(delivery_ids)
    return deliveries.deliveries_process(delivery_ids)


@shared_task(ignore_result=True)
def webhook_deliver_for(webhook_id: str) -> int:
    """New deliveries of one webhook (after a fan-out): its due deliveries, batch by batch."""
    return deliveries.webhook_deliver_endpoint(webhook_id)


@shared_task(ignore_result=True)
def webhook_deliveries_sweep() -> int:
    return deliveries.deliveries_sweep()
