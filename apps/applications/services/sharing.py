"""Sharing an application with organizations of its owner's tree, and the roles that travel with it.

A shared application stays ONE application (one client_id). What is stored:

* ``ApplicationShare`` rules, as WSO2's API expresses them: one rule for "all organizations"
  (``ALL_EXISTING_ORGS_ONLY`` / ``ALL_EXISTING_AND_FUTURE_ORGS``) and/or one rule per selected
  organization (``SELECTED_ORG_ONLY`` / ``SELECTED_ORG_WITH_ALL_EXISTING_AND_FUTURE_CHILDREN``), each
  with a role-sharing mode (``ALL`` / ``NONE`` / ``SELECTED`` + roles);
* what they resolve to: ``SharedApplication`` rows (the organizations the application may be used in)
  and shared ``Role`` copies (``Role.shared_from`` = the origin role) in those organizations.

Resolution per organization (WSO2 §2.4): its own rule wins; else the nearest ancestor's rule with
the cascading policy; else the "all organizations" rule (``ALL_EXISTING_ORGS_ONLY`` only for
organizations that existed when it was made). Every change recomputes the whole picture in a few
set-based queries and applies only the difference: unrelated roles and assignments are never
touched, and removing a shared role from an organization removes its assignments there (audited).

Error codes (WSO2 ``OAM-`` / ``ORG-``): OAM-60003 organization missing or outside the tree ·
OAM-60004 bad policy · OAM-60006 bad role-sharing mode · OAM-60007 bad role selection (none, or a
role that is not the application's) · ORG-60037 not shared with that organization ·
ORG-60069 unsharing one organization while shared with all."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.applications.app_settings import GRANT_ORGANIZATION_SWITCH, USER_GRANTS
from apps.applications.models import Application, ApplicationShare, SharedApplication
from apps.core.audit import audit_record
from apps.core.errors import InvalidInput, NotFound
from apps.core.events import emit
from apps.core.ids import parse_uuid
from apps.orgs.models import Organization
from apps.users.models import Role

Policy = ApplicationShare.Policy
RoleSharing = ApplicationShare.RoleSharing
ALL_POLICIES = frozenset({Policy.ALL_EXISTING_ORGS_ONLY, Policy.ALL_EXISTING_AND_FUTURE_ORGS})
SELECTED_POLICIES = frozenset({Policy.SELECTED_ORG_ONLY, Policy.SELECTED_ORG_WITH_ALL_EXISTING_AND_FUTURE_CHILDREN})
CASCADING = Policy.SELECTED_ORG_WITH_ALL_EXISTING_AND_FUTURE_CHILDREN


@dataclass(frozen=True)
class RoleSharingConfig:
    """``roleSharing``: a mode and, for ``SELECTED``, origin role names (WSO2 ``displayName``)."""

    mode: str
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class OrgShare:
    """One entry of ``POST /applications/share``."""

    organization_id: Any
    policy: str
    role_sharing: RoleSharingConfig


@dataclass
class SharingChange:
    """What one change did, for the audit row and the caller."""

    shared_with: int = 0
    unshared_from: int = 0
    roles_added: int = 0
    roles_removed: int = 0
    removed_role_orgs: list[str] = field(default_factory=list)


# --- validation -------------------------------------------------------------------------------------


def _check_role_sharing(application: Application, config: RoleSharingConfig) -> list[Role]:
    if config.mode not in RoleSharing.values:
        raise InvalidInput("OAM-60006", _("Role sharing mode must be ALL, NONE or SELECTED."), field="roleSharing")
    if config.mode != RoleSharing.SELECTED:
        return []
    if not config.roles:
        raise InvalidInput(
            "OAM-60007", _("Select at least one role when the role sharing mode is SELECTED."), field="roleSharing"
        )
    return _origin_roles_named(application, config.roles)


def _origin_roles_named(application: Application, names: Iterable[Any]) -> list[Role]:
    from apps.applications.sharing import application_origin_roles

    wanted = []
    for name in names:
        if not isinstance(name, str) or not name:
            raise InvalidInput("OAM-60007", _("Roles are named by their display name."), field="roleSharing")
        wanted.append(name)
    found = {role.name: role for role in application_origin_roles(application=application).filter(name__in=wanted)}
    missing = sorted(set(wanted) - set(found))
    if missing:
        raise InvalidInput(
            "OAM-60007",
            _("Not a role of this application: %(names)s.") % {"names": ", ".join(missing)},
            field="roleSharing",
        )
    return [found[name] for name in dict.fromkeys(wanted)]


def _organizations_in_tree(application: Application, organization_ids: Iterable[Any]) -> dict[uuid.UUID, Organization]:
    """The sub-organizations of the application's owner with these ids; anything else is refused."""
    ids: list[uuid.UUID] = []
    for raw in organization_ids:
        pk = parse_uuid(raw)
        if pk is None:
            raise InvalidInput(
                "OAM-60003", _("Invalid organization id: %(id)s.") % {"id": str(raw)[:64]}, field="orgId"
            )
        ids.append(pk)
    owner = application.organization
    found = {org.id: org for org in Organization.objects.subtree(owner, include_self=False).filter(pk__in=set(ids))}
    outside = [str(pk) for pk in ids if pk not in found]
    if outside:
        raise InvalidInput(
            "OAM-60003",
            _("Not a sub-organization of the application's organization: %(ids)s.") % {"ids": ", ".join(outside)},
            field="orgId",
        )
    return found


