"""WSO2's claim management and OIDC scope shapes: parse requests, render rows."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from rest_framework import serializers

from apps.attributes.models import LOCAL_DIALECT_URI, ClaimDialect, ExternalClaim, LocalClaim, OIDCScope
from apps.attributes.selectors import dialect_id, id_encode
from apps.core.api.serializers import StrictBooleanField, StrictCharField, StrictSerializer
from apps.core.errors import InvalidInput

UNIQUENESS_SCOPES = ("NONE", "WITHIN_USERSTORE", "ACROSS_USERSTORES")
# Our rules that WSO2's LocalClaimReq has no field for travel as ``properties``.
RULE_PROPERTIES = {
    "minLength": "min_length",
    "maxLength": "max_length",
    "minValue": "min_value",
    "maxValue": "max_value",
}
PRIMARY = "PRIMARY"


class LabelValueSerializer(StrictSerializer):
    label = StrictCharField(max_length=255, required=False, allow_blank=True)
    value = StrictCharField(max_length=255)


class InputFormatSerializer(StrictSerializer):
    inputType = StrictCharField(max_length=32)  # noqa: N815


class AttributeMappingSerializer(StrictSerializer):
    mappedAttribute = StrictCharField(max_length=128)  # noqa: N815
    userstore = StrictCharField(max_length=64)


class PropertySerializer(StrictSerializer):
    key = StrictCharField(max_length=255)
    value = StrictCharField(max_length=1024, allow_blank=True)


class LocalClaimSerializer(StrictSerializer):
    claimURI = StrictCharField(max_length=255)  # noqa: N815
    displayName = StrictCharField(max_length=255, allow_blank=True)  # noqa: N815
    description = StrictCharField(max_length=1024, required=False, allow_blank=True)
    displayOrder = serializers.IntegerField(required=False, min_value=-1_000_000, max_value=1_000_000)  # noqa: N815
    readOnly = StrictBooleanField(required=False)  # noqa: N815
    required = StrictBooleanField(required=False)
    supportedByDefault = StrictBooleanField(required=False)  # noqa: N815
    regEx = StrictCharField(max_length=255, required=False, allow_blank=True)  # noqa: N815
    dataType = StrictCharField(max_length=16, required=False)  # noqa: N815
    subAttributes = serializers.ListField(  # noqa: N815
        child=StrictCharField(max_length=255), required=False, max_length=50
    )
    canonicalValues = serializers.ListField(child=LabelValueSerializer(), required=False, max_length=200)  # noqa: N815
    multiValued = StrictBooleanField(required=False)  # noqa: N815
    inputFormat = InputFormatSerializer(required=False, allow_null=True)  # noqa: N815
    uniquenessScope = serializers.ChoiceField(choices=UNIQUENESS_SCOPES, required=False)  # noqa: N815
    attributeMapping = serializers.ListField(  # noqa: N815
        child=AttributeMappingSerializer(), required=False, max_length=20
    )
    properties = serializers.ListField(child=PropertySerializer(), required=False, max_length=50)
    # Accepted for compatibility with WSO2 clients; not used (one user store, no per-profile overrides).
    managedInUserStore = StrictBooleanField(required=False)  # noqa: N815
    extendedValued = StrictBooleanField(required=False)  # noqa: N815
    sharedProfileValueResolvingMethod = StrictCharField(max_length=64, required=False)  # noqa: N815
    profiles = serializers.DictField(required=False)


def local_claim_fields(data: dict[str, Any]) -> dict[str, Any]:
    """Service keyword arguments from a parsed ``LocalClaimReq``."""
    fields: dict[str, Any] = {
        "display_name": data["displayName"],
        "description": data.get("description", ""),
        "display_order": data.get("displayOrder", 0),
        "read_only": data.get("readOnly", False),
        "required": data.get("required", False),
        "supported_by_default": data.get("supportedByDefault", False),
        "regex": data.get("regEx", ""),
        "data_type": data.get("dataType", "string"),
        "sub_attributes": data.get("subAttributes", []),
        "canonical_values": [dict(item) for item in data.get("canonicalValues", [])],
        "multi_valued": data.get("multiValued", False),
        "input_format": (data.get("inputFormat") or {}).get("inputType", ""),
        "unique": data.get("uniquenessScope", "NONE") != "NONE",
    }
    for item in data.get("properties", []):
        name = RULE_PROPERTIES.get(item["key"])
        if name is None:
            continue
        raw = item["value"].strip()
        if name in ("min_length", "max_length"):
            if raw and not raw.isdigit():
                raise InvalidInput(
                    "CMT-50037", _("%(k)s must be a whole number.") % {"k": item["key"]}, field="properties"
                )
            fields[name] = int(raw) if raw else None
        else:
            fields[name] = raw or None
    mapping = [m for m in data.get("attributeMapping", []) if m["userstore"].upper() == PRIMARY]
    fields["storage"] = mapping[0]["mappedAttribute"] if mapping else None
    return fields


def _plain(number: Any) -> str:
    return format(number.normalize(), "f")


def local_claim_out(claim: LocalClaim) -> dict[str, Any]:
    properties = [
        {"key": key, "value": str(getattr(claim, name)) if "length" in name else _plain(getattr(claim, name))}
        for key, name in RULE_PROPERTIES.items()
        if getattr(claim, name) is not None
    ]
    return {
        "id": id_encode(claim.claim_uri),
        "claimURI": claim.claim_uri,
        "dialectURI": LOCAL_DIALECT_URI,
        "displayName": claim.display_name,
        "description": claim.description,
        "displayOrder": claim.display_order,
        "readOnly": claim.read_only,
        "required": claim.required,
        "supportedByDefault": claim.supported_by_default,
        "regEx": claim.regex,
        "dataType": claim.data_type,
        "subAttributes": list(claim.sub_attributes or []),
        "canonicalValues": list(claim.canonical_values or []),
        "multiValued": claim.multi_valued,
        "inputFormat": {"inputType": claim.input_format} if claim.input_format else None,
        "uniquenessScope": "ACROSS_USERSTORES" if claim.unique else "NONE",
        "attributeMapping": [{"mappedAttribute": claim.storage, "userstore": PRIMARY}],
        "properties": [*properties, {"key": "isSystemClaim", "value": "true" if claim.system else "false"}],
    }


class DialectSerializer(StrictSerializer):
    dialectURI = StrictCharField(max_length=255)  # noqa: N815


def dialect_out(dialect: ClaimDialect) -> dict[str, Any]:
    ident = dialect_id(dialect)
    if ident == "local":
        href = reverse("claim-local-claims")
    else:
        href = reverse("claim-external-claims", kwargs={"dialect_id": ident})
    return {"id": ident, "dialectURI": dialect.dialect_uri, "link": {"href": href, "rel": "claims"}}


class ExternalClaimSerializer(StrictSerializer):
    claimURI = StrictCharField(max_length=255)  # noqa: N815
    mappedLocalClaimURI = StrictCharField(max_length=255)  # noqa: N815


def external_claim_out(claim: ExternalClaim) -> dict[str, Any]:
    return {
        "id": id_encode(claim.claim_uri),
        "claimURI": claim.claim_uri,
        "claimDialectURI": claim.dialect.dialect_uri,
        "mappedLocalClaimURI": claim.local_claim.claim_uri,
    }


class OIDCScopeSerializer(StrictSerializer):
    name = StrictCharField(max_length=255)
    displayName = StrictCharField(max_length=255, allow_blank=True)  # noqa: N815
    description = StrictCharField(max_length=1024, required=False, allow_blank=True)
    claims = serializers.ListField(child=StrictCharField(max_length=255), required=False, max_length=200)


class OIDCScopeUpdateSerializer(StrictSerializer):
    displayName = StrictCharField(max_length=255, allow_blank=True)  # noqa: N815
    description = StrictCharField(max_length=1024, required=False, allow_blank=True)
    claims = serializers.ListField(child=StrictCharField(max_length=255), required=False, max_length=200)


def oidc_scope_out(scope: OIDCScope) -> dict[str, Any]:
    return {
        "name": scope.name,
        "displayName": scope.display_name,
        "description": scope.description,
        "claims": sorted(claim.claim_uri for claim in scope.claims.all()),
    }
