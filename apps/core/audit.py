"""``audit_record``: called by services inside their transaction."""

from __future__ import annotations

from typing import Any

from apps.core import context
from apps.core.models import AuditLog


def actor_fields(actor: Any) -> dict[str, str]:
    if actor is None:
        return {"actor_type": "system", "actor_id": "", "actor_name": "system"}
    kind = getattr(actor, "kind", None)
    if kind is not None:  # a user or an agent
        return {"actor_type": kind, "actor_id": str(actor.pk), "actor_name": actor.get_username()}
    return {"actor_type": "application", "actor_id": str(actor.pk), "actor_name": str(getattr(actor, "name", ""))}


def audit_record(
    *,
    actor: Any,
    action: str,
    target_type: str,
    target_id: object,
    organization: Any = None,
    data: dict[str, Any] | None = None,
) -> AuditLog:
    ctx = context.current()
    return AuditLog.objects.create(
        organization_id=getattr(organization, "pk", None),
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        ip=ctx.ip,
        request_id=ctx.request_id,
        data=data or {},
        **actor_fields(actor),
    )
