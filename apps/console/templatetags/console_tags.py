from __future__ import annotations

from django import template

from apps.console.access import ConsoleAccess

register = template.Library()


@register.filter
def can(access: ConsoleAccess | None, scope: str) -> bool:
    """``{% if access|can:"internal_user_mgt_create" %}``: show only what the user may do."""
    return access is not None and access.can(scope)
