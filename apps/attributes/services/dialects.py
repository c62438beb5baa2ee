"""Writes to claim dialects and external claims (mappings onto local claims)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from apps.attributes.models import LOCAL_DIALECT_URI, ClaimDialect, ExternalClaim, LocalClaim
from apps.attributes.selectors import definitions_owner_id
from apps.attributes.services.common import clean_label, definitions_changed, require_root
from apps.core.audit import audit_record
from apps.core.errors import Conflict, InvalidInput
from apps.core.events import emit


def _record(actor: Any, organization: Any, action: str, target: str, **data: Any) -> None:
    audit_record(
        actor=actor,
        action=action,
        target_type="claim_dialect",
        target_id=target,
        organization=organization,
        data=data or None,
    )
    emit(action, organization=organization, payload={"uri": target, **data})
    definitions_changed()


def _clean_uri(value: Any, *, field: str, code: str, label: str) -> str:
    uri = clean_label(value, field=field, label=label, code=code, max_length=255, required=True)
    if any(ch.isspace() for ch in uri):
        raise InvalidInput("CMT-50037", _("%(l)s must not contain spaces.") % {"l": label}, field=field)
    return uri


@transaction.atomic
def dialect_create(*, actor: Any, organization: Any, dialect_uri: Any) -> ClaimDialect:
    require_root(organization)
    uri = _clean_uri(dialect_uri, field="dialectURI", code="CMT-50028", label=_("Dialect URI"))
    if (
        uri == LOCAL_DIALECT_URI
        or ClaimDialect.objects.filter(organization_id=organization.pk, dialect_uri=uri).exists()
    ):
        raise Conflict("CMT-60002", _("Claim dialect %(u)s already exists.") % {"u": uri}, field="dialectURI")
    dialect = ClaimDialect.objects.create(organization=organization, dialect_uri=uri, kind=ClaimDialect.Kind.CUSTOM)
    _record(actor, organization, "claim_dialect.created", uri)
    return dialect


def _custom_only(dialect: ClaimDialect) -> None:
    if dialect.system:
        raise InvalidInput("CMT-50037", _("Built-in dialects cannot be renamed or deleted."))


@transaction.atomic
def dialect_update(*, actor: Any, organization: Any, dialect: ClaimDialect, dialect_uri: Any) -> ClaimDialect:
    """Rename a custom dialect; its claims' URIs keep their old prefix (as WSO2's do)."""
    require_root(organization)
    _custom_only(dialect)
    uri = _clean_uri(dialect_uri, field="dialectURI", code="CMT-50028", label=_("Dialect URI"))
    if uri != dialect.dialect_uri:
        if (
            uri == LOCAL_DIALECT_URI
            or ClaimDialect.objects.filter(organization_id=organization.pk, dialect_uri=uri).exists()
        ):
            raise Conflict("CMT-60002", _("Claim dialect %(u)s already exists.") % {"u": uri}, field="dialectURI")
        previous = dialect.dialect_uri
        dialect.dialect_uri = uri
        dialect.save(update_fields=["dialect_uri"])
        _record(actor, organization, "claim_dialect.updated", uri, previous=previous)
    return dialect


@transaction.atomic
def dialect_delete(*, actor: Any, organization: Any, dialect: ClaimDialect) -> None:
    require_root(organization)
    _custom_only(dialect)
    uri = dialect.dialect_uri
    dialect.delete()
    _record(actor, organization, "claim_dialect.deleted", uri)


def _mapped_local_claim(organization: Any, mapped_local_claim_uri: Any) -> LocalClaim:
    if not isinstance(mapped_local_claim_uri, str) or not mapped_local_claim_uri:
        raise InvalidInput("CMT-50035", _("Mapped local claim URI cannot be empty."), field="mappedLocalClaimURI")
    claim = LocalClaim.objects.filter(
        organization_id=definitions_owner_id(organization), claim_uri=mapped_local_claim_uri
    ).first()
    if claim is None:
        raise InvalidInput("CMT-50036", _("Mapped local claim URI is invalid."), field="mappedLocalClaimURI")
    return claim


def _check_claim_uri(dialect: ClaimDialect, claim_uri: Any) -> str:
    uri = _clean_uri(claim_uri, field="claimURI", code="CMT-50032", label=_("External claim URI"))
    if dialect.kind == ClaimDialect.Kind.SCIM and not uri.startswith(f"{dialect.dialect_uri}:"):
        raise InvalidInput(
            "CMT-50037",
            _("A claim of the SCIM schema %(d)s must start with “%(d)s:”.") % {"d": dialect.dialect_uri},
            field="claimURI",
        )
    return uri


@transaction.atomic
def external_claim_create(
    *, actor: Any, organization: Any, dialect: ClaimDialect, claim_uri: Any, mapped_local_claim_uri: Any
) -> ExternalClaim:
    require_root(organization)
    if dialect.dialect_uri == LOCAL_DIALECT_URI:
        raise InvalidInput(
            "CMT-50033",
            _("The provided claim dialect is the local claim dialect and cannot be used as an external dialect."),
        )
    uri = _check_claim_uri(dialect, claim_uri)
    local = _mapped_local_claim(organization, mapped_local_claim_uri)
    if ExternalClaim.objects.filter(dialect=dialect, claim_uri=uri).exists():
        raise Conflict(
            "CMT-50038", _("External claim URI already exists. External claim URI must be unique."), field="claimURI"
        )
    try:
        with transaction.atomic():
            claim = ExternalClaim.objects.create(dialect=dialect, claim_uri=uri, local_claim=local)
    except IntegrityError as exc:
        raise Conflict("CMT-50038", _("External claim URI already exists.")) from exc
    _record(actor, organization, "claim_mapping.created", uri, dialect=dialect.dialect_uri, localClaim=local.claim_uri)
    return claim


@transaction.atomic
def external_claim_update(
    *, actor: Any, organization: Any, claim: ExternalClaim, mapped_local_claim_uri: Any, claim_uri: Any = None
) -> ExternalClaim:
    require_root(organization)
    if claim_uri is not None and claim_uri != claim.claim_uri:
        raise InvalidInput(
            "CMT-50020",
            _("Existing external claim uri %(u)s cannot be changed.") % {"u": claim.claim_uri},
            field="claimURI",
        )
    local = _mapped_local_claim(organization, mapped_local_claim_uri)
    if local.pk != claim.local_claim_id:
        claim.local_claim = local
        claim.save(update_fields=["local_claim"])
        _record(
            actor,
            organization,
            "claim_mapping.updated",
            claim.claim_uri,
            dialect=claim.dialect.dialect_uri,
            localClaim=local.claim_uri,
        )
    return claim


@transaction.atomic
def external_claim_delete(*, actor: Any, organization: Any, claim: ExternalClaim) -> None:
    """Remove a mapping; an OIDC claim leaves the scopes that released it."""
    require_root(organization)
    uri, dialect_uri = claim.claim_uri, claim.dialect.dialect_uri
    claim.delete()
    _record(actor, organization, "claim_mapping.deleted", uri, dialect=dialect_uri)
