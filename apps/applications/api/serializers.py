"""WSO2-shaped application request bodies (strict: unknown fields and wrong JSON
types are errors), the mapping between them and application settings, and the
response shapes. Authorized APIs and API resources: ``resource_serializers``."""

from __future__ import annotations

import re
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.applications.app_settings import CHOICES, CLIENT_PUBLIC, settings_of
from apps.applications.app_templates import AppTemplate
from apps.applications.models import Application
from apps.applications.selectors import application_endpoints
from apps.authn.api.sequence import AuthenticationSequenceSerializer
from apps.core.api.serializers import StrictBooleanField, StrictCharField, StrictSerializer
from apps.core.errors import InvalidInput


class StrictIntegerField(serializers.IntegerField):
    default_error_messages = {"not_an_integer": gettext_lazy("Must be an integer.")}

    def to_internal_value(self, data: Any) -> int:
        if not isinstance(data, int) or isinstance(data, bool):
            self.fail("not_an_integer")
        return super().to_internal_value(data)


def enum_field(choices: list[str] | tuple[str, ...], **kwargs: Any) -> serializers.ChoiceField:
    """A choice of strings. The schema states it as a pattern, not an ``enum``: drf-spectacular
    turns enums into components named after the field, and ``type`` means something else in
    every API."""
    values = list(choices)
    assert all(re.fullmatch(r"[\w ]+", value) for value in values)  # no regex metacharacters to escape
    pattern = "^(" + "|".join(values) + ")$"
    schema = {"type": "string", "pattern": pattern, "description": "One of: " + ", ".join(values)}
    field_class = extend_schema_field(schema)(type("InlineChoiceField", (serializers.ChoiceField,), {}))
    return field_class(choices=values, **kwargs)


def string_list(item_length: int = 1024, **kwargs: Any) -> serializers.ListField:
    """A JSON list of strings (each at most ``item_length``); ``max_length`` bounds the list."""
    return serializers.ListField(child=StrictCharField(max_length=item_length, trim_whitespace=False), **kwargs)


# --- applications ---------------------------------------------------------------------


class PKCESerializer(StrictSerializer):
    mandatory = StrictBooleanField(required=False)
    supportPlainTransformAlgorithm = StrictBooleanField(required=False)  # noqa: N815


class AccessTokenSerializer(StrictSerializer):
    type = enum_field(CHOICES["access_token_format"], required=False)
    bindingType = enum_field(["None", "DPoP"], required=False)  # noqa: N815
    validateTokenBinding = StrictBooleanField(required=False)  # noqa: N815
    applicationAccessTokenExpiryInSeconds = StrictIntegerField(required=False)  # noqa: N815
    userAccessTokenExpiryInSeconds = StrictIntegerField(required=False)  # noqa: N815


class RefreshTokenSerializer(StrictSerializer):
    expiryInSeconds = StrictIntegerField(required=False)  # noqa: N815
    renewRefreshToken = StrictBooleanField(required=False)  # noqa: N815


class IdTokenSerializer(StrictSerializer):
    expiryInSeconds = StrictIntegerField(required=False)  # noqa: N815


class ClientAuthenticationSerializer(StrictSerializer):
    tokenEndpointAuthMethod = enum_field(CHOICES["token_endpoint_auth_method"], required=False)  # noqa: N815
    jwks = serializers.DictField(required=False, help_text="Public keys (JWK Set) for private_key_jwt.")


class OIDCSerializer(StrictSerializer):
    """``inboundProtocolConfiguration.oidc``; omitted members keep their current (or template) value."""

    clientId = StrictCharField(required=False, max_length=255)  # noqa: N815
    grantTypes = string_list(255, required=False, max_length=20)  # noqa: N815
    callbackURLs = string_list(required=False, max_length=50)  # noqa: N815
    postLogoutRedirectURLs = string_list(required=False, max_length=50)  # noqa: N815
    allowedOrigins = string_list(required=False, max_length=50)  # noqa: N815
    publicClient = StrictBooleanField(required=False)  # noqa: N815
    pkce = PKCESerializer(required=False)
    accessToken = AccessTokenSerializer(required=False)  # noqa: N815
    refreshToken = RefreshTokenSerializer(required=False)  # noqa: N815
    idToken = IdTokenSerializer(required=False)  # noqa: N815
    clientAuthentication = ClientAuthenticationSerializer(required=False)  # noqa: N815


