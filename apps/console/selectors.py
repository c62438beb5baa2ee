"""Reads that shape domain data for Console pages, built on the domain selectors
so every query stays scoped to one organization."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Count, QuerySet

from apps.applications.models import APIResource
from apps.orgs.models import Organization
from apps.orgs.selectors import organization_list
from apps.users.models import Group, Role
from apps.users.selectors import group_list, role_list, user_list

SUBTREE_LIMIT = 5000


def console_counts(*, organization: Organization) -> dict[str, int]:
    return {
        "organizations": organization_list(scope=organization, recursive=True).count(),
        "users": user_list(organization=organization).count(),
        "groups": group_list(organization=organization).count(),
        "roles": role_list(organization=organization).count(),
    }


def console_group_rows(*, organization: Organization, search: str = "") -> QuerySet[Group]:
    return group_list(organization=organization, search=search).annotate(member_count=Count("members", distinct=True))


def console_role_rows(*, organization: Organization, search: str = "") -> QuerySet[Role]:
    return role_list(organization=organization, search=search).annotate(
        permission_count=Count("permissions", distinct=True),
        user_count=Count("users", distinct=True),
        group_count=Count("groups", distinct=True),
    )


def console_api_resources(*, organization: Organization) -> QuerySet[APIResource]:
    """API resources whose scopes roles of ``organization`` may grant, scopes prefetched."""
    return APIResource.objects.for_org(organization).prefetch_related("scopes")


def console_subtree(
    *, organization: Organization, include_self: bool, limit: int = SUBTREE_LIMIT
) -> list[tuple[Organization, int]]:
    """``organization``'s subtree in tree order (siblings by name), each with its depth below it.

    One query; the ordering is done here because the materialized path orders
    siblings by id, which reads as random. At most ``limit`` organizations are
    read, in path order, so every one read still has its ancestors (a parent's
    path is a prefix of its children's) and the result stays a tree."""
    qs = organization_list(scope=organization, recursive=True, include_self=True).select_related("root")
    orgs = list(qs.order_by("path")[:limit])
    children: dict[Any, list[Organization]] = defaultdict(list)
    for org in orgs:
        children[org.parent_id].append(org)
    ordered: list[tuple[Organization, int]] = []
    stack = [(organization, 0)]
    while stack:
        org, level = stack.pop()
        if include_self or org.pk != organization.pk:
            ordered.append((org, level))
        kids = sorted(children.get(org.pk, []), key=lambda o: (o.name.casefold(), o.name), reverse=True)
        stack.extend((kid, level + 1) for kid in kids)
    return ordered
