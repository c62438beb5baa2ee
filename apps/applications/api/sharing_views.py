"""Application sharing API (WSO2 7.2 shapes, reference §2.3), under ``/api/server/v1``:

``POST applications/share`` · ``POST applications/share-with-all`` · ``POST applications/unshare`` ·
``POST applications/unshare-with-all`` · ``PATCH applications/share`` (all 202, processed at once) ·
``GET applications/{id}/share`` (where it is shared, with the roles) · ``GET|DELETE applications/{id}/shared-apps``.

Only the organization that owns the application can share it: another organization's application is
simply not found. Views parse WSO2's bodies and delegate to ``apps.applications.services.sharing``."""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.applications import selectors
from apps.applications.models import Application, ApplicationShare
from apps.applications.services import sharing as services
from apps.applications.sharing import (
    application_share_rule_for_all,
    application_share_rule_roles,
    application_shared_organizations,
    application_shared_page,
)
from apps.core.api.pagination import parse_int_param
from apps.core.errors import InvalidInput, NotFound

ACCEPTED = {"status": "Processing", "details": "Application sharing process triggered successfully."}
VIEW, UPDATE = ["internal_application_mgt_view"], ["internal_application_mgt_update"]
PATCH_PATH = re.compile(r'^organizations\[orgId eq "(?P<org>[^"]+)"\]\.roles$')
DEFAULT_LIMIT, MAX_LIMIT = 100, 1000


def _object(data: Any, name: str = "body") -> dict[str, Any]:
    if not isinstance(data, dict):
        raise InvalidInput("OAM-60001", _("The %(name)s must be a JSON object.") % {"name": name})
    return data


def _role_sharing(raw: Any) -> services.RoleSharingConfig:
    data = _object(raw, "roleSharing") if raw is not None else None
    if data is None:
        raise InvalidInput("OAM-60006", _("roleSharing is required."), field="roleSharing")
    mode = data.get("mode")
    roles = data.get("roles") or []
    if not isinstance(roles, list):
        raise InvalidInput("OAM-60007", _("roleSharing.roles must be a list."), field="roleSharing")
    return services.RoleSharingConfig(mode=mode if isinstance(mode, str) else "", roles=tuple(_role_names(roles)))


def _role_names(items: list[Any]) -> list[Any]:
    """``[{displayName, audience: {display, type}}]`` -> names; only application roles travel with an app."""
    names = []
    for item in items:
        if not isinstance(item, dict):
            raise InvalidInput("OAM-60007", _("Each role must be an object with a displayName."), field="roles")
        audience = item.get("audience")
        if isinstance(audience, dict) and str(audience.get("type", "application")).lower() != "application":
            raise InvalidInput(
                "OAM-60007", _("Only roles of the application (audience type application) are shared."), field="roles"
            )
        names.append(item.get("displayName"))
    return names


class SharingAPIView(APIView):
    error_prefix = "OAM"

    def application(self, request: Request, application_id: Any) -> Application:
        application = selectors.application_get(organization=request.organization, application_id=application_id)
        if application is None:
            raise NotFound("ORG-60035", _("Application not found."))
        return application

    def application_from_body(self, request: Request) -> tuple[Application, dict[str, Any]]:
        data = _object(request.data)
        return self.application(request, data.get("applicationId")), data


class ShareView(SharingAPIView):
    required_scopes = {"POST": UPDATE, "PATCH": UPDATE}

    @extend_schema(request=dict, responses={202: dict}, operation_id="shareApplicationWithSelectedOrganizations")
    def post(self, request: Request) -> Response:
        application, data = self.application_from_body(request)
        entries = data.get("organizations")
        if not isinstance(entries, list) or not entries:
            raise InvalidInput("OAM-60003", _("organizations must be a non-empty list."), field="organizations")
        shares = []
        for raw in entries:
            entry = _object(raw, "organization entry")
            if not entry.get("orgId"):
                raise InvalidInput("OAM-60003", _("orgId is required."), field="orgId")
            if not isinstance(entry.get("policy"), str):
                raise InvalidInput("OAM-60004", _("policy is required."), field="policy")
            shares.append(services.OrgShare(entry["orgId"], entry["policy"], _role_sharing(entry.get("roleSharing"))))
        services.application_share(actor=request.user, application=application, organizations=shares)
        return Response(ACCEPTED, status=202)

    @extend_schema(request=dict, responses={202: dict}, operation_id="patchApplicationSharing")
    def patch(self, request: Request) -> Response:
        application, data = self.application_from_body(request)
        operations = data.get("Operations")
        if not isinstance(operations, list) or not operations:
            raise InvalidInput("OAM-60002", _("Operations must be a non-empty list."), field="Operations")
        parsed = []
        for raw in operations:
            operation = _object(raw, "operation")
            op = str(operation.get("op", "")).lower()
            match = PATCH_PATH.match(str(operation.get("path", "")))
            if op not in ("add", "remove"):
                raise InvalidInput("OAM-60007", _("op must be add or remove."), field="op")
            if match is None:
                raise InvalidInput("OAM-60002", _('path must be organizations[orgId eq "<id>"].roles.'), field="path")
            value = operation.get("value")
            if not isinstance(value, list) or not value:
                raise InvalidInput("OAM-60007", _("value must be a non-empty list of roles."), field="value")
            parsed.append((op, match.group("org"), _role_names(value)))
        for op, org_id, names in parsed:
            services.application_share_roles_change(
                actor=request.user,
                application=application,
                organization_id=org_id,
                add=names if op == "add" else (),
                remove=names if op == "remove" else (),
            )
        return Response(ACCEPTED, status=202)


