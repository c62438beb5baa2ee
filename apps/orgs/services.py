"""Every write to the organization tree. Codes follow WSO2's ``ORG-`` table."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from apps.core.audit import audit_record
from apps.core.errors import Conflict, InvalidInput
from apps.core.events import emit
from apps.core.text import contains_unstorable_text
from apps.orgs.models import HANDLE_VALIDATOR, Organization

RESERVED_NAMES = {"carbon.super", "super"}
NAME_MAX = 255
DESCRIPTION_MAX = 1024


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("ORG-60002", _("Organization name is required."), field="name")
    name = name.strip()
    if contains_unstorable_text(name):
        raise InvalidInput(
            "ORG-60001", _("Organization name must not contain NUL or surrogate characters."), field="name"
        )
    if len(name) > NAME_MAX:
        raise InvalidInput(
            "ORG-60001", _("Organization name must be at most %(n)d characters.") % {"n": NAME_MAX}, field="name"
        )
    if name.lower() in RESERVED_NAMES:
        raise InvalidInput("ORG-60017", _("This organization name is reserved."), field="name")
    return name


def _check_description(description: Any) -> str:
    if not isinstance(description, str):
        raise InvalidInput("ORG-60001", _("Description must be a string."), field="description")
    if contains_unstorable_text(description):
        raise InvalidInput(
            "ORG-60001", _("Description must not contain NUL or surrogate characters."), field="description"
        )
    if len(description) > DESCRIPTION_MAX:
        raise InvalidInput(
            "ORG-60001",
            _("Description must be at most %(n)d characters.") % {"n": DESCRIPTION_MAX},
            field="description",
        )
    return description


def _check_handle(handle: str) -> str:
    try:
        HANDLE_VALIDATOR(handle)
    except ValidationError as exc:
        raise InvalidInput("ORG-60086", str(exc.messages[0]), field="orgHandle") from exc
    if Organization.objects.filter(handle=handle).exists():
        raise Conflict("ORG-60085", _("Organization handle already exists."), field="orgHandle")
    return handle


def _check_sibling_name(*, parent: Organization | None, name: str, exclude: Organization | None = None) -> None:
    if parent is None:
        return
    siblings = Organization.objects.filter(parent=parent, name=name)
    if exclude is not None:
        siblings = siblings.exclude(pk=exclude.pk)
    if siblings.exists():
        raise InvalidInput(
            "ORG-60070",
            _("An organization named “%(name)s” already exists under the same parent.") % {"name": name},
            field="name",
        )


def _check_attributes(attributes: Any) -> dict[str, str]:
    if attributes is None:
        return {}
    if not isinstance(attributes, list):
        raise InvalidInput("ORG-60001", _("Attributes must be a list of {key, value} objects."), field="attributes")
    result: dict[str, str] = {}
    for item in attributes:
        if not isinstance(item, dict) or set(item) - {"key", "value"}:
            raise InvalidInput("ORG-60001", _("Each attribute must be a {key, value} object."), field="attributes")
        key, value = item.get("key"), item.get("value")
        if not isinstance(key, str) or not key.strip():
            raise InvalidInput("ORG-60003", _("Attribute keys must not be empty."), field="attributes")
        if key in result:
            raise InvalidInput("ORG-60004", _("Attribute keys must be unique."), field="attributes")
        if not isinstance(value, str) or not value:
            raise InvalidInput("ORG-60016", _("Attribute values must not be empty."), field="attributes")
        if contains_unstorable_text(key) or contains_unstorable_text(value):
            raise InvalidInput(
                "ORG-60001", _("Attributes must not contain NUL or surrogate characters."), field="attributes"
            )
        if len(key) > 255 or len(value) > 1024:
            raise InvalidInput("ORG-60001", _("Attribute key or value is too long."), field="attributes")
        result[key] = value
    return result


def _save(org: Organization, **kwargs: Any) -> None:
    try:
        with transaction.atomic():
            org.save(**kwargs)
    except IntegrityError as exc:  # lost a race on handle or sibling name
        raise Conflict("ORG-60085", _("Organization handle or name already exists.")) from exc


def _payload(org: Organization) -> dict[str, Any]:
    return {"id": str(org.id), "name": org.name, "orgHandle": org.handle, "parentId": str(org.parent_id or "")}


@transaction.atomic
def organization_create_root(*, actor: Any, handle: str, name: str, description: str = "") -> Organization:
    """Create a tenant (root organization)."""
    name = _check_name(name)
    handle = _check_handle(handle)
    org = Organization(handle=handle, name=name, description=_check_description(description), depth=0)
    org.root_id = org.id
    org.path = f"/{org.id.hex}/"
    _save(org)
    audit_record(
        actor=actor, action="organization.create", target_type="organization", target_id=org.id, organization=org
    )
    emit("organization.created", organization=org, payload=_payload(org))
    return org


@transaction.atomic
def organization_create(
    *,
    actor: Any,
    parent: Organization,
    name: Any,
    handle: str | None = None,
    description: Any = "",
    type: str = Organization.Type.TENANT,
    attributes: Any = None,
) -> Organization:
    """Create a sub-organization under ``parent``."""
    name = _check_name(name)
    parent = Organization.objects.select_for_update().get(pk=parent.pk)
    if not parent.is_active:
        raise InvalidInput("ORG-60031", _("Cannot create an organization under a disabled parent."), field="parentId")
    if type not in Organization.Type.values:
        raise InvalidInput("ORG-60034", _("Organization type must be TENANT or STRUCTURAL."), field="type")
    _check_sibling_name(parent=parent, name=name)
    org_id = uuid.uuid4()
    handle = _check_handle(handle if handle else str(org_id))
    org = Organization(
        id=org_id,
        handle=handle,
        name=name,
        description=_check_description(description or ""),
        type=type,
        parent=parent,
        root_id=parent.root_id,
        path=f"{parent.path}{org_id.hex}/",
        depth=parent.depth + 1,
        attributes=_check_attributes(attributes),
    )
    _save(org)
    from apps.applications.services.sharing import sharing_extend_to_organization  # applications depend on orgs

    sharing_extend_to_organization(organization=org)  # WSO2: "all future organizations" / cascading shares
    audit_record(
        actor=actor, action="organization.create", target_type="organization", target_id=org.id, organization=parent
    )
    emit("organization.created", organization=org, payload=_payload(org))
    return org


@transaction.atomic
def organization_update(
    *,
    actor: Any,
    organization: Organization,
    name: Any = None,
    description: Any = None,
    status: Any = None,
    attributes: Any = None,
) -> Organization:
    """Apply a validated set of changes; either all of them land or none."""
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    changed: dict[str, Any] = {}
    if name is not None:
        name = _check_name(name)
        if name != org.name:
            _check_sibling_name(parent=org.parent, name=name, exclude=org)
            org.name = changed["name"] = name
    if description is not None:
        org.description = changed["description"] = _check_description(description)
    if attributes is not None:
        org.attributes = changed["attributes"] = attributes
    if status is not None and status != org.status:
        if status not in Organization.Status.values:
            raise InvalidInput("ORG-60028", _("Status must be ACTIVE or DISABLED."), field="status")
        if status == Organization.Status.DISABLED:
            if org.is_root:
                raise InvalidInput("ORG-60050", _("A root organization cannot be disabled."), field="status")
            if Organization.objects.filter(parent=org, status=Organization.Status.ACTIVE).exists():
                raise InvalidInput("ORG-60029", _("Disable the active child organizations first."), field="status")
        elif org.parent is not None and not org.parent.is_active:
            raise InvalidInput("ORG-60030", _("The parent organization is disabled."), field="status")
        org.status = changed["status"] = status
    if changed:
        _save(org)
        audit_record(
            actor=actor,
            action="organization.update",
            target_type="organization",
            target_id=org.id,
            organization=org,
            data={"fields": sorted(changed)},
        )
        emit("organization.updated", organization=org, payload={**_payload(org), "changed": sorted(changed)})
    return org


def organization_attributes_from_list(attributes: Any) -> dict[str, str]:
    """Parse WSO2's ``[{key, value}]`` attribute list (used by the API and the Console)."""
    return _check_attributes(attributes)