class InboundProtocolsSerializer(StrictSerializer):
    oidc = OIDCSerializer(required=False)


class AdvancedConfigurationsSerializer(StrictSerializer):
    discoverableByEndUsers = StrictBooleanField(required=False)  # noqa: N815
    skipLoginConsent = StrictBooleanField(required=False)  # noqa: N815


class ApplicationCreateSerializer(StrictSerializer):
    name = StrictCharField(max_length=255)
    description = StrictCharField(max_length=1024, required=False, allow_blank=True)
    imageUrl = StrictCharField(max_length=1024, required=False, allow_blank=True)  # noqa: N815
    accessUrl = StrictCharField(max_length=1024, required=False, allow_blank=True)  # noqa: N815
    templateId = StrictCharField(max_length=64, required=False)  # noqa: N815
    templateVersion = StrictCharField(max_length=32, required=False, allow_blank=True)  # noqa: N815
    advancedConfigurations = AdvancedConfigurationsSerializer(required=False)  # noqa: N815
    inboundProtocolConfiguration = InboundProtocolsSerializer(required=False)  # noqa: N815


class ApplicationPatchSerializer(StrictSerializer):
    name = StrictCharField(max_length=255, required=False)
    description = StrictCharField(max_length=1024, required=False, allow_blank=True)
    imageUrl = StrictCharField(max_length=1024, required=False, allow_blank=True)  # noqa: N815
    accessUrl = StrictCharField(max_length=1024, required=False, allow_blank=True)  # noqa: N815
    advancedConfigurations = AdvancedConfigurationsSerializer(required=False)  # noqa: N815
    authenticationSequence = AuthenticationSequenceSerializer(required=False)  # noqa: N815  (apps.authn)


DEFAULT_TEMPLATE_ID = "oidc-web-application"


def general_settings(data: dict[str, Any]) -> dict[str, Any]:
    """Settings named by the top level of an application body."""
    out: dict[str, Any] = {}
    for key, setting in (("description", "description"), ("imageUrl", "logo_url"), ("accessUrl", "access_url")):
        if key in data:
            out[setting] = data[key]
    advanced = data.get("advancedConfigurations") or {}
    if "discoverableByEndUsers" in advanced:
        out["discoverable"] = advanced["discoverableByEndUsers"]
    if "skipLoginConsent" in advanced:
        out["skip_authorization"] = advanced["skipLoginConsent"]
    return out


def oidc_settings(oidc: dict[str, Any], *, application: Application | None = None) -> dict[str, Any]:
    """Settings named by an ``oidc`` body. ``application``: the one being updated (``None`` on create)."""
    if "clientId" in oidc and (application is None or oidc["clientId"] != application.client_id):
        raise InvalidInput("APP-60001", _("The client id is assigned by the server and cannot be changed."))
    out: dict[str, Any] = {}
    for key, setting in (
        ("grantTypes", "grant_types"),
        ("callbackURLs", "redirect_uris"),
        ("postLogoutRedirectURLs", "post_logout_redirect_uris"),
        ("allowedOrigins", "allowed_origins"),
    ):
        if key in oidc:
            out[setting] = list(oidc[key])
    if "publicClient" in oidc:
        out["client_type"] = CLIENT_PUBLIC if oidc["publicClient"] else Application.CLIENT_CONFIDENTIAL
    pkce = oidc.get("pkce") or {}
    if pkce.get("supportPlainTransformAlgorithm"):
        raise InvalidInput("APP-60001", _("Only the S256 PKCE method is supported."))
    if "mandatory" in pkce:
        out["pkce_mandatory"] = pkce["mandatory"]
    access = oidc.get("accessToken") or {}
    if "type" in access:
        out["access_token_format"] = access["type"]
    if "bindingType" in access:
        out["token_binding"] = "DPoP" if access["bindingType"] == "DPoP" else "none"
    binding = out.get("token_binding", application.token_binding if application else None)
    if binding == "DPoP" and access.get("validateTokenBinding") is False:
        raise InvalidInput("APP-60001", _("DPoP-bound tokens are always validated: validateTokenBinding must be true."))
    lifetimes = {
        access[key]
        for key in ("applicationAccessTokenExpiryInSeconds", "userAccessTokenExpiryInSeconds")
        if key in access
    }
    if len(lifetimes) > 1:
        raise InvalidInput(
            "APP-60010",
            _("One access token lifetime applies to both: give the same value for application and user tokens."),
        )
    if lifetimes:
        out["access_token_lifetime"] = lifetimes.pop()
    refresh = oidc.get("refreshToken") or {}
    if "expiryInSeconds" in refresh:
        out["refresh_token_lifetime"] = refresh["expiryInSeconds"]
    if "renewRefreshToken" in refresh:
        out["refresh_rotation"] = refresh["renewRefreshToken"]
    id_token = oidc.get("idToken") or {}
    if "expiryInSeconds" in id_token:
        out["id_token_lifetime"] = id_token["expiryInSeconds"]
    auth = oidc.get("clientAuthentication") or {}
    if "tokenEndpointAuthMethod" in auth:
        out["token_endpoint_auth_method"] = auth["tokenEndpointAuthMethod"]
    if "jwks" in auth:
        out["jwks"] = auth["jwks"]
    return out