# --- writes ----------------------------------------------------------------------------------------


def _set_rule_roles(rules_roles: dict[uuid.UUID, list[Role]]) -> None:
    through = ApplicationShare.roles.through
    through.objects.filter(applicationshare_id__in=list(rules_roles)).delete()
    through.objects.bulk_create(
        [
            through(applicationshare_id=rule_id, role_id=role.pk)
            for rule_id, roles in rules_roles.items()
            for role in roles
        ]
    )


@transaction.atomic
def application_share(*, actor: Any, application: Application, organizations: Sequence[OrgShare]) -> SharingChange:
    """Share with selected organizations (one rule each; an organization's previous rule is replaced)."""
    if not organizations:
        raise InvalidInput("OAM-60003", _("Name at least one organization."), field="organizations")
    for entry in organizations:
        if entry.policy not in SELECTED_POLICIES:
            raise InvalidInput(
                "OAM-60004",
                _("Policy must be SELECTED_ORG_ONLY or SELECTED_ORG_WITH_ALL_EXISTING_AND_FUTURE_CHILDREN."),
                field="policy",
            )
    targets = _organizations_in_tree(application, [entry.organization_id for entry in organizations])
    roles_of: dict[uuid.UUID, list[Role]] = {}
    entries: dict[uuid.UUID, OrgShare] = {}
    for entry in organizations:
        org_id = parse_uuid(entry.organization_id)
        roles_of[org_id] = _check_role_sharing(application, entry.role_sharing)
        entries[org_id] = entry
    existing = {
        rule.organization_id: rule
        for rule in ApplicationShare.objects.select_for_update().filter(
            application=application, organization_id__in=list(targets)
        )
    }
    new_rules, changed = [], []
    for org_id, entry in entries.items():
        rule = existing.get(org_id)
        if rule is None:
            rule = ApplicationShare(id=uuid.uuid4(), application=application, organization_id=org_id)
            new_rules.append(rule)
        else:
            changed.append(rule)
        rule.policy, rule.role_sharing = entry.policy, entry.role_sharing.mode
    ApplicationShare.objects.bulk_create(new_rules)
    ApplicationShare.objects.bulk_update(changed, ["policy", "role_sharing"])
    rule_ids = {rule.organization_id: rule.id for rule in [*new_rules, *changed]}
    _set_rule_roles({rule_ids[org_id]: roles for org_id, roles in roles_of.items()})
    return _sync_and_record(actor, application, "application.share", {"organizations": len(entries)})


@transaction.atomic
def application_share_with_all(
    *, actor: Any, application: Application, policy: str, role_sharing: RoleSharingConfig
) -> SharingChange:
    """Share with every organization of the tree (now, or now and in the future)."""
    if policy not in ALL_POLICIES:
        raise InvalidInput(
            "OAM-60004", _("Policy must be ALL_EXISTING_ORGS_ONLY or ALL_EXISTING_AND_FUTURE_ORGS."), field="policy"
        )
    roles = _check_role_sharing(application, role_sharing)
    rule = ApplicationShare.objects.select_for_update().filter(application=application, organization=None).first()
    if rule is None:
        rule = ApplicationShare.objects.create(
            application=application, organization=None, policy=policy, role_sharing=role_sharing.mode
        )
    else:
        rule.policy, rule.role_sharing = policy, role_sharing.mode
        if policy == Policy.ALL_EXISTING_ORGS_ONLY:
            rule.created = timezone.now()  # "existing" means existing at this change
        rule.save(update_fields=["policy", "role_sharing", "created"])
    _set_rule_roles({rule.id: roles})
    return _sync_and_record(actor, application, "application.share_with_all", {"policy": policy})


