"""Reads of attribute definitions, their SCIM and OIDC views, and user values.

Definitions belong to the root organization (tenant); a sub-organization
reads its root's through ``definitions_owner`` (the one place where the
organizations issue can later add per-organization overrides)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from apps.attributes.models import (
    LOCAL_CLAIM_PREFIX,
    LOCAL_DIALECT_URI,
    OIDC_DIALECT_URI,
    SCIM_EXTENSION_DIALECTS,
    ClaimDialect,
    ExternalClaim,
    LocalClaim,
    OIDCScope,
)
from apps.attributes.types import SCIM_TYPES, effective_input_format
from apps.core.cache import BoundedCache

# --- ownership ---------------------------------------------------------------------


def definitions_owner_id(organization: Any) -> Any:
    """The id of the organization whose definitions ``organization`` uses: its root."""
    return organization.root_id or organization.pk


# --- typed snapshots -------------------------------------------------------------------


@dataclass(frozen=True)
class AttributeDefinition:
    """A local claim as the validation service and the forms use it."""

    claim_uri: str
    display_name: str
    description: str
    data_type: str
    multi_valued: bool
    required: bool
    read_only: bool
    unique: bool
    supported_by_default: bool
    regex: str
    min_length: int | None
    max_length: int | None
    min_value: Decimal | None
    max_value: Decimal | None
    display_order: int
    input_format: str
    options: tuple[tuple[str, str], ...]  # (label, value)
    sub_attributes: tuple[str, ...]  # claim URIs
    storage: str
    in_attributes: bool
    system: bool
    children: tuple[AttributeDefinition, ...] = field(default=())

    @property
    def name(self) -> str:
        return self.claim_uri.removeprefix(LOCAL_CLAIM_PREFIX)

    @property
    def option_values(self) -> tuple[str, ...]:
        return tuple(value for _label, value in self.options)


def definition_of(claim: LocalClaim, *, children: tuple[AttributeDefinition, ...] = ()) -> AttributeDefinition:
    options = tuple(
        (str(item.get("label") or item.get("value")), str(item.get("value")))
        for item in claim.canonical_values or []
        if isinstance(item, dict) and item.get("value") is not None
    )
    return AttributeDefinition(
        claim_uri=claim.claim_uri,
        display_name=claim.display_name,
        description=claim.description,
        data_type=claim.data_type,
        multi_valued=claim.multi_valued,
        required=claim.required,
        read_only=claim.read_only,
        unique=claim.unique,
        supported_by_default=claim.supported_by_default,
        regex=claim.regex,
        min_length=claim.min_length,
        max_length=claim.max_length,
        min_value=claim.min_value,
        max_value=claim.max_value,
        display_order=claim.display_order,
        input_format=effective_input_format(
            claim.data_type, multi_valued=claim.multi_valued, has_options=bool(options), chosen=claim.input_format
        ),
        options=options,
        sub_attributes=tuple(claim.sub_attributes or ()),
        storage=claim.storage,
        in_attributes=claim.in_attributes,
        system=claim.system,
        children=children,
    )


# --- local claims and dialects ---------------------------------------------------------


def local_claim_list(*, organization: Any) -> QuerySet[LocalClaim]:
    return LocalClaim.objects.filter(organization_id=definitions_owner_id(organization)).order_by(
        "display_order", "claim_uri"
    )


def local_claim_get(*, organization: Any, claim_uri: str) -> LocalClaim | None:
    return local_claim_list(organization=organization).filter(claim_uri=claim_uri).first()


def local_claim_get_by_id(*, organization: Any, claim_id: str) -> LocalClaim | None:
    uri = id_decode(claim_id)
    return None if uri is None else local_claim_get(organization=organization, claim_uri=uri)


def attribute_definitions(*, organization: Any) -> list[AttributeDefinition]:
    """Every local claim of the organization, as snapshots (one query)."""
    return [definition_of(claim) for claim in local_claim_list(organization=organization)]


def dialect_list(*, organization: Any) -> QuerySet[ClaimDialect]:
    return ClaimDialect.objects.filter(organization_id=definitions_owner_id(organization)).order_by("dialect_uri")


def dialect_get_by_id(*, organization: Any, dialect_id: str) -> ClaimDialect | None:
    uri = LOCAL_DIALECT_URI if dialect_id == "local" else id_decode(dialect_id)
    return None if uri is None else dialect_list(organization=organization).filter(dialect_uri=uri).first()


def external_claim_list(*, dialect: ClaimDialect) -> QuerySet[ExternalClaim]:
    return ExternalClaim.objects.filter(dialect=dialect).select_related("local_claim", "dialect").order_by("claim_uri")


def external_claim_get_by_id(*, dialect: ClaimDialect, claim_id: str) -> ExternalClaim | None:
    uri = id_decode(claim_id)
    return None if uri is None else external_claim_list(dialect=dialect).filter(claim_uri=uri).first()


def oidc_scope_list(*, organization: Any) -> QuerySet[OIDCScope]:
    return (
        OIDCScope.objects.filter(organization_id=definitions_owner_id(organization))
        .prefetch_related("claims")
        .order_by("name")
    )


def oidc_scope_get(*, organization: Any, name: str) -> OIDCScope | None:
    return oidc_scope_list(organization=organization).filter(name=name).first()


def oidc_claim_choices(*, organization: Any) -> QuerySet[ExternalClaim]:
    """The external claims of the OIDC dialect, which scopes may release."""
    return (
        ExternalClaim.objects.filter(
            dialect__organization_id=definitions_owner_id(organization), dialect__dialect_uri=OIDC_DIALECT_URI
        )
        .select_related("local_claim")
        .order_by("claim_uri")
    )


# --- ids ---------------------------------------------------------------------------------


def id_encode(uri: str) -> str:
    """WSO2's resource id for a dialect or claim: unpadded base64url of its URI."""
    return base64.urlsafe_b64encode(uri.encode()).rstrip(b"=").decode()