@transaction.atomic
def organization_delete(*, actor: Any, organization: Organization) -> None:
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    if org.is_root:
        raise InvalidInput("ORG-60051", _("A root organization cannot be deleted here."))
    if Organization.objects.filter(parent=org).exists():
        raise InvalidInput(
            "ORG-60007",
            _("The organization has child organizations."),
            _("Delete or move the child organizations before deleting this organization."),
        )
    payload = _payload(org)
    parent = org.parent
    org.delete()
    audit_record(
        actor=actor,
        action="organization.delete",
        target_type="organization",
        target_id=payload["id"],
        organization=parent,
    )
    emit("organization.deleted", organization=parent, payload=payload)


@transaction.atomic
def tenant_create(
    *, actor: Any, handle: str, name: str, admin_username: str = "admin", admin_password: str | None = None
) -> Organization:
    """Create a root organization with an ``Administrator`` role holding every
    system permission, assigned to a first administrator user."""
    from apps.applications.services import api_resources_seed_system
    from apps.applications.system_apis import all_system_scope_names
    from apps.attributes.services import attributes_seed_defaults
    from apps.users.services import role_create, user_create

    api_resources_seed_system()
    root = organization_create_root(actor=actor, handle=handle, name=name)
    attributes_seed_defaults(organization=root)
    admin = user_create(actor=actor, organization=root, username=admin_username, password=admin_password)
    role_create(
        actor=actor,
        organization=root,
        name="Administrator",
        permissions=all_system_scope_names(),
        user_ids=[admin.id],
    )
    return root
