"""Reads of application sharing: where an application is usable, which roles travel with it.

The writes (and the rules that resolve sharing rules into organizations and shared roles) live in
``apps.applications.services.sharing``. ``application_shared_organization_ids`` is the one answer to
"may this client be used in that organization" (the OAuth client snapshot caches it)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from apps.applications.models import Application, ApplicationShare, SharedApplication
from apps.orgs.models import Organization
from apps.users.models import Role


def application_shared_organization_ids(*, application_id: int) -> frozenset[uuid.UUID]:
    """Ids of the organizations (other than its owner) in which the application may be used."""
    return frozenset(
        SharedApplication.objects.filter(application_id=application_id).values_list("organization_id", flat=True)
    )


def application_usable_in(*, application: Application, organization: Any) -> bool:
    """The application belongs to ``organization`` or is shared with it."""
    if application.organization_id == organization.pk:
        return True
    return SharedApplication.objects.filter(application=application, organization_id=organization.pk).exists()


def application_origin_roles(*, application: Application) -> QuerySet[Role]:
    """The application's own roles (audience: this application, in its owner organization)."""
    return Role.objects.filter(
        organization_id=application.organization_id,
        audience=Role.Audience.APPLICATION,
        audience_application=application,
        shared_from__isnull=True,
    ).order_by("name")


def application_share_rules(*, application: Application) -> QuerySet[ApplicationShare]:
    return (
        ApplicationShare.objects.filter(application=application)
        .select_related("organization")
        .prefetch_related("roles")
        .order_by("organization__path")
    )


def application_share_rule_for_all(*, application: Application) -> ApplicationShare | None:
    return application_share_rules(application=application).filter(organization__isnull=True).first()


@dataclass(frozen=True)
class SharedOrganization:
    """One organization the application is shared with, as the listings show it (plain values: the
    listing of 1,000 organizations must stay well under 200 ms)."""

    id: uuid.UUID
    name: str
    handle: str
    parent_id: uuid.UUID | None
    status: str
    depth: int
    has_children: bool
    rule_id: uuid.UUID
    own_rule: bool  # the organization has its own rule (not inherited from an ancestor or "all")
    policy: str
    role_sharing: str
    role_names: tuple[str, ...]


def application_shared_organizations(*, application: Application) -> QuerySet[SharedApplication]:
    """The organizations the application is usable in, parents before children."""
    return SharedApplication.objects.filter(application=application).order_by(
        "organization__depth", "organization__path"
    )


def application_shared_page(
    *, application: Application, offset: int = 0, limit: int = 1000
) -> tuple[list[SharedOrganization], bool]:
    """A page of the shared organizations with their shared roles (three queries), and whether more follow."""
    rows = list(
        application_shared_organizations(application=application).values_list(
            "organization_id",
            "organization__name",
            "organization__handle",
            "organization__parent_id",
            "organization__status",
            "organization__depth",
            "rule_id",
            "rule__organization_id",
            "rule__policy",
            "rule__role_sharing",
        )[offset : offset + limit + 1]
    )
    more, rows = len(rows) > limit, rows[:limit]
    org_ids = [row[0] for row in rows]
    # Semi-joins rather than 1,000-id IN lists: a whole listing is the common case.
    shared_ids = SharedApplication.objects.filter(application=application).values("organization_id")
    parents = set(Organization.objects.filter(parent_id__in=shared_ids).values_list("parent_id", flat=True).distinct())
    names: dict[uuid.UUID, list[str]] = {}
    copies = Role.objects.filter(audience_application=application, shared_from__isnull=False)
    if offset or more:
        copies = copies.filter(organization_id__in=org_ids)
    copies = copies.values_list("organization_id", "name")
    for org_id, name in copies.order_by("name"):
        names.setdefault(org_id, []).append(name)
    return [
        SharedOrganization(
            id=org_id,
            name=name,
            handle=handle,
            parent_id=parent_id,
            status=status,
            depth=depth,
            has_children=org_id in parents,
            rule_id=rule_id,
            own_rule=rule_org == org_id,
            policy=policy,
            role_sharing=role_sharing,
            role_names=tuple(names.get(org_id, ())),
        )
        for org_id, name, handle, parent_id, status, depth, rule_id, rule_org, policy, role_sharing in rows
    ], more


def application_share_rule_roles(*, rule_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    """Selected role names of these rules (for ``sharingMode``)."""
    result: dict[uuid.UUID, list[str]] = {}
    through = ApplicationShare.roles.through
    for rule_id, name in (
        through.objects.filter(applicationshare_id__in=rule_ids)
        .values_list("applicationshare_id", "role__name")
        .order_by("role__name")
    ):
        result.setdefault(rule_id, []).append(name)
    return result


def role_shared_organizations(*, role: Role) -> list[Organization]:
    """The organizations holding a shared copy of ``role``."""
    return list(Organization.objects.filter(roles__shared_from=role).order_by("path"))
