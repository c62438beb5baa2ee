"""Reads of the organization tree."""

from __future__ import annotations

import copy
import uuid

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet

from apps.core.cache import BoundedCache
from apps.orgs.models import Organization

_ROOT_BY_HANDLE_SQL = f"SELECT * FROM {Organization._meta.db_table} WHERE handle = %s AND parent_id IS NULL"  # noqa: S608

# Tenant resolution runs on every request. Root organizations found by handle are kept for
# IAM_TENANT_CACHE_SECONDS: a write in this process drops the entry at once (``organization_cache_forget``,
# on every save and delete), other processes see a change (status, display name) within the TTL.
# Unknown handles are not cached, so a new tenant answers at once everywhere.
_roots = BoundedCache(max_entries=4096, ttl_seconds=float(getattr(settings, "IAM_TENANT_CACHE_SECONDS", 5)))


def organization_get_root_by_handle(*, handle: str) -> Organization | None:
    """The root organization with ``handle`` (a copy per caller: requests may cache relations on it)."""
    cached = _roots.get(handle)
    if cached is not None:
        return copy.copy(cached)
    organization = next(iter(Organization.objects.raw(_ROOT_BY_HANDLE_SQL, [handle])), None)
    if organization is not None and _roots.ttl_seconds:
        _roots.put(handle, copy.copy(organization))
    return organization


def organization_cache_forget(organization: Organization | None = None) -> None:
    """Drop cached tenant lookups: one organization's, or all of them; and resolved inherited settings."""
    from apps.orgs.inheritance import inheritance_cache_clear

    inheritance_cache_clear()
    if organization is None:
        _roots.clear()
    else:
        _roots.discard(organization.handle)


def organization_get_in_root(*, root: Organization, organization_id: uuid.UUID) -> Organization | None:
    return Organization.objects.select_related("root").filter(root_id=root.id, id=organization_id).first()


def organization_list(
    *, scope: Organization, recursive: bool = False, include_self: bool = False
) -> QuerySet[Organization]:
    """Organizations visible from ``scope``: its children, or its whole subtree."""
    if recursive:
        qs = Organization.objects.subtree(scope, include_self=include_self)
    else:
        qs = Organization.objects.filter(parent=scope)
        if include_self:
            qs = qs | Organization.objects.filter(pk=scope.pk)
    return qs.annotate(has_children=Exists(Organization.objects.filter(parent=OuterRef("pk"))))


def organization_get_visible(*, scope: Organization, organization_id: uuid.UUID | str) -> Organization | None:
    """An organization in ``scope``'s subtree (itself included), or None."""
    try:
        org_id = uuid.UUID(str(organization_id))
    except ValueError:
        return None
    return (
        Organization.objects.subtree(scope)
        .select_related("parent", "root")
        .annotate(has_children=Exists(Organization.objects.filter(parent=OuterRef("pk"))))
        .filter(pk=org_id)
        .first()
    )


def organization_ancestors(*, organization: Organization) -> list[Organization]:
    ids = organization.ancestor_ids()
    by_id = {o.id: o for o in Organization.objects.filter(id__in=ids)}
    return [by_id[i] for i in ids if i in by_id]


def organization_handle_available(*, handle: str) -> bool:
    return not Organization.objects.filter(handle=handle).exists()
