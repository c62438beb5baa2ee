"""Flow definitions: the shipped defaults, drafts, immutable published versions, rollback and
inheritance down the organization tree.

* ``flow_save`` validates the whole graph and stores it as the organization's draft;
* ``flow_publish`` turns the draft into a new version (1, 2, ...) and makes it live;
* ``flow_replace`` is the management API's ``PUT /flow``: save and publish in one step;
* ``flow_rollback`` publishes a copy of an earlier version as the newest one;
* ``flow_delete`` stops customising: the organization uses its nearest ancestor's live flow again
  (or the shipped default). Its versions stay, for history; numbering continues after them.

Which live flow an organization runs is resolved by the one inheritance service
(``apps.orgs.inheritance``, kind ``flows``, see ``inherited.py``); every write here calls
``inheritance_changed`` in its transaction.

A flow in progress is not affected by any of these: its execution context carries its own plan."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.audit import actor_fields, audit_record
from apps.core.cache import BoundedCache
from apps.flows.constants import canonical_flow_type
from apps.flows.errors import FlowError
from apps.flows.models import FlowDefinition, FlowVersion
from apps.flows.plan import Plan, plan_compile
from apps.flows.services.inherited import flows_changed, flows_resolve, version_name
from apps.flows.validation import flow_problems

DEFAULTS_DIR = Path(__file__).resolve().parent.parent / "defaults"
# Published versions never change: their compiled plans can be kept per process without expiry.
_PLANS = BoundedCache(max_entries=2048, ttl_seconds=24 * 3600)


def flow_type_check(flow_type: Any) -> str:
    canonical = canonical_flow_type(flow_type)
    if canonical is None:
        raise FlowError(
            "FM-10001",
            _("Unsupported flow type."),
            _("Use REGISTRATION, PASSWORD_RECOVERY or INVITED_USER_REGISTRATION (ASK_PASSWORD)."),
        )
    return canonical


@cache
def _default_raw(flow_type: str) -> str:
    return (DEFAULTS_DIR / f"{flow_type.lower()}.json").read_text(encoding="utf-8")


def flow_default_steps(flow_type: str) -> list[dict[str, Any]]:
    """The shipped default flow of ``flow_type`` (a fresh copy)."""
    return json.loads(_default_raw(flow_type_check(flow_type)))["steps"]


@cache
def _default_plan(flow_type: str) -> Plan:
    return plan_compile(flow_type, flow_default_steps(flow_type), version=None)


# --- reads -----------------------------------------------------------------------------------------


def _live_source(organization: Any, flow_type: str) -> tuple[Any, int] | None:
    """``(organization id, version)`` of the nearest organization (itself first) with a live flow,
    resolved by ``apps.orgs.inheritance`` (kind ``flows``)."""
    version, source = flows_resolve(organization).resolve(version_name(flow_type))
    if version is None or source is None:
        return None
    return source, version


def _version_row(org_id: Any, flow_type: str, version: int) -> FlowVersion | None:
    return FlowVersion.objects.filter(organization_id=org_id, flow_type=flow_type, version=version).first()


def flow_get(organization: Any, flow_type: Any, *, draft: bool = False) -> dict[str, Any]:
    """The flow ``organization`` runs: ``{flowType, steps, version, inheritedFrom, isDefault, hasDraft}``.

    ``version`` is None for the shipped default; ``inheritedFrom`` is the id of the ancestor whose
    flow is used (None when it is the organization's own or the default). With ``draft=True`` the
    organization's unpublished draft is returned instead when there is one."""
    flow_type = flow_type_check(flow_type)
    own = FlowDefinition.objects.filter(organization_id=organization.pk, flow_type=flow_type).first()
    has_draft = own is not None and own.draft_steps is not None
    if draft and has_draft:
        return {
            "flowType": flow_type,
            "steps": copy.deepcopy(own.draft_steps),
            "version": None,
            "inheritedFrom": None,
            "isDefault": False,
            "hasDraft": True,
            "isDraft": True,
        }
    source = _live_source(organization, flow_type)
    row = _version_row(source[0], flow_type, source[1]) if source else None
    if row is None:
        return {
            "flowType": flow_type,
            "steps": flow_default_steps(flow_type),
            "version": None,
            "inheritedFrom": None,
            "isDefault": True,
            "hasDraft": has_draft,
            "isDraft": False,
        }
    inherited = str(row.organization_id) if row.organization_id != organization.pk else None
    return {
        "flowType": flow_type,
        "steps": copy.deepcopy(row.steps),
        "version": row.version if inherited is None else None,
        "inheritedFrom": inherited,
        "isDefault": False,
        "hasDraft": has_draft,
        "isDraft": False,
    }


def flow_plan(organization: Any, flow_type: str, *, draft: bool = False) -> Plan:
    """The compiled plan a new execution starts on (the draft's for a sandboxed "try it")."""
    flow_type = flow_type_check(flow_type)
    if draft:
        own = FlowDefinition.objects.filter(organization_id=organization.pk, flow_type=flow_type).first()
        if own is not None and own.draft_steps is not None:
            return plan_compile(flow_type, own.draft_steps, version=None)
    source = _live_source(organization, flow_type)
    if source is None:
        return _default_plan(flow_type)
    key = (str(source[0]), flow_type, source[1])
    plan = _PLANS.get(key)
    if plan is None:
        row = _version_row(source[0], flow_type, source[1])
        if row is None:
            return _default_plan(flow_type)
        plan = plan_compile(flow_type, row.steps, version=row.version)
        _PLANS.put(key, plan)
    return plan


def flow_versions(organization: Any, flow_type: Any) -> list[dict[str, Any]]:
    """The organization's own published versions, newest first."""
    flow_type = flow_type_check(flow_type)
    return [
        {
            "version": row.version,
            "publishedAt": row.published_at.isoformat(),
            "publishedBy": row.published_by,
            "source": row.source,
            "steps": row.steps,
        }
        for row in FlowVersion.objects.filter(organization_id=organization.pk, flow_type=flow_type)
    ]


def flow_validate(organization: Any, flow_type: Any, steps: Any) -> list[dict[str, Any]]:
    """Every problem of ``steps`` as a ``flow_type`` flow (empty when it can be saved)."""
    return flow_problems(organization, flow_type, steps)


# --- writes ----------------------------------------------------------------------------------------


def _refuse_invalid(organization: Any, flow_type: str, steps: Any) -> None:
    problems = flow_problems(organization, flow_type, steps)
    if problems:
        first = problems[0]
        description = first["description"]
        if len(problems) > 1:
            description += " " + _("(%(n)d more problems.)") % {"n": len(problems) - 1}
        raise FlowError(first["code"], first["message"], description, errors=problems)


def _definition_locked(organization: Any, flow_type: str) -> FlowDefinition:
    definition, _created = FlowDefinition.objects.get_or_create(organization=organization, flow_type=flow_type)
    return FlowDefinition.objects.select_for_update().get(pk=definition.pk)


def _changed(organization: Any) -> None:
    """Every write below: other processes' cached resolutions (kind ``flows``) become stale."""
    flows_changed(organization)


def _actor_name(actor: Any) -> tuple[str, str]:
    fields = actor_fields(actor)
    return fields["actor_id"], fields["actor_name"]


@transaction.atomic
def flow_save(*, actor: Any, organization: Any, flow_type: Any, steps: Any) -> dict[str, Any]:
    """Validate ``steps`` and keep them as the organization's draft (not live until published)."""
    flow_type = flow_type_check(flow_type)
    _refuse_invalid(organization, flow_type, steps)
    definition = _definition_locked(organization, flow_type)
    definition.draft_steps = steps
    definition.draft_updated = timezone.now()
    definition.draft_updated_by = _actor_name(actor)[1]
    definition.save()
    _changed(organization)
    audit_record(
        actor=actor,
        action="flow.draft.save",
        target_type="flow",
        target_id=flow_type,
        organization=organization,
        data={"steps": len(steps)},
    )
    return flow_get(organization, flow_type, draft=True)


def _publish(*, actor: Any, organization: Any, flow_type: str, steps: Any, source: str) -> int:
    definition = _definition_locked(organization, flow_type)
    latest = FlowVersion.objects.filter(organization_id=organization.pk, flow_type=flow_type).aggregate(
        n=Max("version")
    )
    number = (latest["n"] or 0) + 1
    actor_id, actor_name = _actor_name(actor)
    FlowVersion.objects.create(
        organization=organization,
        flow_type=flow_type,
        version=number,
        steps=steps,
        published_by_id=actor_id,
        published_by=actor_name,
        source=source,
    )
    definition.live_version = number
    definition.draft_steps = None
    definition.draft_updated = None
    definition.draft_updated_by = ""
    definition.save()
    _changed(organization)
    audit_record(
        actor=actor,
        action="flow.publish",
        target_type="flow",
        target_id=flow_type,
        organization=organization,
        data={"version": number, "source": source},
    )
    return number


@transaction.atomic
def flow_publish(*, actor: Any, organization: Any, flow_type: Any) -> int:
    """Publish the draft as a new immutable version; returns its number."""
    flow_type = flow_type_check(flow_type)
    definition = _definition_locked(organization, flow_type)
    if definition.draft_steps is None:
        raise FlowError("FM-10014", _("There is no draft to publish."), _("Save the flow first."))
    steps = definition.draft_steps
    _refuse_invalid(organization, flow_type, steps)  # attributes may have changed since the save
    return _publish(actor=actor, organization=organization, flow_type=flow_type, steps=steps, source="publish")


@transaction.atomic
def flow_replace(*, actor: Any, organization: Any, flow_type: Any, steps: Any) -> tuple[int, bool]:
    """``PUT /flow``: validate, save and publish at once. ``(version, True when the organization
    had no flow of its own before)``."""
    flow_type = flow_type_check(flow_type)
    _refuse_invalid(organization, flow_type, steps)
    own = FlowDefinition.objects.filter(organization_id=organization.pk, flow_type=flow_type).first()
    created = own is None or own.live_version is None
    version = _publish(actor=actor, organization=organization, flow_type=flow_type, steps=steps, source="api")
    return version, created


@transaction.atomic
def flow_rollback(*, actor: Any, organization: Any, flow_type: Any, version: Any) -> int:
    """Publish a copy of ``version`` as the newest version (the draft is discarded)."""
    flow_type = flow_type_check(flow_type)
    try:
        number = int(version)
    except (TypeError, ValueError):
        number = -1
    row = _version_row(organization.pk, flow_type, number) if number > 0 else None
    if row is None:
        raise FlowError(
            "FM-10015", _("Version not found."), _("This organization has no version %(v)s.") % {"v": version}, 404
        )
    _refuse_invalid(organization, flow_type, row.steps)
    return _publish(
        actor=actor, organization=organization, flow_type=flow_type, steps=row.steps, source=f"rollback:{number}"
    )


@transaction.atomic
def flow_delete(*, actor: Any, organization: Any, flow_type: Any) -> None:
    """Stop customising ``flow_type``: the nearest ancestor's flow (or the default) applies again."""
    flow_type = flow_type_check(flow_type)
    definition = (
        FlowDefinition.objects.select_for_update().filter(organization=organization, flow_type=flow_type).first()
    )
    if definition is None or (definition.live_version is None and definition.draft_steps is None):
        return
    definition.live_version = None
    definition.draft_steps = None
    definition.draft_updated = None
    definition.save()
    _changed(organization)
    audit_record(actor=actor, action="flow.delete", target_type="flow", target_id=flow_type, organization=organization)
