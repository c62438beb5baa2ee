"""Periodic work of the flows app."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="apps.flows.tasks.flow_contexts_sweep")
def flow_contexts_sweep() -> int:
    """Delete execution contexts past their expiry."""
    from apps.flows.engine.core import flow_contexts_purge

    return flow_contexts_purge()
