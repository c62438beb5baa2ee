"""The default definitions of a tenant, created idempotently (at tenant
creation, and by ``iam_bootstrap`` for tenants that predate them)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from apps.attributes import defaults
from apps.attributes.models import (
    LOCAL_CLAIM_PREFIX,
    LOCAL_DIALECT_URI,
    OIDC_DIALECT_URI,
    ClaimDialect,
    ExternalClaim,
    LocalClaim,
    OIDCScope,
)
from apps.attributes.services.common import definitions_changed
from apps.attributes.types import effective_input_format


@transaction.atomic
def attributes_seed_defaults(*, organization: Any) -> None:
    """Add whatever default claim, dialect, mapping or scope the root ``organization`` lacks;
    never changes what exists (an administrator may have edited it)."""
    if not organization.is_root:
        return
    org_id = organization.pk
    existing = set(LocalClaim.objects.filter(organization_id=org_id).values_list("claim_uri", flat=True))
    LocalClaim.objects.bulk_create(
        [
            LocalClaim(
                organization_id=org_id,
                claim_uri=LOCAL_CLAIM_PREFIX + claim.name,
                display_name=claim.display_name,
                description=claim.description,
                data_type=claim.data_type,
                multi_valued=claim.multi_valued,
                required=claim.required,
                read_only=claim.read_only,
                supported_by_default=claim.supported_by_default,
                regex=claim.regex,
                display_order=claim.display_order,
                input_format=effective_input_format(
                    claim.data_type, multi_valued=claim.multi_valued, has_options=False, chosen=claim.input_format
                ),
                storage=claim.storage,
                system=True,
            )
            for claim in defaults.LOCAL_CLAIMS
            if LOCAL_CLAIM_PREFIX + claim.name not in existing
        ]
    )
    dialect_kinds = {
        LOCAL_DIALECT_URI: ClaimDialect.Kind.LOCAL,
        **{uri: ClaimDialect.Kind.SCIM for uri in defaults.SCIM_DIALECTS},
        OIDC_DIALECT_URI: ClaimDialect.Kind.OIDC,
    }
    have = set(ClaimDialect.objects.filter(organization_id=org_id).values_list("dialect_uri", flat=True))
    ClaimDialect.objects.bulk_create(
        [
            ClaimDialect(organization_id=org_id, dialect_uri=uri, kind=kind, system=True)
            for uri, kind in dialect_kinds.items()
            if uri not in have
        ]
    )
    dialects = {d.dialect_uri: d for d in ClaimDialect.objects.filter(organization_id=org_id)}
    locals_by_name = {
        c.claim_uri.removeprefix(LOCAL_CLAIM_PREFIX): c for c in LocalClaim.objects.filter(organization_id=org_id)
    }
    mapped = set(
        ExternalClaim.objects.filter(dialect__organization_id=org_id).values_list("dialect__dialect_uri", "claim_uri")
    )
    wanted = [*defaults.SCIM_MAPPINGS, *((OIDC_DIALECT_URI, name, local) for name, local in defaults.OIDC_MAPPINGS)]
    ExternalClaim.objects.bulk_create(
        [
            ExternalClaim(dialect=dialects[dialect_uri], claim_uri=claim_uri, local_claim=locals_by_name[local])
            for dialect_uri, claim_uri, local in wanted
            if (dialect_uri, claim_uri) not in mapped and local in locals_by_name
        ]
    )
    scopes_have = set(OIDCScope.objects.filter(organization_id=org_id).values_list("name", flat=True))
    missing = {name: spec for name, spec in defaults.OIDC_SCOPES.items() if name not in scopes_have}
    if missing:
        OIDCScope.objects.bulk_create(
            [
                OIDCScope(organization_id=org_id, name=name, display_name=label, description=text, system=True)
                for name, (label, text, _claims) in missing.items()
            ]
        )
        oidc_claims = {c.claim_uri: c for c in ExternalClaim.objects.filter(dialect=dialects[OIDC_DIALECT_URI])}
        links = OIDCScope.claims.through
        links.objects.bulk_create(
            [
                links(oidcscope_id=scope.pk, externalclaim_id=oidc_claims[claim].pk)
                for scope in OIDCScope.objects.filter(organization_id=org_id, name__in=missing)
                for claim in missing[scope.name][2]
                if claim in oidc_claims
            ]
        )
    definitions_changed()
