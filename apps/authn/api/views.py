"""Identity governance API (WSO2's shape, a faithful subset): the account-lock and password-policy
connectors of the "Login Policies" category, read and patched through ``login_settings_update``."""

from __future__ import annotations

import base64
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.authn.services.settings import (
    BOOLEAN_SETTINGS,
    login_settings_resolve,
    login_settings_revert,
    login_settings_update,
)
from apps.core.api.serializers import parse
from apps.core.errors import InvalidInput, NotFound
from apps.orgs.inheritance import source_labels

VIEW, UPDATE = ["internal_organization_view"], ["internal_organization_update"]
ERRORS = {
    400: OpenApiResponse(description="Invalid request (IDG-600xx)."),
    401: OpenApiResponse(description="Authentication required."),
    403: OpenApiResponse(description="Missing scope."),
    404: OpenApiResponse(description="Not found."),
}


def _id(name: str) -> str:
    return base64.urlsafe_b64encode(name.encode()).decode().rstrip("=")


CATEGORY_NAME = "Login Policies"
CATEGORY_ID = _id(CATEGORY_NAME)
# connector name -> (friendly name, [(WSO2 property name, our setting, display name)])
CONNECTORS: dict[str, tuple[str, list[tuple[str, str, str]]]] = {
    "account.lock.handler": (
        "Login Attempts Security",
        [
            ("account.lock.handler.enable", "lockout_enabled", "Lock user accounts"),
            ("account.lock.handler.On.Failure.Max.Attempts", "lockout_max_failures", "Maximum failed login attempts"),
            ("account.lock.handler.Time", "lockout_minutes", "Initial account lock duration"),
            (
                "account.lock.handler.login.fail.timeout.ratio",
                "lockout_factor",
                "Account lock duration increment factor",
            ),
            (
                "account.lock.handler.notification.manageInternally",
                "notify_on_lock",
                "Manage notification sending internally",
            ),
        ],
    ),
    "passwordPolicy": (
        "Password Policies",
        [
            ("passwordPolicy.min.length", "password_min_length", "Minimum number of characters"),
            ("passwordPolicy.max.length", "password_max_length", "Maximum number of characters"),
            ("passwordPolicy.min.upper.case", "password_min_upper", "Minimum uppercase characters"),
            ("passwordPolicy.min.lower.case", "password_min_lower", "Minimum lowercase characters"),
            ("passwordPolicy.min.numerals", "password_min_digits", "Minimum numeric characters"),
            ("passwordPolicy.min.special.chars", "password_min_special", "Minimum special characters"),
            ("passwordHistory.count", "password_history_count", "Password history count"),
            ("passwordExpiry.passwordExpiryInDays", "password_expiry_days", "Password expiry in days"),
        ],
    ),
}
_BY_ID = {_id(name): name for name in CONNECTORS}


def _connector_out(name: str, organization: Any) -> dict[str, Any]:
    resolution = login_settings_resolve(organization)
    labels = source_labels(organization, resolution)
    friendly, properties = CONNECTORS[name]
    values = []
    for prop, field, display in properties:
        value = resolution.values[field]
        label = labels[field]
        values.append(
            {
                "name": prop,
                "value": ("true" if value else "false") if isinstance(value, bool) else str(value),
                "displayName": display,
                # Ours (WSO2 does not say which values are inherited): where the effective value comes from.
                "inherited": not label.own,
                "source": None if label.default else {"id": str(label.organization_id), "name": label.name},
            }
        )
    return {
        "id": _id(name),
        "name": name,
        "category": CATEGORY_NAME,
        "friendlyName": friendly,
        "properties": values,
    }


class GovernancePropertySerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    value = serializers.CharField(max_length=200, allow_blank=True)


class GovernanceConnectorPatchSerializer(serializers.Serializer):
    operation = serializers.ChoiceField(choices=["UPDATE"])
    properties = GovernancePropertySerializer(many=True)


class GovernanceConnectorSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    category = serializers.CharField()
    friendlyName = serializers.CharField()  # noqa: N815  (WSO2's field name)
    properties = serializers.ListField(child=serializers.DictField())


class GovernanceAPIView(APIView):
    error_prefix = "IDG"


class CategoryListView(GovernanceAPIView):
    required_scopes = {"GET": VIEW}

    @extend_schema(
        responses={200: OpenApiResponse(description="Categories."), **ERRORS}, operation_id="listGovernanceCategories"
    )
    def get(self, request: Request) -> Response:
        connectors = [{"id": _id(name), "name": name} for name in CONNECTORS]
        return Response([{"id": CATEGORY_ID, "name": CATEGORY_NAME, "connectors": connectors}])


def _connector_name(category_id: str, connector_id: str) -> str:
    name = _BY_ID.get(connector_id)
    if category_id != CATEGORY_ID or name is None:
        raise NotFound("IDG-60002", _("Connector not found."), connector_id)
    return name


class ConnectorDetailView(GovernanceAPIView):
    required_scopes = {"GET": VIEW, "PATCH": UPDATE}

    @extend_schema(responses={200: GovernanceConnectorSerializer, **ERRORS}, operation_id="getGovernanceConnector")
    def get(self, request: Request, category_id: str, connector_id: str) -> Response:
        return Response(_connector_out(_connector_name(category_id, connector_id), request.organization))

    @extend_schema(
        request=GovernanceConnectorPatchSerializer,
        responses={200: GovernanceConnectorSerializer, **ERRORS},
        operation_id="patchGovernanceConnector",
    )
    def patch(self, request: Request, category_id: str, connector_id: str) -> Response:
        name = _connector_name(category_id, connector_id)
        data = parse(GovernanceConnectorPatchSerializer, request.data)
        fields = {prop: field for prop, field, _display in CONNECTORS[name][1]}
        changes: dict[str, Any] = {}
        for item in data["properties"]:
            field = fields.get(item["name"])
            if field is None:
                raise InvalidInput("IDG-60001", _("Unknown property %(p)s.") % {"p": item["name"]}, field="properties")
            value = item["value"].strip().lower()
            if field in BOOLEAN_SETTINGS:
                if value not in ("true", "false"):
                    raise InvalidInput("IDG-60001", _("%(p)s must be true or false.") % {"p": item["name"]})
                changes[field] = value == "true"
            else:
                if not value.isdigit():
                    raise InvalidInput("IDG-60001", _("%(p)s must be a whole number.") % {"p": item["name"]})
                changes[field] = int(value)
        login_settings_update(actor=request.user, organization=request.organization, **changes)
        return Response(_connector_out(name, request.organization))


class GovernanceRevertSerializer(serializers.Serializer):
    properties = serializers.ListField(child=serializers.CharField(max_length=200), min_length=1, max_length=100)


class ConnectorRevertView(GovernanceAPIView):
    """``POST /identity-governance/{category-id}/connectors/revert?connectorId=...`` (WSO2 7.2): the
    organization's own values of these properties are dropped, so it inherits them again."""

    required_scopes = {"POST": UPDATE}

    @extend_schema(
        request=GovernanceRevertSerializer,
        responses={200: GovernanceConnectorSerializer, **ERRORS},
        operation_id="revertGovernanceConnectorProperties",
    )
    def post(self, request: Request, category_id: str) -> Response:
        name = _connector_name(category_id, request.query_params.get("connectorId", ""))
        data = parse(GovernanceRevertSerializer, request.data)
        fields = {prop: field for prop, field, _display in CONNECTORS[name][1]}
        unknown = [prop for prop in data["properties"] if prop not in fields]
        if unknown:
            raise InvalidInput("IDG-60001", _("Unknown property %(p)s.") % {"p": unknown[0]}, field="properties")
        names = [fields[prop] for prop in data["properties"]]
        login_settings_revert(actor=request.user, organization=request.organization, names=names)
        return Response(_connector_out(name, request.organization))