def _iso(value: Any) -> str:
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def oidc_out(application: Application, *, client_secret: str | None = None) -> dict[str, Any]:
    values = settings_of(application)
    auth: dict[str, Any] = {"tokenEndpointAuthMethod": values["token_endpoint_auth_method"]}
    if values["jwks"]:
        auth["jwks"] = values["jwks"]
    body: dict[str, Any] = {
        "clientId": application.client_id,
        "grantTypes": values["grant_types"],
        "callbackURLs": values["redirect_uris"],
        "postLogoutRedirectURLs": values["post_logout_redirect_uris"],
        "allowedOrigins": values["allowed_origins"],
        "publicClient": values["client_type"] == CLIENT_PUBLIC,
        "pkce": {"mandatory": values["pkce_mandatory"], "supportPlainTransformAlgorithm": False},
        "accessToken": {
            "type": values["access_token_format"],
            "bindingType": "DPoP" if values["token_binding"] == "DPoP" else "None",
            "validateTokenBinding": values["token_binding"] == "DPoP",
            "applicationAccessTokenExpiryInSeconds": values["access_token_lifetime"],
            "userAccessTokenExpiryInSeconds": values["access_token_lifetime"],
        },
        "refreshToken": {
            "expiryInSeconds": values["refresh_token_lifetime"],
            "renewRefreshToken": values["refresh_rotation"],
        },
        "idToken": {"expiryInSeconds": values["id_token_lifetime"]},
        "clientAuthentication": auth,
    }
    if client_secret is not None:
        body["clientSecret"] = client_secret  # only in the create and regenerate responses
    return body


# Where each setting appears in the API (for templates' locked settings).
SETTING_API_PATHS = {
    "description": "description",
    "logo_url": "imageUrl",
    "access_url": "accessUrl",
    "discoverable": "advancedConfigurations.discoverableByEndUsers",
    "skip_authorization": "advancedConfigurations.skipLoginConsent",
    "client_type": "inboundProtocolConfiguration.oidc.publicClient",
    "grant_types": "inboundProtocolConfiguration.oidc.grantTypes",
    "redirect_uris": "inboundProtocolConfiguration.oidc.callbackURLs",
    "post_logout_redirect_uris": "inboundProtocolConfiguration.oidc.postLogoutRedirectURLs",
    "allowed_origins": "inboundProtocolConfiguration.oidc.allowedOrigins",
    "pkce_mandatory": "inboundProtocolConfiguration.oidc.pkce.mandatory",
    "token_binding": "inboundProtocolConfiguration.oidc.accessToken.bindingType",
    "access_token_format": "inboundProtocolConfiguration.oidc.accessToken.type",
    "access_token_lifetime": "inboundProtocolConfiguration.oidc.accessToken.userAccessTokenExpiryInSeconds",
    "refresh_token_lifetime": "inboundProtocolConfiguration.oidc.refreshToken.expiryInSeconds",
    "id_token_lifetime": "inboundProtocolConfiguration.oidc.idToken.expiryInSeconds",
    "refresh_rotation": "inboundProtocolConfiguration.oidc.refreshToken.renewRefreshToken",
    "token_endpoint_auth_method": "inboundProtocolConfiguration.oidc.clientAuthentication.tokenEndpointAuthMethod",
    "jwks": "inboundProtocolConfiguration.oidc.clientAuthentication.jwks",
}