def id_decode(value: str) -> str | None:
    if not value or len(value) > 1024:
        return None
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None


def dialect_id(dialect: ClaimDialect) -> str:
    return "local" if dialect.dialect_uri == LOCAL_DIALECT_URI else id_encode(dialect.dialect_uri)


# --- the interface of the SCIM engine ---------------------------------------------------


@dataclass(frozen=True)
class ScimAttribute:
    schema: str  # "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User" | "urn:scim:wso2:schema" | custom
    name: str  # SCIM attribute name inside that schema, e.g. "employeeNumber"
    claim_uri: str  # local claim, e.g. "http://wso2.org/claims/employeeNumber"; "" for a grouping parent
    storage_key: str  # key in User.attributes; "" for a grouping parent
    data_type: str  # "string" | "integer" | "decimal" | "boolean" | "dateTime" | "complex"
    multi_valued: bool
    required: bool
    mutability: str  # "readWrite" | "readOnly"
    unique: bool
    description: str
    canonical_values: tuple[str, ...]
    sub_attributes: tuple[ScimAttribute, ...]


def _scim_attribute(schema: str, name: str, claim: AttributeDefinition | None, subs: tuple = ()) -> ScimAttribute:
    if claim is None:  # "manager.displayName" mapped without a "manager" claim: a grouping parent
        return ScimAttribute(schema, name, "", "", "complex", False, False, "readWrite", False, "", (), subs)
    return ScimAttribute(
        schema=schema,
        name=name,
        claim_uri=claim.claim_uri,
        storage_key=claim.storage,
        data_type="complex" if subs else SCIM_TYPES.get(claim.data_type, "string"),
        multi_valued=claim.multi_valued,
        required=claim.required,
        mutability="readOnly" if claim.read_only else "readWrite",
        unique=claim.unique,
        description=claim.description,
        canonical_values=claim.option_values,
        sub_attributes=subs,
    )


def scim_extension_attributes(organization: Any) -> list[ScimAttribute]:
    """Every attribute of the enterprise, WSO2 and custom SCIM schemas whose values live
    in ``User.attributes``. A dotted mapping (``manager.displayName``) becomes a
    sub-attribute of a complex parent (``manager``)."""
    rows = (
        ExternalClaim.objects.filter(
            dialect__organization_id=definitions_owner_id(organization),
            dialect__dialect_uri__in=SCIM_EXTENSION_DIALECTS,
        )
        .select_related("local_claim", "dialect")
        .order_by("dialect__dialect_uri", "claim_uri")
    )
    # schema -> top-level name -> (definition or None, {sub name: definition})
    tree: dict[str, dict[str, tuple[AttributeDefinition | None, dict[str, AttributeDefinition]]]] = {}
    for row in rows:
        if not row.local_claim.in_attributes:
            continue
        schema = row.dialect.dialect_uri
        path = row.claim_uri.removeprefix(f"{schema}:")
        top, _, sub = path.partition(".")
        entry = tree.setdefault(schema, {}).setdefault(top, (None, {}))
        definition = definition_of(row.local_claim)
        if sub:
            entry[1][sub] = definition
        else:
            tree[schema][top] = (definition, entry[1])
    out: list[ScimAttribute] = []
    for schema in SCIM_EXTENSION_DIALECTS:
        for top, (definition, subs) in tree.get(schema, {}).items():
            sub_attributes = tuple(_scim_attribute(schema, name, sub) for name, sub in subs.items())
            out.append(_scim_attribute(schema, top, definition, sub_attributes))
    return out


