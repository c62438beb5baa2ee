"""Organizations API (WSO2 shapes): ``/api/server/v1/organizations``.

The caller's organization is the one in the URL; it sees and manages its own
subtree only."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.pagination import parse_int_param
from apps.core.api.serializers import parse
from apps.core.errors import InvalidInput, NotFound
from apps.orgs import selectors, services
from apps.orgs.api import serializers as s
from apps.orgs.filters import organization_filter
from apps.orgs.models import Organization

DEFAULT_LIMIT = 15
MAX_LIMIT = 200


class OrganizationAPIView(APIView):
    error_prefix = "ORG"

    def get_org(self, request: Request, org_id: Any) -> Organization:
        org = selectors.organization_get_visible(scope=request.organization, organization_id=org_id)
        if org is None:
            raise NotFound(
                "ORG-60015", _("Organization not found."), _("No organization with id %(id)s.") % {"id": org_id}
            )
        return org


def _encode_cursor(org: Organization) -> str:
    raw = json.dumps([org.created.isoformat(), str(org.id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        created, org_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        moment = datetime.fromisoformat(created)
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        return moment, str(uuid.UUID(org_id))
    except (ValueError, TypeError, AttributeError, OverflowError, binascii.Error, json.JSONDecodeError) as exc:
        raise InvalidInput("ORG-60061", _("Invalid pagination cursor.")) from exc


def paginate_cursor(request: Request, qs: QuerySet) -> tuple[list[Organization], list[dict[str, str]]]:
    limit = parse_int_param(request, "limit", DEFAULT_LIMIT, code="ORG-60059")
    limit = min(max(limit, 1), MAX_LIMIT) if limit else DEFAULT_LIMIT
    after, before = request.query_params.get("after"), request.query_params.get("before")
    if after and before:
        raise InvalidInput("ORG-60060", _("Use either 'after' or 'before', not both."))
    if before:
        created, org_id = _decode_cursor(before)
        page = list(
            qs.filter(Q(created__lt=created) | Q(created=created, id__lt=org_id)).order_by("-created", "-id")[
                : limit + 1
            ]
        )
        has_more_before, page = len(page) > limit, page[:limit]
        page.reverse()
        has_more_after = True
    else:
        if after:
            created, org_id = _decode_cursor(after)
            qs = qs.filter(Q(created__gt=created) | Q(created=created, id__gt=org_id))
        page = list(qs.order_by("created", "id")[: limit + 1])
        has_more_after, page = len(page) > limit, page[:limit]
        has_more_before = bool(after)
    params = {k: v for k, v in request.query_params.items() if k not in {"after", "before"}}
    from urllib.parse import urlencode

    links = []
    if page and has_more_after:
        links.append(
            {"rel": "next", "href": f"{request.path}?{urlencode({**params, 'after': _encode_cursor(page[-1])})}"}
        )
    if page and has_more_before:
        links.append(
            {"rel": "previous", "href": f"{request.path}?{urlencode({**params, 'before': _encode_cursor(page[0])})}"}
        )
    return page, links


class OrganizationListView(OrganizationAPIView):
    required_scopes = {"GET": ["internal_organization_view"], "POST": ["internal_organization_create"]}

    @extend_schema(
        parameters=[
            OpenApiParameter("filter", str, description="e.g. `name co der and status eq ACTIVE`"),
            OpenApiParameter("limit", int),
            OpenApiParameter("after", str),
            OpenApiParameter("before", str),
            OpenApiParameter("recursive", bool, description="Search the whole subtree, not only children."),
        ],
        responses={200: dict},
        operation_id="listOrganizations",
    )
    def get(self, request: Request) -> Response:
        recursive = request.query_params.get("recursive", "false").lower()
        if recursive not in {"true", "false"}:
            raise InvalidInput("ORG-60026", _("recursive must be true or false."))
        qs = selectors.organization_list(scope=request.organization, recursive=recursive == "true")
        qs = organization_filter(qs, request.query_params.get("filter"))
        page, links = paginate_cursor(request, qs)
        return Response({"links": links, "organizations": [s.organization_basic(o) for o in page]})

    @extend_schema(request=s.OrganizationCreateSerializer, responses={201: dict})
    def post(self, request: Request) -> Response:
        data = parse(s.OrganizationCreateSerializer, request.data)
        parent = request.organization
        if data.get("parentId"):
            parent = selectors.organization_get_visible(scope=request.organization, organization_id=data["parentId"])
            if parent is None:
                raise InvalidInput("ORG-60005", _("The parent organization does not exist."), field="parentId")
        org = services.organization_create(
            actor=request.user,
            parent=parent,
            name=data["name"],
            handle=data.get("orgHandle") or None,
            description=data.get("description", ""),
            type=data.get("type", Organization.Type.TENANT),
            attributes=[dict(a) for a in data.get("attributes", [])],
        )
        return Response(
            s.organization_full(org),
            status=201,
            # reverse() keeps the /t/<root>/o/<org> prefix of this request.
            headers={"Location": reverse("organization-detail", kwargs={"org_id": org.id})},
        )


class OrganizationCheckNameView(OrganizationAPIView):
    required_scopes = {"POST": ["internal_organization_view"]}

    @extend_schema(request=s.CheckNameSerializer, responses={200: dict})
    def post(self, request: Request) -> Response:
        data = parse(s.CheckNameSerializer, request.data)
        taken = Organization.objects.filter(parent=request.organization, name=data["name"].strip()).exists()
        return Response({"available": not taken})


class OrganizationCheckHandleView(OrganizationAPIView):
    required_scopes = {"POST": ["internal_organization_view"]}

    @extend_schema(request=s.CheckHandleSerializer, responses={200: dict})
    def post(self, request: Request) -> Response:
        data = parse(s.CheckHandleSerializer, request.data)
        return Response({"available": selectors.organization_handle_available(handle=data["orgHandle"])})


def apply_patch(org: Organization, operations: Any) -> dict[str, Any]:
    """Turn WSO2 patch operations into keyword changes for ``organization_update``."""
    if not isinstance(operations, list) or not operations:
        raise InvalidInput("ORG-60008", _("The patch body must be a non-empty list of operations."))
    ops = [parse(s.PatchOperationSerializer, op) for op in operations]
    changes: dict[str, Any] = {}
    attributes = dict(org.attributes)
    for op in ops:
        operation, path, value = op["operation"], op["path"], op.get("value")
        if path in {"/name", "/status", "/description", "/version"}:
            field = path[1:]
            if field == "version":
                raise InvalidInput("ORG-60011", _("The version cannot be changed."))
            if field in {"name", "status"} and operation != "REPLACE":
                raise InvalidInput("ORG-60020", _("Mandatory fields can only be replaced."))
            if operation == "REMOVE":
                changes[field] = ""
                continue
            if value is None:
                raise InvalidInput("ORG-60010", _("A value is required for %(p)s.") % {"p": path})
            if not isinstance(value, str):
                raise InvalidInput("ORG-60001", _("%(p)s must be a string.") % {"p": path})
            changes[field] = value
        elif path.startswith("/attributes/") and len(path) > len("/attributes/"):
            key = path[len("/attributes/") :]
            if operation == "REMOVE":
                if key not in attributes:
                    raise InvalidInput("ORG-60012", _("Attribute %(k)s does not exist.") % {"k": key})
                attributes.pop(key)
            else:
                if not isinstance(value, str) or not value:
                    raise InvalidInput("ORG-60016", _("Attribute values must not be empty."))
                if operation == "REPLACE" and key not in attributes:
                    raise InvalidInput("ORG-60013", _("Attribute %(k)s does not exist.") % {"k": key})
                attributes[key] = value
            changes["attributes"] = attributes
        else:
            raise InvalidInput("ORG-60011", _("Unsupported patch path: %(p)s") % {"p": path})
    if "attributes" in changes:
        changes["attributes"] = services.organization_attributes_from_list(
            [{"key": k, "value": v} for k, v in changes["attributes"].items()]
        )
    return changes


class OrganizationDetailView(OrganizationAPIView):
    required_scopes = {
        "GET": ["internal_organization_view"],
        "PATCH": ["internal_organization_update"],
        "PUT": ["internal_organization_update"],
        "DELETE": ["internal_organization_delete"],
    }

    def _response(self, org: Organization) -> Response:
        org = selectors.organization_get_visible(scope=self.request.organization, organization_id=org.id)
        body = s.organization_full(org)
        body["ancestorPath"] = [
            {"id": str(a.id), "name": a.name, "depth": a.depth}
            for a in selectors.organization_ancestors(organization=org)
            if a.depth >= self.request.organization.depth
        ]
        return Response(body)

    @extend_schema(responses={200: dict})
    def get(self, request: Request, org_id: str) -> Response:
        return self._response(self.get_org(request, org_id))

    @extend_schema(request=s.PatchOperationSerializer(many=True), responses={200: dict})
    def patch(self, request: Request, org_id: str) -> Response:
        org = self.get_org(request, org_id)
        org = services.organization_update(actor=request.user, organization=org, **apply_patch(org, request.data))
        return self._response(org)

    @extend_schema(request=s.OrganizationPutSerializer, responses={200: dict})
    def put(self, request: Request, org_id: str) -> Response:
        org = self.get_org(request, org_id)
        data = parse(s.OrganizationPutSerializer, request.data)
        org = services.organization_update(
            actor=request.user,
            organization=org,
            name=data["name"],
            status=data["status"],
            description=data.get("description", ""),
            attributes=services.organization_attributes_from_list([dict(a) for a in data.get("attributes", [])]),
        )
        return self._response(org)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, org_id: str) -> Response:
        org = self.get_org(request, org_id)
        if org.pk == request.organization.pk:
            raise InvalidInput("ORG-60064", _("An organization cannot delete itself."))
        services.organization_delete(actor=request.user, organization=org)
        return Response(status=204)


class OrganizationSelfView(OrganizationDetailView):
    required_scopes = {"GET": ["internal_organization_view"], "PATCH": ["internal_organization_update"]}

    @extend_schema(responses={200: dict})
    def get(self, request: Request) -> Response:
        return self._response(request.organization)

    @extend_schema(request=s.PatchOperationSerializer(many=True), responses={200: dict})
    def patch(self, request: Request) -> Response:
        org = request.organization
        changes = apply_patch(org, request.data)
        if set(changes) - {"name"}:
            raise InvalidInput("ORG-60011", _("Only the name of your own organization can be changed."))
        org = services.organization_update(actor=request.user, organization=org, **changes)
        return self._response(org)