class ShareWithAllView(SharingAPIView):
    required_scopes = {"POST": UPDATE}

    @extend_schema(request=dict, responses={202: dict}, operation_id="shareApplicationWithAllOrganizations")
    def post(self, request: Request) -> Response:
        application, data = self.application_from_body(request)
        policy = data.get("policy")
        services.application_share_with_all(
            actor=request.user,
            application=application,
            policy=policy if isinstance(policy, str) else "",
            role_sharing=_role_sharing(data.get("roleSharing")),
        )
        return Response(ACCEPTED, status=202)


class UnshareView(SharingAPIView):
    required_scopes = {"POST": UPDATE}

    @extend_schema(request=dict, responses={202: dict}, operation_id="unshareApplicationFromOrganizations")
    def post(self, request: Request) -> Response:
        application, data = self.application_from_body(request)
        org_ids = data.get("orgIds")
        if not isinstance(org_ids, list) or not org_ids:
            raise InvalidInput("OAM-60003", _("orgIds must be a non-empty list."), field="orgIds")
        services.application_unshare(actor=request.user, application=application, organization_ids=org_ids)
        return Response(ACCEPTED, status=202)


class UnshareWithAllView(SharingAPIView):
    required_scopes = {"POST": UPDATE}

    @extend_schema(request=dict, responses={202: dict}, operation_id="unshareApplicationFromAllOrganizations")
    def post(self, request: Request) -> Response:
        application, _data = self.application_from_body(request)
        services.application_unshare_all(actor=request.user, application=application)
        return Response(ACCEPTED, status=202)


def _sharing_mode(rule: ApplicationShare) -> dict[str, Any]:
    mode: dict[str, Any] = {"policy": rule.policy, "roleSharing": {"mode": rule.role_sharing}}
    if rule.role_sharing == ApplicationShare.RoleSharing.SELECTED:
        mode["roleSharing"]["roles"] = [{"displayName": role.name} for role in rule.roles.all()]
    return mode


class SharedOrganizationsView(SharingAPIView):
    """Where the application is shared, parents first, with the roles each organization holds."""

    required_scopes = {"GET": VIEW}

    @extend_schema(
        parameters=[
            OpenApiParameter("limit", int),
            OpenApiParameter("offset", int),
            OpenApiParameter("attributes", str),
        ],
        responses={200: dict},
        operation_id="listApplicationSharedOrganizations",
    )
    def get(self, request: Request, application_id: str) -> Response:
        application = self.application(request, application_id)
        limit = min(parse_int_param(request, "limit", DEFAULT_LIMIT, code="OAM-60008", minimum=1), MAX_LIMIT)
        offset = parse_int_param(request, "offset", 0, code="OAM-60008")
        listed, more = application_shared_page(application=application, offset=offset, limit=limit)
        with_mode = request.query_params.get("attributes") == "sharingMode"
        own_rules = [entry.rule_id for entry in listed if entry.own_rule]
        selected = application_share_rule_roles(rule_ids=own_rules) if with_mode else {}
        audience = {"display": application.name, "type": "application"}
        items = []
        for entry in listed:
            item: dict[str, Any] = {
                "id": str(entry.id),
                "name": entry.name,
                "orgHandle": entry.handle,
                "parentId": str(entry.parent_id) if entry.parent_id else None,
                "status": entry.status,
                "ref": f"/api/server/v1/organizations/{entry.id}",
                "hasChildren": entry.has_children,
                "depthFromRoot": entry.depth,
                "roles": [{"displayName": name, "audience": audience} for name in entry.role_names],
            }
            if with_mode and entry.own_rule:
                mode: dict[str, Any] = {"mode": entry.role_sharing}
                if entry.role_sharing == ApplicationShare.RoleSharing.SELECTED:
                    mode["roles"] = [{"displayName": name} for name in selected.get(entry.rule_id, [])]
                item["sharingMode"] = {"policy": entry.policy, "roleSharing": mode}
            items.append(item)
        body: dict[str, Any] = {"links": []}
        if more:
            body["links"].append({"rel": "next", "href": f"{request.path}?limit={limit}&offset={offset + limit}"})
        if offset:
            body["links"].append(
                {"rel": "previous", "href": f"{request.path}?limit={limit}&offset={max(offset - limit, 0)}"}
            )
        for_all = application_share_rule_for_all(application=application)
        if for_all is not None:
            body["sharingMode"] = _sharing_mode(for_all)
        body["organizations"] = items
        return Response(body)


class SharedAppsView(SharingAPIView):
    required_scopes = {"GET": VIEW, "DELETE": UPDATE}

    @extend_schema(responses={200: dict}, operation_id="listSharedApplications")
    def get(self, request: Request, application_id: str) -> Response:
        application = self.application(request, application_id)
        rows = application_shared_organizations(application=application).values_list("organization_id", flat=True)
        # One application serves every organization: its id is the "fragment" id in each of them.
        shared = [{"applicationId": str(application.uuid), "organizationId": str(org_id)} for org_id in rows]
        return Response({"sharedApplications": shared})

    @extend_schema(responses={204: None}, operation_id="deleteSharedApplications")
    def delete(self, request: Request, application_id: str) -> Response:
        services.application_unshare_all(actor=request.user, application=self.application(request, application_id))
        return Response(status=204)