@transaction.atomic
def application_unshare(*, actor: Any, application: Application, organization_ids: Sequence[Any]) -> SharingChange:
    """Stop sharing with these organizations and their subtrees."""
    if not organization_ids:
        raise InvalidInput("OAM-60003", _("Name at least one organization."), field="orgIds")
    targets = _organizations_in_tree(application, organization_ids)
    if ApplicationShare.objects.filter(application=application, organization=None).exists():
        raise InvalidInput(
            "ORG-60069",
            _("The application is shared with all organizations: stop sharing with all first."),
            field="orgIds",
        )
    doomed = ApplicationShare.objects.none()
    for org in targets.values():
        doomed = doomed | ApplicationShare.objects.filter(
            application=application, organization__path__startswith=org.path
        )
    doomed.delete()
    return _sync_and_record(actor, application, "application.unshare", {"organizations": sorted(map(str, targets))})


@transaction.atomic
def application_unshare_all(*, actor: Any, application: Application) -> SharingChange:
    """Stop sharing with every organization (removes every shared role and its assignments)."""
    ApplicationShare.objects.filter(application=application).delete()
    return _sync_and_record(actor, application, "application.unshare_all", {})


@transaction.atomic
def application_share_roles_change(
    *, actor: Any, application: Application, organization_id: Any, add: Sequence[Any] = (), remove: Sequence[Any] = ()
) -> SharingChange:
    """``PATCH /applications/share``: add or remove roles of one organization's own rule."""
    org = _organizations_in_tree(application, [organization_id])[parse_uuid(organization_id)]
    rule = ApplicationShare.objects.select_for_update().filter(application=application, organization=org).first()
    if rule is None:
        raise NotFound("ORG-60037", _("The application is not shared with this organization by its own rule."))
    added = _origin_roles_named(application, add) if add else []
    removed = {role.pk for role in _origin_roles_named(application, remove)} if remove else set()
    from apps.applications.sharing import application_origin_roles

    if rule.role_sharing == RoleSharing.ALL:
        current = list(application_origin_roles(application=application))
    elif rule.role_sharing == RoleSharing.NONE:
        current = []
    else:
        current = list(rule.roles.all())
    by_pk = {role.pk: role for role in [*current, *added] if role.pk not in removed}
    rule.role_sharing = RoleSharing.SELECTED if by_pk else RoleSharing.NONE
    rule.save(update_fields=["role_sharing"])
    _set_rule_roles({rule.id: list(by_pk.values())})
    return _sync_and_record(actor, application, "application.share_roles", {"organization": str(org.id)})


@transaction.atomic
def application_sharing_set(
    *,
    actor: Any,
    application: Application,
    for_all: tuple[str, RoleSharingConfig] | None,
    organizations: Sequence[OrgShare] = (),
) -> SharingChange:
    """Replace the whole sharing configuration in one change (the Console's "Shared access" form).

    Rules not named go away; the result is applied as one difference, so a shared role an organization
    keeps keeps its assignments."""
    roles_of: dict[uuid.UUID | None, list[Role]] = {}
    wanted: dict[uuid.UUID | None, tuple[str, str]] = {}
    if for_all is not None:
        policy, config = for_all
        if policy not in ALL_POLICIES:
            raise InvalidInput(
                "OAM-60004", _("Policy must be ALL_EXISTING_ORGS_ONLY or ALL_EXISTING_AND_FUTURE_ORGS."), field="policy"
            )
        roles_of[None] = _check_role_sharing(application, config)
        wanted[None] = (policy, config.mode)
    if organizations:
        _organizations_in_tree(application, [entry.organization_id for entry in organizations])
    for entry in organizations:
        if entry.policy not in SELECTED_POLICIES:
            raise InvalidInput("OAM-60004", _("Invalid policy for a selected organization."), field="policy")
        org_id = parse_uuid(entry.organization_id)
        roles_of[org_id] = _check_role_sharing(application, entry.role_sharing)
        wanted[org_id] = (entry.policy, entry.role_sharing.mode)
    rules = {
        rule.organization_id: rule
        for rule in ApplicationShare.objects.select_for_update().filter(application=application)
    }
    ApplicationShare.objects.filter(pk__in=[rule.pk for key, rule in rules.items() if key not in wanted]).delete()
    new_rules, changed = [], []
    for org_id, (policy, mode) in wanted.items():
        rule = rules.get(org_id)
        if rule is None:
            rule = ApplicationShare(id=uuid.uuid4(), application=application, organization_id=org_id)
            new_rules.append(rule)
        else:
            changed.append(rule)
        rule.policy, rule.role_sharing = policy, mode
    ApplicationShare.objects.bulk_create(new_rules)
    ApplicationShare.objects.bulk_update(changed, ["policy", "role_sharing"])
    ids = {rule.organization_id: rule.id for rule in [*new_rules, *changed]}
    _set_rule_roles({ids[org_id]: roles for org_id, roles in roles_of.items()})
    return _sync_and_record(actor, application, "application.sharing_set", {"rules": len(wanted)})


