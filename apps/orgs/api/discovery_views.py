"""Organization discovery API (WSO2 shapes, root organization only):

* ``GET|PUT|DELETE /organization-configs/discovery`` — ``{"properties": [{"key", "value"}]}``
* ``GET|POST /organizations/discovery`` — email domains of every organization / of one
* ``GET|PUT|DELETE /organizations/{id}/discovery`` — ``{"attributes": [{"type": "emailDomain", "values": [...]}]}``
* ``POST /organizations/check-discovery`` — ``{"type": "emailDomain", "value": "acme.com"}`` → ``{"available"}``
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.errors import Forbidden, InvalidInput, NotFound
from apps.orgs import discovery, inheritance
from apps.orgs.api.views import OrganizationAPIView
from apps.orgs.models import DiscoveryAttribute, Organization

VIEW, UPDATE = ["internal_organization_view"], ["internal_organization_update"]


def _config_out(config: dict[str, Any]) -> dict[str, Any]:
    return {"properties": [{"key": key, "value": value} for key, value in config.items()]}


def _body(request: Request) -> dict[str, Any]:
    if not isinstance(request.data, dict):
        raise InvalidInput("ORG-60001", _("The request body must be a JSON object."))
    return request.data


class DiscoveryConfigView(OrganizationAPIView):
    required_scopes = {"GET": VIEW, "PUT": UPDATE, "POST": UPDATE, "DELETE": UPDATE}

    @extend_schema(responses={200: dict}, operation_id="getOrganizationDiscoveryConfig")
    def get(self, request: Request) -> Response:
        return Response(_config_out(discovery.discovery_config_get(organization=request.organization)))

    @extend_schema(request=dict, responses={200: dict}, operation_id="putOrganizationDiscoveryConfig")
    def put(self, request: Request) -> Response:
        properties = _body(request).get("properties")
        if not isinstance(properties, list) or not all(
            isinstance(item, dict) and isinstance(item.get("key"), str) and "value" in item for item in properties
        ):
            raise InvalidInput("ORG-60091", _("properties must be a list of {key, value} objects."))
        values = {item["key"]: item["value"] for item in properties}
        for key, value in list(values.items()):
            if isinstance(value, str) and value.lower() in ("true", "false") and key != "defaultParam":
                values[key] = value.lower() == "true"  # WSO2 clients send booleans as strings too
        config = discovery.discovery_config_update(
            actor=request.user, organization=request.organization, properties=values
        )
        return Response(_config_out(config))

    @extend_schema(request=dict, responses={200: dict}, operation_id="addOrganizationDiscoveryConfig")
    def post(self, request: Request) -> Response:
        return self.put(request)

    @extend_schema(responses={204: None}, operation_id="deleteOrganizationDiscoveryConfig")
    def delete(self, request: Request) -> Response:
        if not request.organization.is_root:
            raise NotFound("ORG-60090", _("Organization discovery is configured in the root organization."))
        inheritance.overrides_delete(organization=request.organization, kind=discovery.DISCOVERY_KIND.name)
        return Response(status=204)


def _require_root(request: Request) -> None:
    """Only the root assigns email domains: a sub-organization must not claim one (say ``gmail.com``)
    and so capture users who sign in on the root's login page."""
    if not request.organization.is_root:
        raise Forbidden("ORG-60090", _("Organization discovery is configured in the root organization."))


def _org_out(org: Organization) -> dict[str, Any]:
    return {
        "organizationId": str(org.id),
        "organizationName": org.name,
        "attributes": discovery.discovery_attributes_of(organization=org),
    }


class DiscoveryListView(OrganizationAPIView):
    required_scopes = {"GET": VIEW, "POST": UPDATE}

    @extend_schema(responses={200: dict}, operation_id="listOrganizationsDiscoveryAttributes")
    def get(self, request: Request) -> Response:
        org_ids = (
            DiscoveryAttribute.objects.filter(organization__path__startswith=request.organization.path)
            .values_list("organization_id", flat=True)
            .distinct()
        )
        orgs = Organization.objects.filter(pk__in=list(org_ids)).order_by("name")
        items = [_org_out(org) for org in orgs]
        return Response({"totalResults": len(items), "startIndex": 1, "count": len(items), "organizations": items})

    @extend_schema(request=dict, responses={201: dict}, operation_id="addOrganizationDiscoveryAttributes")
    def post(self, request: Request) -> Response:
        _require_root(request)
        body = _body(request)
        org = self.get_org(request, body.get("organizationId", ""))
        with transaction.atomic():
            if DiscoveryAttribute.objects.filter(organization=org).exists():
                raise InvalidInput("ORG-60095", _("The organization already has discovery attributes; use PUT."))
            discovery.discovery_attributes_set(actor=request.user, organization=org, attributes=body.get("attributes"))
        return Response(_org_out(org), status=201)


class DiscoveryDetailView(OrganizationAPIView):
    required_scopes = {"GET": VIEW, "PUT": UPDATE, "DELETE": UPDATE}

    @extend_schema(responses={200: dict}, operation_id="getOrganizationDiscoveryAttributes")
    def get(self, request: Request, org_id: str) -> Response:
        org = self.get_org(request, org_id)
        return Response({"attributes": discovery.discovery_attributes_of(organization=org)})

    @extend_schema(request=dict, responses={200: dict}, operation_id="updateOrganizationDiscoveryAttributes")
    def put(self, request: Request, org_id: str) -> Response:
        _require_root(request)
        org = self.get_org(request, org_id)
        attributes = discovery.discovery_attributes_set(
            actor=request.user, organization=org, attributes=_body(request).get("attributes")
        )
        return Response({"attributes": attributes})

    @extend_schema(responses={204: None}, operation_id="deleteOrganizationDiscoveryAttributes")
    def delete(self, request: Request, org_id: str) -> Response:
        _require_root(request)
        org = self.get_org(request, org_id)
        discovery.discovery_attributes_set(actor=request.user, organization=org, attributes=[])
        return Response(status=204)


class DiscoveryCheckView(OrganizationAPIView):
    required_scopes = {"POST": VIEW}

    @extend_schema(request=dict, responses={200: dict}, operation_id="checkOrganizationDiscoveryAttribute")
    def post(self, request: Request) -> Response:
        body = _body(request)
        if body.get("type") != DiscoveryAttribute.Type.EMAIL_DOMAIN:
            raise InvalidInput("ORG-60092", _("Only the emailDomain discovery type is supported."), field="type")
        root = request.organization if request.organization.is_root else request.organization.root
        return Response({"available": discovery.email_domain_available(root=root, domain=body.get("value"))})
