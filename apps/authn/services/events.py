"""Audit row and outbox event for every authentication event, with WSO2's event properties."""

from __future__ import annotations

from typing import Any

from apps.core.audit import audit_record
from apps.core.context import current
from apps.core.events import emit

USER_STORE_DOMAIN = "PRIMARY"  # WSO2's user store of database accounts (LDAP stores come later)


def _tenant_domain(organization: Any) -> str:
    if organization is None:
        return ""
    return organization.handle if organization.is_root else organization.root.handle


def auth_event(
    event_type: str,
    *,
    user: Any,
    organization: Any,
    actor: Any = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Record ``event_type`` (``authentication.step_failed``, ``account.locked``, ``session.revoked`` ...)."""
    data = dict(data or {})
    audit_record(
        actor=actor if actor is not None else user,
        action=event_type,
        target_type="user",
        target_id=getattr(user, "pk", "") or "",
        organization=organization,
        data=data,
    )
    payload: dict[str, Any] = {
        "tenantDomain": _tenant_domain(organization),
        "organizationId": str(getattr(organization, "pk", "") or ""),
        "userId": str(getattr(user, "pk", "") or ""),
        "userName": getattr(user, "username", "") or "",
        "userStoreDomain": USER_STORE_DOMAIN,
        "remoteAddress": current().ip or "",
        **data,
    }
    if actor is not None and getattr(actor, "pk", None) != getattr(user, "pk", None):
        payload["actorId"] = str(actor.pk)
    emit(event_type, organization=organization, payload=payload)