def application_out(application: Application, *, client_secret: str | None = None) -> dict[str, Any]:
    self_url = reverse("application-detail", kwargs={"application_id": application.uuid})
    body: dict[str, Any] = {
        "id": str(application.uuid),
        "name": application.name,
        "description": application.description,
        "imageUrl": application.logo_url,
        "accessUrl": application.access_url,
        "clientId": application.client_id,
        "issuer": application_endpoints(application=application)["issuer"],
        "templateId": application.template_id,
        "access": "WRITE",
        "advancedConfigurations": {
            "discoverableByEndUsers": application.discoverable,
            "skipLoginConsent": application.skip_authorization,
        },
        "inboundProtocols": [{"type": "oauth2", "self": f"{self_url}/inbound-protocols/oidc"}],
        "lockedSettings": [
            SETTING_API_PATHS[name] for name in application.settings_locked if name in SETTING_API_PATHS
        ],
        "created": _iso(application.created),
        "lastModified": _iso(application.updated),
        "self": self_url,
    }
    if client_secret is not None:
        body["inboundProtocolConfiguration"] = {"oidc": oidc_out(application, client_secret=client_secret)}
    return body


def application_list_item(application: Application, *, issuer: str) -> dict[str, Any]:
    return {
        "id": str(application.uuid),
        "name": application.name,
        "description": application.description,
        "imageUrl": application.logo_url,
        "accessUrl": application.access_url,
        "clientId": application.client_id,
        "issuer": issuer,
        "templateId": application.template_id,
        "access": "WRITE",
        "advancedConfigurations": {"discoverableByEndUsers": application.discoverable},
        "self": reverse("application-detail", kwargs={"application_id": application.uuid}),
    }


def template_out(template: AppTemplate) -> dict[str, Any]:
    defaults = dict(template.defaults)
    return {
        "id": template.id,
        "name": template.name,
        "description": template.description,
        "category": template.category,
        "displayOrder": template.display_order,
        "lockedSettings": [SETTING_API_PATHS[name] for name in template.locked],
        "wizardFields": [
            {
                "path": SETTING_API_PATHS[field.setting],
                "label": field.label,
                "help": field.help,
                "placeholder": field.placeholder,
                "required": field.required,
            }
            for field in template.wizard
        ],
        "application": {
            "templateId": template.id,
            "advancedConfigurations": {
                "discoverableByEndUsers": defaults["discoverable"],
                "skipLoginConsent": defaults["skip_authorization"],
            },
            "inboundProtocolConfiguration": {
                "oidc": {
                    "grantTypes": defaults["grant_types"],
                    "callbackURLs": defaults["redirect_uris"],
                    "allowedOrigins": defaults["allowed_origins"],
                    "publicClient": defaults["client_type"] == CLIENT_PUBLIC,
                    "pkce": {"mandatory": defaults["pkce_mandatory"], "supportPlainTransformAlgorithm": False},
                    "accessToken": {
                        "type": defaults["access_token_format"],
                        "bindingType": "DPoP" if defaults["token_binding"] == "DPoP" else "None",
                        "applicationAccessTokenExpiryInSeconds": defaults["access_token_lifetime"],
                        "userAccessTokenExpiryInSeconds": defaults["access_token_lifetime"],
                    },
                    "refreshToken": {
                        "expiryInSeconds": defaults["refresh_token_lifetime"],
                        "renewRefreshToken": defaults["refresh_rotation"],
                    },
                    "idToken": {"expiryInSeconds": defaults["id_token_lifetime"]},
                    "clientAuthentication": {"tokenEndpointAuthMethod": defaults["token_endpoint_auth_method"]},
                }
            },
        },
        "quickStartFrameworks": [snippet.framework for snippet in template.quick_starts],
    }
