"""WSO2's identity-provider and association shapes <-> the service's fields.

Requests are parsed (types and unknown keys checked here, rules in the services);
responses are plain dicts built from the model."""

from __future__ import annotations

import base64
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from rest_framework import serializers

from apps.attributes.selectors import id_encode
from apps.core.api.serializers import StrictSerializer
from apps.core.errors import InvalidInput
from apps.idp.catalog import TEMPLATES
from apps.idp.models import FederatedAssociation, IdentityProvider
from apps.idp.services.federation import callback_url


def _b64(name: str) -> str:
    return base64.urlsafe_b64encode(name.encode()).rstrip(b"=").decode()


# The federated authenticator of each template, by WSO2's names (id = base64url of the name).
AUTHENTICATOR_NAMES = {
    "oidc": "OpenIDConnectAuthenticator",
    "google": "GoogleOIDCAuthenticator",
    "github": "GithubAuthenticator",
}
AUTHENTICATOR_IDS = {_b64(name): template for template, name in AUTHENTICATOR_NAMES.items()}
# Authenticator property key -> service field. Booleans travel as "true"/"false".
PROPERTY_FIELDS = {
    "ClientId": "client_id",
    "ClientSecret": "client_secret",
    "OAuth2AuthzEPUrl": "authorization_endpoint",
    "OAuth2TokenEPUrl": "token_endpoint",
    "UserInfoUrl": "userinfo_endpoint",
    "DiscoveryUrl": "discovery_url",
    "Scopes": "scopes",
    "IsPKCEEnabled": "pkce",
    "UseUserInfo": "use_userinfo",
    "TokenEndpointAuthMethod": "token_endpoint_auth_method",
}
BOOLEAN_PROPERTIES = {"IsPKCEEnabled", "UseUserInfo"}
JIT_FIELDS = {
    "isEnabled": "jit_enabled",
    "scheme": "jit_scheme",
    "associateLocalUser": "associate_local_user",
    "skipJITForLookupFailure": "skip_jit_for_lookup_failure",
    "accountLookupAttributeMappings": "lookup_mappings",
    "attributeSyncMethod": "attribute_sync",
}


def authenticator_id(idp: IdentityProvider) -> str:
    return _b64(AUTHENTICATOR_NAMES.get(idp.template_id, AUTHENTICATOR_NAMES["oidc"]))


# --- parsing ---------------------------------------------------------------------------------------------


class IdentityProviderRequestSerializer(StrictSerializer):
    name = serializers.JSONField()
    description = serializers.JSONField(required=False)
    image = serializers.JSONField(required=False)
    templateId = serializers.JSONField(required=False)  # noqa: N815
    isPrimary = serializers.JSONField(required=False)  # noqa: N815
    isFederationHub = serializers.JSONField(required=False)  # noqa: N815
    homeRealmIdentifier = serializers.JSONField(required=False)  # noqa: N815
    certificate = serializers.JSONField(required=False)
    alias = serializers.JSONField(required=False)
    idpIssuerName = serializers.JSONField(required=False)  # noqa: N815
    claims = serializers.JSONField(required=False)
    roles = serializers.JSONField(required=False)
    groups = serializers.JSONField(required=False)
    federatedAuthenticators = serializers.JSONField(required=False)  # noqa: N815
    provisioning = serializers.JSONField(required=False)
    association = serializers.JSONField(required=False)


class AuthenticatorRequestSerializer(StrictSerializer):
    authenticatorId = serializers.JSONField(required=False)  # noqa: N815
    name = serializers.JSONField(required=False)
    isEnabled = serializers.JSONField(required=False)  # noqa: N815
    isDefault = serializers.JSONField(required=False)  # noqa: N815
    properties = serializers.JSONField(required=False)


class JitRequestSerializer(StrictSerializer):
    isEnabled = serializers.JSONField()  # noqa: N815
    scheme = serializers.JSONField(required=False)
    userstore = serializers.JSONField(required=False)
    associateLocalUser = serializers.JSONField(required=False)  # noqa: N815
    skipJITForLookupFailure = serializers.JSONField(required=False)  # noqa: N815
    accountLookupAttributeMappings = serializers.JSONField(required=False)  # noqa: N815
    attributeSyncMethod = serializers.JSONField(required=False)  # noqa: N815
    idpGroupSyncMethod = serializers.JSONField(required=False)  # noqa: N815


class ClaimsRequestSerializer(StrictSerializer):
    userIdClaim = serializers.JSONField(required=False)  # noqa: N815
    roleClaim = serializers.JSONField(required=False)  # noqa: N815
    mappings = serializers.JSONField(required=False)
    provisioningClaims = serializers.JSONField(required=False)  # noqa: N815


class IdpPatchOperationSerializer(StrictSerializer):
    operation = serializers.ChoiceField(choices=["ADD", "REMOVE", "REPLACE"])
    path = serializers.CharField(max_length=64)
    value = serializers.JSONField(required=False)