def sharing_extend_to_organization(*, organization: Organization) -> None:
    """A new organization receives the applications its ancestors' rules (or "all future") give it."""
    ancestors = organization.ancestor_ids()[:-1]
    if not ancestors:
        return
    app_ids = set(
        ApplicationShare.objects.filter(application__organization_id__in=ancestors).values_list(
            "application_id", flat=True
        )
    )
    for application in Application.objects.filter(pk__in=app_ids).select_related("organization"):
        _sync_and_record(None, application, "application.share_extend", {"organization": str(organization.id)})


# --- resolution ------------------------------------------------------------------------------------


def _resolve(application: Application) -> tuple[dict[uuid.UUID, uuid.UUID], set[tuple[uuid.UUID, uuid.UUID]]]:
    """``({organization id: rule id}, {(organization id, origin role id)})`` the rules ask for."""
    from apps.applications.sharing import application_origin_roles

    rules = list(ApplicationShare.objects.filter(application=application))
    if not rules:
        return {}, set()
    rule_roles: dict[uuid.UUID, set[uuid.UUID]] = {}
    through = ApplicationShare.roles.through
    for rule_id, role_id in through.objects.filter(applicationshare__application=application).values_list(
        "applicationshare_id", "role_id"
    ):
        rule_roles.setdefault(rule_id, set()).add(role_id)
    all_roles = set(application_origin_roles(application=application).values_list("pk", flat=True))
    explicit = {rule.organization_id: rule for rule in rules if rule.organization_id is not None}
    for_all = next((rule for rule in rules if rule.organization_id is None), None)

    def roles_of(rule: ApplicationShare) -> set[uuid.UUID]:
        if rule.role_sharing == RoleSharing.ALL:
            return all_roles
        if rule.role_sharing == RoleSharing.NONE:
            return set()
        return rule_roles.get(rule.id, set()) & all_roles

    orgs: dict[uuid.UUID, uuid.UUID] = {}
    roles: set[tuple[uuid.UUID, uuid.UUID]] = set()
    tree = Organization.objects.subtree(application.organization, include_self=False).values_list(
        "id", "path", "created"
    )
    for org_id, path, created in tree:
        rule = explicit.get(org_id)
        if rule is None:
            for part in reversed(path.strip("/").split("/")[:-1]):
                ancestor = explicit.get(uuid.UUID(part))
                if ancestor is not None and ancestor.policy == CASCADING:
                    rule = ancestor
                    break
        if rule is None and for_all is not None:
            if for_all.policy == Policy.ALL_EXISTING_AND_FUTURE_ORGS or created <= for_all.created:
                rule = for_all
        if rule is None:
            continue
        orgs[org_id] = rule.id
        roles |= {(org_id, role_id) for role_id in roles_of(rule)}
    return orgs, roles


