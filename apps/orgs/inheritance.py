"""Inheritance of settings down the organization tree: one resolver for every kind of setting.

A *kind* is a named set of settings (``login``: lockout, password policy, sessions;
``notifications``: OTP and link settings; ``oidc_scopes``: the claims each OIDC scope releases;
``discovery``: the root's organization-discovery options ...). Its owning app registers it once
(``kind_register``) with its system defaults and, where the root's values predate this module,
a loader for them (or, for values an app keeps in its own tables in any organization, such as flow
configs and live flow versions, a ``stored_values`` loader). Every other customization is an
``OrganizationSetting`` row.

Resolution (WSO2's rule, per property): the organization's own value, else the nearest
ancestor's, else the system default. Overriding saves a row in the organization; reverting
deletes it, so the organization inherits again. Properties a kind marks ``root_only`` are always
inherited from the root (WSO2: idle session timeout, remember-me period).

Cache: resolutions are kept per process, keyed by organization and kind, each tagged with the
tree's *stamp* (``InheritanceVersion``). Every change writes a new stamp in the same transaction
as the change, and every resolution first reads the stamp (one primary-key lookup), so a change
made by any process is seen by all of them at once, with no TTL. Stamps are random, not
incremented, so a stamp seen inside a transaction that rolled back is never reused by a later
change. ``organization_cache_forget`` (saves and deletes of organizations) clears the local map.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from django.db import connection, transaction

from apps.core.cache import BoundedCache
from apps.orgs.models import InheritanceVersion, Organization, OrganizationSetting


@dataclass(frozen=True)
class Kind:
    name: str
    defaults: Callable[[], Mapping[str, Any]]
    # The root's values kept in the owning app's own table (e.g. ``LoginSettings``), if any.
    root_values: Callable[[uuid.UUID], Mapping[str, Any]] | None = None
    # Values the owning app keeps in its own tables for any organization (e.g. a flow's live
    # version): given the chain's ids, ``{organization id: {name: value}}`` of those that set any.
    stored_values: Callable[[list[uuid.UUID]], Mapping[uuid.UUID, Mapping[str, Any]]] | None = None
    root_only: frozenset[str] = frozenset()
    # False: any property name may be customized (OIDC scopes); True: only the defaults' names.
    fixed_names: bool = True


@dataclass(frozen=True)
class Resolution:
    """The effective values of one kind in one organization, and where each comes from."""

    organization_id: uuid.UUID
    values: Mapping[str, Any]
    sources: Mapping[str, uuid.UUID | None]  # organization that set the value; None: system default

    def source(self, name: str) -> uuid.UUID | None:
        return self.sources.get(name)

    def inherited(self, name: str) -> bool:
        """True when the value is not the organization's own (an ancestor's, or the default)."""
        return self.sources.get(name) != self.organization_id

    def resolve(self, name: str) -> tuple[Any, uuid.UUID | None]:
        return self.values.get(name), self.sources.get(name)


_KINDS: dict[str, Kind] = {}
_cache = BoundedCache(max_entries=20_000)
_STAMP_SQL: list[str] = []


def kind_register(kind: Kind) -> Kind:
    _KINDS[kind.name] = kind
    return kind


def kind_get(name: str) -> Kind:
    return _KINDS[name]


def _stamp(root_id: uuid.UUID) -> int:
    if not _STAMP_SQL:
        meta = InheritanceVersion._meta
        quote = connection.ops.quote_name
        _STAMP_SQL.append(
            f"SELECT {quote(meta.get_field('version').column)} FROM {quote(meta.db_table)} "  # noqa: S608
            f"WHERE {quote(meta.pk.column)} = %s"
        )
    with connection.cursor() as cursor:
        cursor.execute(_STAMP_SQL[0], [InheritanceVersion._meta.pk.get_db_prep_value(root_id, connection)])
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def _root_id(organization: Organization) -> uuid.UUID:
    return organization.root_id or organization.pk


def _load(organization: Organization, kind: Kind) -> Resolution:
    chain = organization.ancestor_ids()  # root first
    root_id = chain[0]
    layers: dict[uuid.UUID, dict[str, Any]] = {org_id: {} for org_id in chain}
    if kind.root_values is not None:
        layers[root_id].update(kind.root_values(root_id))
    if kind.stored_values is not None:
        for org_id, stored in kind.stored_values(chain).items():
            if org_id in layers:
                layers[org_id].update(stored)
    rows = OrganizationSetting.objects.filter(kind=kind.name, organization_id__in=chain).values_list(
        "organization_id", "name", "value"
    )
    for org_id, name, value in rows:
        layers[org_id][name] = value
    defaults = dict(kind.defaults())
    values: dict[str, Any] = dict(defaults)
    sources: dict[str, uuid.UUID | None] = dict.fromkeys(defaults)
    for org_id in chain:
        for name, value in layers[org_id].items():
            if kind.fixed_names and name not in defaults:
                continue  # a property the kind no longer has
            if org_id != root_id and name in kind.root_only:
                continue
            values[name] = value
            sources[name] = org_id
    return Resolution(organization.pk, MappingProxyType(values), MappingProxyType(sources))


def settings_resolve(organization: Organization, kind: str) -> Resolution:
    """The effective values of ``kind`` in ``organization`` (see the module docstring)."""
    definition = _KINDS[kind]
    stamp = _stamp(_root_id(organization))
    key = (organization.pk, kind)
    cached = _cache.get(key)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    resolution = _load(organization, definition)
    _cache.put(key, (stamp, resolution))
    return resolution


def resolve(organization: Organization, kind: str, name: str) -> tuple[Any, uuid.UUID | None]:
    """One property: ``(value, id of the organization it comes from, or None for the default)``."""
    return settings_resolve(organization, kind).resolve(name)


def inheritance_changed(organization: Organization) -> None:
    """Call inside the transaction of any change to an inheritable setting of ``organization``'s tree."""
    root_id = _root_id(organization)
    stamp = secrets.randbits(62) or 1
    if not InheritanceVersion.objects.filter(root_id=root_id).update(version=stamp):
        InheritanceVersion.objects.update_or_create(root_id=root_id, defaults={"version": stamp})
    _cache.clear()  # this process: no need to wait for the stamp round trip