# --- forms ------------------------------------------------------------------------------------


def user_form_attributes(organization: Any) -> list[AttributeDefinition]:
    """The attributes a user profile form shows, in display order: those kept in
    ``User.attributes`` and shown by default; an object lists its sub-attributes
    as ``children`` (which are not listed on their own)."""
    claims = list(local_claim_list(organization=organization))
    by_uri = {claim.claim_uri: claim for claim in claims}
    child_uris = {uri for claim in claims if claim.data_type == "complex" for uri in claim.sub_attributes or ()}
    out = []
    for claim in claims:
        if not claim.in_attributes or not claim.supported_by_default or claim.claim_uri in child_uris:
            continue
        children = tuple(
            definition_of(by_uri[uri])
            for uri in (claim.sub_attributes or ())
            if uri in by_uri and by_uri[uri].in_attributes
        )
        out.append(definition_of(claim, children=children))
    return out


# --- OIDC -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Catalogue:
    """What token issuance needs of a tenant's definitions, cached briefly."""

    scopes: dict[str, tuple[tuple[str, str], ...]]  # scope -> ((oidc claim, local claim uri), ...)
    definitions: dict[str, AttributeDefinition]  # local claim uri -> definition


# Per process, 30 s at most behind a change made by another process; a write in
# this process clears it at once (``catalogue_invalidate``).
_CATALOGUES = BoundedCache(max_entries=256, ttl_seconds=30)


def catalogue_invalidate() -> None:
    _CATALOGUES.clear()


def _catalogue(organization: Any) -> _Catalogue:
    owner = definitions_owner_id(organization)
    cached = _CATALOGUES.get(owner)
    if cached is not None:
        return cached
    scopes: dict[str, tuple[tuple[str, str], ...]] = {}
    for scope in OIDCScope.objects.filter(organization_id=owner).prefetch_related("claims__local_claim"):
        scopes[scope.name] = tuple(
            sorted((claim.claim_uri, claim.local_claim.claim_uri) for claim in scope.claims.all())
        )
    definitions = {claim.claim_uri: definition_of(claim) for claim in LocalClaim.objects.filter(organization_id=owner)}
    catalogue = _Catalogue(scopes=scopes, definitions=definitions)
    _CATALOGUES.put(owner, catalogue)
    return catalogue


def oidc_claims_for_scopes(organization: Any, scopes: Iterable[str]) -> list[tuple[str, str]]:
    """(OIDC claim name, local claim URI) released by ``scopes``, without duplicates."""
    catalogue = _catalogue(organization)
    seen: dict[str, str] = {}
    for scope in scopes:
        for oidc_name, local_uri in catalogue.scopes.get(scope, ()):
            seen.setdefault(oidc_name, local_uri)
    return list(seen.items())


def oidc_scope_names(organization: Any) -> frozenset[str]:
    """Names of the OIDC scopes (default and custom) of the organization."""
    return frozenset(_catalogue(organization).scopes)


# --- user values ------------------------------------------------------------------------------------


def _iso(value: Any) -> str:
    return value.isoformat(timespec="seconds").replace("+00:00", "Z")


def _stored_value(user: Any, storage: str) -> Any:
    if storage == "id":
        return str(user.id)
    if storage == "created":
        return _iso(user.created)
    if storage == "last_modified":
        return _iso(user.last_modified)
    if storage == "display_name":
        return user.display_name
    if storage == "state:locked":
        return user.state == "locked"
    if storage == "state:disabled":
        return user.state == "disabled"
    if storage in ("username", "email", "given_name", "family_name", "phone"):
        return getattr(user, storage)
    attributes = user.attributes if isinstance(user.attributes, dict) else {}
    return attributes.get(storage)


def user_claim_values(user: Any) -> dict[str, Any]:
    """Local claim URI -> the user's value, for every claim that has one (objects excluded)."""
    definitions = _catalogue(user.organization).definitions
    values: dict[str, Any] = {}
    for uri, definition in definitions.items():
        if definition.data_type == "complex":
            continue
        value = _stored_value(user, definition.storage)
        if value is not None and value != "" and value != []:
            values[uri] = value
    return values