def _sync(application: Application) -> SharingChange:
    """Make ``SharedApplication`` rows and shared roles match the rules; touch only the difference."""
    change = SharingChange()
    wanted_orgs, wanted_roles = _resolve(application)

    current = dict(SharedApplication.objects.filter(application=application).values_list("organization_id", "rule_id"))
    gone = [org_id for org_id in current if org_id not in wanted_orgs]
    if gone:
        SharedApplication.objects.filter(application=application, organization_id__in=gone).delete()
    SharedApplication.objects.bulk_create(
        [
            SharedApplication(application=application, organization_id=org_id, rule_id=rule_id)
            for org_id, rule_id in wanted_orgs.items()
            if org_id not in current
        ]
    )
    moved: dict[uuid.UUID, list[uuid.UUID]] = {}
    for org_id, rule_id in wanted_orgs.items():
        if org_id in current and current[org_id] != rule_id:
            moved.setdefault(rule_id, []).append(org_id)
    for rule_id, org_ids in moved.items():
        SharedApplication.objects.filter(application=application, organization_id__in=org_ids).update(rule_id=rule_id)
    change.shared_with = sum(1 for org_id in wanted_orgs if org_id not in current)
    change.unshared_from = len(gone)

    copies = {
        (org_id, origin_id): pk
        for pk, org_id, origin_id in Role.objects.filter(
            audience_application=application, shared_from__isnull=False
        ).values_list("pk", "organization_id", "shared_from_id")
    }
    stale_keys = [key for key in copies if key not in wanted_roles]
    stale = [copies[key] for key in stale_keys]
    if stale:
        change.removed_role_orgs = sorted({str(org_id) for org_id, _origin in stale_keys})
        Role.users.through.objects.filter(role_id__in=stale).delete()
        Role.groups.through.objects.filter(role_id__in=stale).delete()
        Role.permissions.through.objects.filter(role_id__in=stale).delete()
        Role.objects.filter(pk__in=stale).delete()
    missing = [key for key in wanted_roles if key not in copies]
    if missing:
        origins = {
            role.pk: role
            for role in Role.objects.filter(pk__in={origin for _org, origin in missing}).prefetch_related("permissions")
        }
        new_roles = [
            Role(
                id=uuid.uuid4(),
                organization_id=org_id,
                name=origins[origin_id].name,
                audience=Role.Audience.APPLICATION,
                audience_application=application,
                shared_from_id=origin_id,
            )
            for org_id, origin_id in missing
        ]
        Role.objects.bulk_create(new_roles)
        perms = Role.permissions.through
        perms.objects.bulk_create(
            [
                perms(role_id=role.pk, scope_id=scope.pk)
                for role in new_roles
                for scope in origins[role.shared_from_id].permissions.all()
            ]
        )
    change.roles_added, change.roles_removed = len(missing), len(stale)
    return change


def _enable_organization_switch(application: Application) -> None:
    """WSO2 §2.4.9: once shared, an application with a user grant may use ``organization_switch``."""
    grants = list(application.grant_types or [])
    if GRANT_ORGANIZATION_SWITCH in grants or not set(grants) & USER_GRANTS:
        return
    if not SharedApplication.objects.filter(application=application).exists():
        return
    application.grant_types = [*grants, GRANT_ORGANIZATION_SWITCH]
    Application.objects.filter(pk=application.pk).update(grant_types=application.grant_types)


def _sync_and_record(actor: Any, application: Application, action: str, data: dict[str, Any]) -> SharingChange:
    from apps.oauth.signals import application_version_bump

    change = _sync(application)
    organization = application.organization
    _enable_organization_switch(application)
    audit_record(
        actor=actor,
        action=action,
        target_type="application",
        target_id=application.uuid,
        organization=organization,
        data={
            **data,
            "sharedWith": change.shared_with,
            "unsharedFrom": change.unshared_from,
            "rolesAdded": change.roles_added,
            "rolesRemoved": change.roles_removed,
        },
    )
    if change.roles_removed:
        # Irreversible: the shared roles and every assignment of them in these organizations are gone.
        audit_record(
            actor=actor,
            action="role.shared.remove",
            target_type="application",
            target_id=application.uuid,
            organization=organization,
            data={"organizations": change.removed_role_orgs, "roles": change.roles_removed},
        )
    if change.shared_with or change.unshared_from or change.roles_added or change.roles_removed:
        emit(
            "application.sharing.updated",
            organization=organization,
            payload={"id": str(application.uuid), "name": application.name, "action": action},
        )
        application_version_bump(application_ids=[application.pk])
    return change


# --- shared roles follow their origin (called by apps.users.services.roles) -------------------------


def shared_roles_follow_origin(*, origin: Role) -> None:
    """Copy an origin role's name and permissions onto its shared copies (set-based)."""
    copy_ids = list(Role.objects.filter(shared_from=origin).values_list("pk", flat=True))
    if not copy_ids:
        return
    name = Role.objects.filter(pk=origin.pk).values_list("name", flat=True).get()  # the caller's copy may be stale
    Role.objects.filter(pk__in=copy_ids).update(name=name, last_modified=timezone.now())
    perms = Role.permissions.through
    scope_ids = list(perms.objects.filter(role_id=origin.pk).values_list("scope_id", flat=True))
    perms.objects.filter(role_id__in=copy_ids).delete()
    perms.objects.bulk_create([perms(role_id=pk, scope_id=scope_id) for pk in copy_ids for scope_id in scope_ids])