def inheritance_cache_clear() -> None:
    _cache.clear()


def own_values(organization: Organization, kind: str) -> dict[str, Any]:
    """What ``organization`` customized itself (its ``OrganizationSetting`` rows of ``kind``)."""
    return dict(OrganizationSetting.objects.filter(organization=organization, kind=kind).values_list("name", "value"))


@transaction.atomic
def overrides_save(*, organization: Organization, kind: str, values: Mapping[str, Any]) -> None:
    """Store validated values as ``organization``'s own (the owning service validated them)."""
    for name, value in values.items():
        OrganizationSetting.objects.update_or_create(
            organization=organization, kind=kind, name=name, defaults={"value": value}
        )
    inheritance_changed(organization)


@transaction.atomic
def overrides_delete(*, organization: Organization, kind: str, names: Iterable[str] | None = None) -> list[str]:
    """Revert: forget ``organization``'s own values (all of ``kind`` when ``names`` is None)."""
    rows = OrganizationSetting.objects.filter(organization=organization, kind=kind)
    if names is not None:
        rows = rows.filter(name__in=list(names))
    deleted = sorted(rows.values_list("name", flat=True))
    rows.delete()
    inheritance_changed(organization)
    return deleted


@dataclass(frozen=True)
class SourceLabel:
    """How the Console shows where a value comes from."""

    organization_id: uuid.UUID | None
    name: str
    own: bool = False
    default: bool = False


def source_labels(organization: Organization, resolution: Resolution) -> dict[str, SourceLabel]:
    """Per property: this organization, an ancestor (with its name) or the system default."""
    ids = {org_id for org_id in resolution.sources.values() if org_id is not None}
    names = dict(Organization.objects.filter(id__in=ids).values_list("id", "name")) if ids else {}
    labels = {}
    for prop, org_id in resolution.sources.items():
        if org_id is None:
            labels[prop] = SourceLabel(None, "", default=True)
        else:
            labels[prop] = SourceLabel(org_id, names.get(org_id, ""), own=org_id == organization.pk)
    return labels
