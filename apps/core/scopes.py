"""The one rule for "does this set of granted scopes satisfy a required scope".

Inside a sub-organization, WSO2's organization-scoped twin of a system scope
(``internal_org_user_mgt_list`` for ``internal_user_mgt_list``) counts too.
Used by the management API permission class and the Console alike."""

from __future__ import annotations

from collections.abc import Iterable


def org_twin(scope: str) -> str:
    return scope.replace("internal_", "internal_org_", 1) if scope.startswith("internal_") else scope


def scope_granted(granted: frozenset[str] | set[str], required: str, *, in_sub_organization: bool) -> bool:
    if required in granted:
        return True
    return in_sub_organization and org_twin(required) in granted


def any_scope_granted(
    granted: frozenset[str] | set[str], required: Iterable[str], *, in_sub_organization: bool
) -> bool:
    return any(scope_granted(granted, scope, in_sub_organization=in_sub_organization) for scope in required)
