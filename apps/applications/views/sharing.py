"""The application's "Shared access" tab in the Console.

One form replaces the whole sharing configuration (``application_sharing_set``): do not share, share
with all organizations (all roles, a common set of roles, or none), or share with selected
organizations (optionally with their sub-organizations) with roles chosen per organization. The page
also shows which roles each organization holds. Works as a plain form; the result of a change is
applied as a difference, so roles an organization keeps keep their assignments."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from apps.applications.models import Application, ApplicationShare
from apps.applications.services.sharing import OrgShare, RoleSharingConfig, application_sharing_set
from apps.applications.sharing import (
    application_origin_roles,
    application_share_rules,
    application_shared_page,
)
from apps.applications.views.applications import UPDATE, VIEW, _application, _detail
from apps.console.access import console_access, console_view, forbidden
from apps.core.errors import DomainError
from apps.orgs.models import Organization

Policy, RoleSharing = ApplicationShare.Policy, ApplicationShare.RoleSharing
MODES = ("none", "all", "selected")


def _state(application: Application) -> dict[str, Any]:
    """The current configuration, as the form's initial values."""
    rules = list(application_share_rules(application=application))
    for_all = next((rule for rule in rules if rule.organization_id is None), None)
    per_org = {rule.organization_id: rule for rule in rules if rule.organization_id is not None}
    mode = "all" if for_all is not None else ("selected" if per_org else "none")
    return {
        "mode": mode,
        "role_mode": for_all.role_sharing if for_all else RoleSharing.ALL,
        "common_roles": {role.name for role in for_all.roles.all()} if for_all else set(),
        "future": for_all is None or for_all.policy == Policy.ALL_EXISTING_AND_FUTURE_ORGS,
        "per_org": per_org,
    }


def _org_rows(application: Application, state: dict[str, Any], role_names: list[str]) -> list[dict[str, Any]]:
    rows = []
    for org in Organization.objects.subtree(application.organization, include_self=False).order_by("path"):
        rule = state["per_org"].get(org.id)
        chosen = set(role_names) if rule and rule.role_sharing == RoleSharing.ALL else set()
        if rule and rule.role_sharing == RoleSharing.SELECTED:
            chosen = {role.name for role in rule.roles.all()}
        rows.append(
            {
                "org": org,
                "indent": org.depth - application.organization.depth - 1,
                "indent_marker": "↳ " * (org.depth - application.organization.depth - 1),
                "selected": rule is not None,
                "subtree": rule is not None
                and rule.policy == Policy.SELECTED_ORG_WITH_ALL_EXISTING_AND_FUTURE_CHILDREN,
                "all_roles": rule is not None and rule.role_sharing == RoleSharing.ALL,
                "roles": [{"name": name, "checked": name in chosen} for name in role_names],
            }
        )
    return rows


def _submitted(post: QueryDict) -> tuple[tuple[str, RoleSharingConfig] | None, list[OrgShare], bool]:
    """``(for_all, organizations, share_nothing)`` from the form."""
    mode = post.get("mode")
    if mode not in MODES:
        raise DomainError("OAM-60004", _("Choose how to share the application."), field="mode")
    if mode == "none":
        return None, [], True
    if mode == "all":
        role_mode = post.get("role_mode", "")
        roles = tuple(post.getlist("roles")) if role_mode == RoleSharing.SELECTED else ()
        policy = Policy.ALL_EXISTING_AND_FUTURE_ORGS if post.get("future") else Policy.ALL_EXISTING_ORGS_ONLY
        return (policy, RoleSharingConfig(role_mode, roles)), [], False
    shares = []
    for org_id in post.getlist("orgs"):
        policy = (
            Policy.SELECTED_ORG_WITH_ALL_EXISTING_AND_FUTURE_CHILDREN
            if post.get(f"subtree-{org_id}")
            else Policy.SELECTED_ORG_ONLY
        )
        if post.get(f"all-{org_id}"):
            config = RoleSharingConfig(RoleSharing.ALL)
        else:
            names = tuple(post.getlist(f"roles-{org_id}"))
            config = RoleSharingConfig(RoleSharing.SELECTED, names) if names else RoleSharingConfig(RoleSharing.NONE)
        shares.append(OrgShare(org_id, policy, config))
    if not shares:
        raise DomainError("OAM-60003", _("Select at least one organization."), field="orgs")
    return None, shares, False


@console_view(VIEW)
def application_sharing(request: HttpRequest, application_id: uuid.UUID) -> HttpResponse:
    application = _application(request, application_id)
    error = ""
    if request.method == "POST":
        if not console_access(request).can(UPDATE):
            return forbidden(request)
        try:
            for_all, organizations, _nothing = _submitted(request.POST)
            application_sharing_set(
                actor=request.user, application=application, for_all=for_all, organizations=organizations
            )
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, _("Shared access saved."))
            return redirect("console:application-sharing", application_id=application.uuid)
    role_names = list(application_origin_roles(application=application).values_list("name", flat=True))
    state = _state(application)
    shared, _more = application_shared_page(application=application, limit=1000)
    context = {
        "state": state,
        "role_names": role_names,
        "common_roles": [{"name": name, "checked": name in state["common_roles"]} for name in role_names],
        "org_rows": _org_rows(application, state, role_names),
        "shared": shared,
        "error": error,
        "role_modes": [
            (RoleSharing.ALL, _("Share all roles")),
            (RoleSharing.SELECTED, _("Share a common set of roles")),
            (RoleSharing.NONE, _("Do not share roles")),
        ],
    }
    return _detail(request, application, "sharing", context, status=400 if error else 200)
