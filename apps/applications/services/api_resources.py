"""Writes to API resources (BUSINESS APIs and MCP servers) and their scopes.

Rules: resources belong to a root organization and are managed there; system
resources are read-only; the identifier (the token audience, RFC 8707
``resource``) is unique in the root organization and among system APIs, and
never changes; scope names are unique in the root organization across all its
resources and the system APIs (roles name scopes by name), follow RFC 6749's
scope-token syntax and stay clear of OIDC's and the system's names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from apps.applications.models import APIResource, AuthorizedAPI, Scope
from apps.applications.services.authorized_apis import application_touch
from apps.applications.services.validation import LOOPBACK_HOSTS, clean_name, clean_text
from apps.core.audit import audit_record
from apps.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from apps.core.events import emit
from apps.orgs.models import Organization

SCOPE_TOKEN_RE = re.compile(r"^[\x21\x23-\x5B\x5D-\x7E]+$")  # RFC 6749 §3.3 scope-token
IDENTIFIER_RE = re.compile(r"^[\x21-\x7E]+$")
RESERVED_SCOPES = frozenset({"openid", "profile", "email", "address", "phone", "offline_access"})
WRITABLE_TYPES = (APIResource.Type.BUSINESS, APIResource.Type.MCP)
MAX_SCOPES = 500
_SCOPE_KEYS = {"name", "display_name", "description"}


def _root_for_write(organization: Organization) -> Organization:
    """The root organization, locked: identifier and scope-name checks then see no concurrent writer."""
    if not organization.is_root:
        raise Forbidden("APR-60008", _("API resources are managed in the root organization."))
    return Organization.objects.select_for_update().get(pk=organization.pk)


def _writable(organization: Organization, api_resource: APIResource) -> Organization:
    if api_resource.organization_id is None or api_resource.type == APIResource.Type.SYSTEM:
        raise Forbidden("APR-60003", _("System API resources are read-only."))
    if api_resource.organization_id != organization.root_id:
        raise NotFound("APR-60015", _("API resource not found."))
    return _root_for_write(organization)


def _clean_identifier(value: Any, *, resource_type: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("APR-60002", _("An identifier is required."), field="identifier")
    identifier = value.strip()
    if len(identifier) > 512 or not IDENTIFIER_RE.match(identifier):
        raise InvalidInput(
            "APR-60006",
            _("The identifier must be at most 512 printable ASCII characters without spaces."),
            field="identifier",
        )
    if "#" in identifier:
        raise InvalidInput("APR-60006", _("The identifier must not contain a fragment (#)."), field="identifier")
    if resource_type == APIResource.Type.MCP:
        # Clients send it as the RFC 8707 ``resource``: the MCP server's canonical URI.
        try:
            parts = urlsplit(identifier)
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError as exc:
            raise InvalidInput("APR-60006", _("The identifier is not a valid URL."), field="identifier") from exc
        secure = parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS)
        if not secure or not parts.hostname or parts.username is not None:
            raise InvalidInput(
                "APR-60006",
                _("An MCP server's identifier is its URL: https, or http on localhost."),
                field="identifier",
            )
    return identifier


def _clean_type(value: Any) -> str:
    if value not in WRITABLE_TYPES:
        raise InvalidInput("APR-60001", _("The type must be BUSINESS or MCP."), field="type")
    return value


def _clean_scopes(specs: Any, *, field: str = "scopes") -> list[dict[str, str]]:
    if isinstance(specs, str | Mapping) or not isinstance(specs, Iterable):
        raise InvalidInput("APR-60007", _("Scopes must be a list."), field=field)
    cleaned: dict[str, dict[str, str]] = {}
    for spec in specs:
        if not isinstance(spec, Mapping) or set(spec) - _SCOPE_KEYS or "name" not in spec:
            raise InvalidInput(
                "APR-60007", _("Each scope needs a name (and optionally a display name and description)."), field=field
            )
        name = spec["name"]
        if not isinstance(name, str) or not name or len(name) > 255 or not SCOPE_TOKEN_RE.match(name):
            raise InvalidInput(
                "APR-60007",
                _(
                    "Scope name “%(name)s” must be 1-255 printable ASCII characters "
                    "without spaces, quotes or backslashes."
                )
                % {"name": str(name)[:100]},
                field=field,
            )
        if name in RESERVED_SCOPES or name.startswith("internal_"):
            raise InvalidInput("APR-60007", _("Scope name “%(name)s” is reserved.") % {"name": name}, field=field)
        if name in cleaned:
            raise InvalidInput("APR-60007", _("Scope “%(name)s” is listed twice.") % {"name": name}, field=field)
        display = clean_text(spec.get("display_name"), field="display_name", max_length=255, code="APR-60001")
        cleaned[name] = {
            "name": name,
            "display_name": display or name,
            "description": clean_text(spec.get("description"), field="description", max_length=1024, code="APR-60001"),
        }
    if len(cleaned) > MAX_SCOPES:
        raise InvalidInput(
            "APR-60007", _("An API resource may have at most %(n)d scopes.") % {"n": MAX_SCOPES}, field=field
        )
    return list(cleaned.values())


def _check_scope_names_free(*, root: Organization, names: Iterable[str], exclude: APIResource | None = None) -> None:
    names = list(names)
    if not names:
        return
    taken = Scope.objects.filter(api_resource__in=APIResource.objects.for_org(root), name__in=names)
    if exclude is not None:
        taken = taken.exclude(api_resource=exclude)
    clash = sorted(set(taken.values_list("name", flat=True)))
    if clash:
        raise Conflict(
            "APR-60005",
            _("These scope names are already used by another API resource: %(names)s.")
            % {"names": ", ".join(clash[:20])},
            field="scopes",
        )


def _payload(api_resource: APIResource, **extra: Any) -> dict[str, Any]:
    return {
        "id": str(api_resource.id),
        "name": api_resource.name,
        "identifier": api_resource.identifier,
        "type": api_resource.type,
        **extra,
    }


def _record(actor: Any, action: str, event: str, root: Organization, api_resource: APIResource, **extra: Any) -> None:
    payload = _payload(api_resource, **extra)
    audit_record(
        actor=actor, action=action, target_type="api_resource", target_id=api_resource.id, organization=root, data=extra
    )
    emit(event, organization=root, payload=payload)


def _touch_authorized_applications(api_resource: APIResource) -> None:
    application_touch(
        application_ids=AuthorizedAPI.objects.filter(api_resource=api_resource).values_list("application_id", flat=True)
    )


@transaction.atomic
def api_resource_create(
    *,
    actor: Any,
    organization: Organization,
    name: str,
    identifier: str,
    description: str = "",
    resource_type: str = APIResource.Type.BUSINESS,
    requires_authorization: bool = True,
    scopes: Iterable[Mapping[str, Any]] = (),
) -> APIResource:
    """A BUSINESS API or an MCP server of ``organization`` (a root organization), with its scopes."""
    root = _root_for_write(organization)
    resource_type = _clean_type(resource_type)
    resource = APIResource(
        organization=root,
        name=clean_name(name, code_prefix="APR"),
        identifier=_clean_identifier(identifier, resource_type=resource_type),
        description=clean_text(description, field="description", max_length=1024, code="APR-60001"),
        type=resource_type,
        requires_authorization=_boolean(requires_authorization, "requires_authorization"),
    )
    specs = _clean_scopes(scopes)
    taken = APIResource.objects.filter(
        Q(organization__isnull=True) | Q(organization=root), identifier=resource.identifier
    )
    if taken.exists():
        raise Conflict("APR-60004", _("An API resource with this identifier already exists."), field="identifier")
    _check_scope_names_free(root=root, names=[spec["name"] for spec in specs])
    try:
        with transaction.atomic():
            resource.save(force_insert=True)
    except IntegrityError as exc:
        raise Conflict(
            "APR-60004", _("An API resource with this identifier already exists."), field="identifier"
        ) from exc
    Scope.objects.bulk_create([Scope(api_resource=resource, **spec) for spec in specs])
    _record(actor, "api_resource.create", "api_resource.created", root, resource, scopes=[s["name"] for s in specs])
    return resource


def _boolean(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput("APR-60001", _("%(field)s must be true or false.") % {"field": field}, field=field)
    return value


def _remove_scopes(api_resource: APIResource, names: list[str], *, field: str) -> None:
    existing = set(Scope.objects.filter(api_resource=api_resource, name__in=names).values_list("name", flat=True))
    missing = set(names) - existing
    if missing:
        raise InvalidInput(
            "APR-60007",
            _("These scopes do not exist on this API resource: %(names)s.")
            % {"names": ", ".join(sorted(missing)[:20])},
            field=field,
        )
    # Roles and application authorizations holding them lose them with the rows.
    Scope.objects.filter(api_resource=api_resource, name__in=names).delete()


def _names(values: Any, field: str) -> list[str]:
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise InvalidInput("APR-60007", _("Give a list of scope names."), field=field)
    names = list(dict.fromkeys(values))
    if not all(isinstance(name, str) and name for name in names):
        raise InvalidInput("APR-60007", _("Give a list of scope names."), field=field)
    return names


@transaction.atomic
def api_resource_update(
    *,
    actor: Any,
    organization: Organization,
    api_resource: APIResource,
    name: str | None = None,
    description: str | None = None,
    requires_authorization: bool | None = None,
    added_scopes: Iterable[Mapping[str, Any]] = (),
    removed_scopes: Iterable[str] = (),
) -> APIResource:
    """Rename, describe, add and remove scopes. The identifier and type never change."""
    root = _writable(organization, api_resource)
    resource = APIResource.objects.select_for_update().get(pk=api_resource.pk)
    changed: list[str] = []
    if name is not None:
        resource.name = clean_name(name, code_prefix="APR")
        changed.append("name")
    if description is not None:
        resource.description = clean_text(description, field="description", max_length=1024, code="APR-60001")
        changed.append("description")
    if requires_authorization is not None:
        resource.requires_authorization = _boolean(requires_authorization, "requires_authorization")
        changed.append("requires_authorization")
    added = _clean_scopes(added_scopes, field="addedScopes")
    removed = _names(removed_scopes, "removedScopes")
    if {spec["name"] for spec in added} & set(removed):
        raise InvalidInput("APR-60007", _("A scope cannot be both added and removed."), field="scopes")
    existing = set(Scope.objects.filter(api_resource=resource).values_list("name", flat=True))
    duplicates = sorted({spec["name"] for spec in added} & existing)
    if duplicates:
        raise Conflict(
            "APR-60005",
            _("These scopes already exist on this API resource: %(names)s.") % {"names": ", ".join(duplicates[:20])},
            field="addedScopes",
        )
    _check_scope_names_free(root=root, names=[spec["name"] for spec in added])
    if len(existing) + len(added) - len(removed) > MAX_SCOPES:
        raise InvalidInput(
            "APR-60007", _("An API resource may have at most %(n)d scopes.") % {"n": MAX_SCOPES}, field="scopes"
        )
    resource.save()
    if removed:
        _remove_scopes(resource, removed, field="removedScopes")
        _touch_authorized_applications(resource)
    Scope.objects.bulk_create([Scope(api_resource=resource, **spec) for spec in added])
    _record(
        actor,
        "api_resource.update",
        "api_resource.updated",
        root,
        resource,
        changed=changed,
        addedScopes=[spec["name"] for spec in added],
        removedScopes=removed,
    )
    return resource


@transaction.atomic
def api_resource_set_scopes(
    *, actor: Any, organization: Organization, api_resource: APIResource, scopes: Iterable[Mapping[str, Any]]
) -> APIResource:
    """Make ``scopes`` the resource's scopes: new ones added, listed ones updated (keeping their
    roles and authorizations), unlisted ones removed."""
    root = _writable(organization, api_resource)
    resource = APIResource.objects.select_for_update().get(pk=api_resource.pk)
    specs = _clean_scopes(scopes)
    _check_scope_names_free(root=root, names=[spec["name"] for spec in specs], exclude=resource)
    current = {scope.name: scope for scope in Scope.objects.filter(api_resource=resource)}
    wanted = {spec["name"]: spec for spec in specs}
    removed = sorted(set(current) - set(wanted))
    if removed:
        Scope.objects.filter(api_resource=resource, name__in=removed).delete()
        _touch_authorized_applications(resource)
    for scope_name, spec in wanted.items():
        scope = current.get(scope_name)
        if scope is None:
            Scope.objects.create(api_resource=resource, **spec)
        elif (scope.display_name, scope.description) != (spec["display_name"], spec["description"]):
            scope.display_name, scope.description = spec["display_name"], spec["description"]
            scope.save(update_fields=["display_name", "description"])
    added = sorted(set(wanted) - set(current))
    _record(
        actor, "api_resource.update", "api_resource.updated", root, resource, addedScopes=added, removedScopes=removed
    )
    return resource


@transaction.atomic
def api_resource_delete(*, actor: Any, organization: Organization, api_resource: APIResource) -> None:
    """Delete the resource; its scopes leave every role and application authorization."""
    root = _writable(organization, api_resource)
    _touch_authorized_applications(api_resource)
    payload = _payload(api_resource)
    resource_id = api_resource.id
    api_resource.delete()
    audit_record(
        actor=actor,
        action="api_resource.delete",
        target_type="api_resource",
        target_id=resource_id,
        organization=root,
        data={"identifier": payload["identifier"]},
    )
    emit("api_resource.deleted", organization=root, payload=payload)