class AssociationRequestSerializer(StrictSerializer):
    idp = serializers.CharField(max_length=100)
    federatedUserId = serializers.CharField(max_length=255)  # noqa: N815


class BulkRequestSerializer(StrictSerializer):
    failOnErrors = serializers.IntegerField(required=False, min_value=0)  # noqa: N815
    operations = serializers.ListField(child=serializers.JSONField(), allow_empty=False)


def _obj(value: Any, name: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput("IDP-60001", _("%(name)s must be an object.") % {"name": name}, field=name)
    return value


def properties_fields(properties: Any) -> dict[str, Any]:
    """``[{key, value}]`` -> service fields; unknown keys are an error (a typo must not pass silently)."""
    if properties is None:
        return {}
    if not isinstance(properties, list) or not all(isinstance(item, dict) for item in properties):
        raise InvalidInput("IDP-60001", _("properties must be a list of {key, value}."), field="properties")
    fields: dict[str, Any] = {}
    for item in properties:
        key, value = item.get("key"), item.get("value")
        if key == "callbackUrl":
            continue  # computed by the server
        if key not in PROPERTY_FIELDS:
            raise InvalidInput(
                "IDP-60001",
                _("Unknown authenticator property %(key)s; known: %(known)s.")
                % {"key": str(key)[:64], "known": ", ".join(PROPERTY_FIELDS)},
                field="properties",
            )
        if key in BOOLEAN_PROPERTIES:
            if value not in ("true", "false", True, False):
                raise InvalidInput("IDP-60001", _("%(key)s must be true or false.") % {"key": key}, field="properties")
            value = value in ("true", True)
        fields[PROPERTY_FIELDS[key]] = value
    return fields


def authenticator_fields(data: Any) -> dict[str, Any]:
    data = _obj(data, "federatedAuthenticator")
    fields = properties_fields(data.get("properties"))
    if "isEnabled" in data:
        fields["is_enabled"] = data["isEnabled"]
    return fields


def jit_fields(data: Any) -> dict[str, Any]:
    data = _obj(data, "jit")
    userstore = data.get("userstore", "PRIMARY")
    if userstore not in ("PRIMARY", None):
        raise InvalidInput("IDP-60001", _("Only the PRIMARY user store is available."), field="userstore")
    return {JIT_FIELDS[key]: data[key] for key in JIT_FIELDS if key in data}


def claims_fields(data: Any) -> dict[str, Any]:
    data = _obj(data, "claims")
    fields: dict[str, Any] = {}
    user_id_claim = data.get("userIdClaim")
    if user_id_claim is not None:
        fields["subject_claim"] = _obj(user_id_claim, "userIdClaim").get("uri")
    if "mappings" in data:
        fields["claim_mappings"] = data["mappings"]
    return fields


def idp_request_fields(data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(template id, service fields) from a WSO2 ``IdentityProviderPOSTRequest``."""
    template_id = data.get("templateId") or "oidc"
    if template_id not in TEMPLATES:
        raise InvalidInput(
            "IDP-60001",
            _("Unknown templateId %(t)s; use one of %(all)s.")
            % {"t": str(template_id)[:40], "all": ", ".join(TEMPLATES)},
            field="templateId",
        )
    fields: dict[str, Any] = {"name": data.get("name")}
    if "description" in data:
        fields["description"] = data["description"]
    if "image" in data:
        fields["image_url"] = data["image"]
    if "idpIssuerName" in data:
        fields["issuer"] = data["idpIssuerName"]
    certificate = _obj(data.get("certificate"), "certificate")
    if "jwksUri" in certificate:
        fields["jwks_uri"] = certificate["jwksUri"]
    fields.update(claims_fields(data.get("claims")))
    authenticators = _obj(data.get("federatedAuthenticators"), "federatedAuthenticators")
    chosen = authenticators.get("defaultAuthenticatorId")
    items = authenticators.get("authenticators") or []
    if not isinstance(items, list):
        raise InvalidInput("IDP-60001", _("authenticators must be a list."), field="federatedAuthenticators")
    for item in items:
        if not isinstance(item, dict):
            raise InvalidInput("IDP-60001", _("authenticators must be a list of objects."))
        if chosen is None or item.get("authenticatorId") == chosen:
            if item.get("authenticatorId") not in AUTHENTICATOR_IDS:
                raise InvalidInput(
                    "IDP-60001",
                    _("Unsupported federated authenticator %(id)s.") % {"id": str(item.get("authenticatorId"))[:64]},
                    field="federatedAuthenticators",
                )
            fields.update(authenticator_fields(item))
            break
    fields.update(jit_fields(_obj(data.get("provisioning"), "provisioning").get("jit")))
    return template_id, fields


# --- rendering -------------------------------------------------------------------------------------------


def _claim_out(uri: str, names: dict[str, str]) -> dict[str, str]:
    return {"id": id_encode(uri), "uri": uri, "displayName": names.get(uri, "")}


def _local_names(idp: IdentityProvider) -> dict[str, str]:
    from apps.attributes.selectors import local_claim_list

    return dict(local_claim_list(organization=idp.organization).values_list("claim_uri", "display_name"))


def claims_out(idp: IdentityProvider, names: dict[str, str] | None = None) -> dict[str, Any]:
    names = names if names is not None else _local_names(idp)
    return {
        "userIdClaim": {"uri": idp.subject_claim},
        "mappings": [
            {"idpClaim": item["federated"], "localClaim": _claim_out(item["local"], names)}
            for item in idp.claim_mappings or []
        ],
        "provisioningClaims": [],
    }


def jit_out(idp: IdentityProvider) -> dict[str, Any]:
    return {
        "isEnabled": idp.jit_enabled,
        "scheme": idp.jit_scheme,
        "userstore": "PRIMARY",
        "associateLocalUser": idp.associate_local_user,
        "skipJITForLookupFailure": idp.skip_jit_for_lookup_failure,
        "accountLookupAttributeMappings": [
            {"federatedAttribute": item["federated"], "localAttribute": item["local"]}
            for item in idp.lookup_mappings or []
        ],
        "attributeSyncMethod": idp.attribute_sync,
    }


def _self(idp: IdentityProvider) -> str:
    return reverse("identity-provider-detail", kwargs={"idp_id": idp.pk})


def authenticator_out(idp: IdentityProvider) -> dict[str, Any]:
    """The IdP's one federated authenticator with its properties (the client secret is never returned)."""
    values = {
        "ClientId": idp.client_id,
        "OAuth2AuthzEPUrl": idp.authorization_endpoint,
        "OAuth2TokenEPUrl": idp.token_endpoint,
        "UserInfoUrl": idp.userinfo_endpoint,
        "DiscoveryUrl": idp.discovery_url,
        "Scopes": " ".join(idp.scopes or []),
        "IsPKCEEnabled": "true" if idp.pkce else "false",
        "UseUserInfo": "true" if idp.use_userinfo else "false",
        "TokenEndpointAuthMethod": idp.token_endpoint_auth_method,
        "callbackUrl": callback_url(idp.organization),
    }
    return {
        "authenticatorId": authenticator_id(idp),
        "name": AUTHENTICATOR_NAMES.get(idp.template_id, AUTHENTICATOR_NAMES["oidc"]),
        "isEnabled": idp.is_enabled,
        "isDefault": True,
        "tags": ["OIDC"] if idp.protocol == "oidc" else ["Social-Login"],
        "properties": [{"key": key, "value": value} for key, value in values.items()],
    }


def authenticators_out(idp: IdentityProvider) -> dict[str, Any]:
    item = authenticator_out(idp)
    return {
        "defaultAuthenticatorId": item["authenticatorId"],
        "authenticators": [
            {
                "authenticatorId": item["authenticatorId"],
                "name": item["name"],
                "isEnabled": item["isEnabled"],
                "tags": item["tags"],
                "self": reverse(
                    "identity-provider-authenticator",
                    kwargs={"idp_id": idp.pk, "authenticator_id": item["authenticatorId"]},
                ),
            }
        ],
    }


def idp_summary_out(idp: IdentityProvider) -> dict[str, Any]:
    return {
        "id": str(idp.pk),
        "name": idp.name,
        "description": idp.description,
        "isEnabled": idp.is_enabled,
        "image": idp.image_url,
        "templateId": idp.template_id,
        "self": _self(idp),
    }


def idp_out(idp: IdentityProvider) -> dict[str, Any]:
    return {
        "id": str(idp.pk),
        "name": idp.name,
        "description": idp.description,
        "templateId": idp.template_id,
        "isEnabled": idp.is_enabled,
        "isPrimary": False,
        "image": idp.image_url,
        "isFederationHub": False,
        "homeRealmIdentifier": "",
        "idpIssuerName": idp.issuer,
        "alias": idp.token_endpoint,
        "certificate": {"jwksUri": idp.jwks_uri, "certificates": []},
        "claims": claims_out(idp),
        "roles": {"mappings": [], "outboundProvisioningRoles": []},
        "groups": [],
        "federatedAuthenticators": authenticators_out(idp),
        "provisioning": {"jit": jit_out(idp)},
        "callbackUrl": callback_url(idp.organization),
    }


def template_out(template_id: str) -> dict[str, Any]:
    template = TEMPLATES[template_id]
    return {
        "id": template_id,
        "name": template["display_name"],
        "description": template["description"],
        "image": "",
        "category": template["category"],
        "displayOrder": template["display_order"],
        "services": ["Authentication"],
        "idp": dict(template["defaults"]),
        "self": reverse("identity-provider-template", kwargs={"template_id": template_id}),
    }


def association_out(association: FederatedAssociation) -> dict[str, Any]:
    idp = association.idp
    return {
        "id": str(association.pk),
        "idp": {"id": str(idp.pk), "name": idp.name, "displayName": idp.name, "imageUrl": idp.image_url},
        "federatedUserId": association.federated_user_id,
    }
