"""Users, groups and roles management API (what the Console needs; SCIM 2.0
arrives in its own issue and will share these services)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.pagination import paginate_offset, parse_text_param
from apps.core.api.serializers import parse
from apps.core.errors import NotFound
from apps.users import selectors, services
from apps.users.api import serializers as s

LIST_PARAMS = [
    OpenApiParameter("search", str, description="Matches username, email or names (users) or name."),
    OpenApiParameter("limit", int),
    OpenApiParameter("offset", int),
]


def _found(value: Any, code: str, message: str) -> Any:
    if value is None:
        raise NotFound(code, message)
    return value


class UserListView(APIView):
    error_prefix = "UMG"
    required_scopes = {"GET": ["internal_user_mgt_list"], "POST": ["internal_user_mgt_create"]}

    @extend_schema(
        parameters=[*LIST_PARAMS, OpenApiParameter("state", str)], responses={200: dict}, operation_id="listUsers"
    )
    def get(self, request: Request) -> Response:
        qs = selectors.user_list(
            organization=request.organization,
            search=parse_text_param(request, "search", code="UMG-60003"),
            state=parse_text_param(request, "state", code="UMG-60003", max_length=64),
        )
        items, meta = paginate_offset(request, qs, prefix="UMG")
        return Response({**meta, "users": [s.user_out(u) for u in items]})

    @extend_schema(request=s.UserCreateSerializer, responses={201: dict})
    def post(self, request: Request) -> Response:
        data = parse(s.UserCreateSerializer, request.data)
        user = services.user_create(
            actor=request.user,
            organization=request.organization,
            password=data.get("password"),
            kind=data.get("kind", "user"),
            **s.user_changes(data),
        )
        # reverse() keeps the /t/<root>/o/<org> prefix of this request.
        location = reverse("user-detail", kwargs={"user_id": user.id})
        return Response(s.user_out(user), status=201, headers={"Location": location})


class UserLookupView(APIView):
    error_prefix = "UMG"

    def get_user(self, request: Request, user_id: str) -> Any:
        user = selectors.user_get(organization=request.organization, user_id=user_id)
        return _found(user, "UMG-60015", _("User not found."))


class UserDetailView(UserLookupView):
    required_scopes = {
        "GET": ["internal_user_mgt_view"],
        "PATCH": ["internal_user_mgt_update"],
        "DELETE": ["internal_user_mgt_delete"],
    }

    @extend_schema(responses={200: dict})
    def get(self, request: Request, user_id: str) -> Response:
        return Response(s.user_out(self.get_user(request, user_id)))

    @extend_schema(request=s.UserPatchSerializer, responses={200: dict})
    def patch(self, request: Request, user_id: str) -> Response:
        user = self.get_user(request, user_id)
        data = parse(s.UserPatchSerializer, request.data)
        user = services.user_update(actor=request.user, user=user, **s.user_changes(data))
        return Response(s.user_out(user))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, user_id: str) -> Response:
        services.user_delete(actor=request.user, user=self.get_user(request, user_id))
        return Response(status=204)


class UserStateView(UserLookupView):
    required_scopes = {"PUT": ["internal_user_mgt_update"]}

    @extend_schema(request=s.UserStateSerializer, responses={200: dict})
    def put(self, request: Request, user_id: str) -> Response:
        user = self.get_user(request, user_id)
        data = parse(s.UserStateSerializer, request.data)
        user = services.user_set_state(
            actor=request.user, user=user, state=data["state"], lock_minutes=data.get("lockMinutes")
        )
        return Response(s.user_out(user))


class UserPasswordView(UserLookupView):
    required_scopes = {"PUT": ["internal_user_mgt_update"]}

    @extend_schema(request=s.PasswordSerializer, responses={204: None})
    def put(self, request: Request, user_id: str) -> Response:
        user = self.get_user(request, user_id)
        data = parse(s.PasswordSerializer, request.data)
        services.user_set_password(actor=request.user, user=user, password=data["password"])
        return Response(status=204)


class GroupListView(APIView):
    error_prefix = "GRP"
    required_scopes = {"GET": ["internal_group_mgt_view"], "POST": ["internal_group_mgt_create"]}

    @extend_schema(parameters=LIST_PARAMS, responses={200: dict}, operation_id="listGroups")
    def get(self, request: Request) -> Response:
        qs = selectors.group_list(
            organization=request.organization, search=parse_text_param(request, "search", code="GRP-60003")
        )
        items, meta = paginate_offset(request, qs, prefix="GRP")
        return Response({**meta, "groups": [s.group_out(g) for g in items]})

    @extend_schema(request=s.GroupSerializer, responses={201: dict})
    def post(self, request: Request) -> Response:
        data = parse(s.GroupSerializer, request.data)
        group = services.group_create(
            actor=request.user,
            organization=request.organization,
            name=data["name"],
            description=data.get("description", ""),
            member_ids=data.get("members", []),
        )
        return Response(s.group_out(group, with_members=True), status=201)


class GroupDetailView(APIView):
    error_prefix = "GRP"
    required_scopes = {
        "GET": ["internal_group_mgt_view"],
        "PATCH": ["internal_group_mgt_update"],
        "DELETE": ["internal_group_mgt_delete"],
    }

    def get_group(self, request: Request, group_id: str) -> Any:
        group = selectors.group_get(organization=request.organization, group_id=group_id)
        return _found(group, "GRP-60015", _("Group not found."))

    @extend_schema(responses={200: dict})
    def get(self, request: Request, group_id: str) -> Response:
        return Response(s.group_out(self.get_group(request, group_id), with_members=True))

    @extend_schema(request=s.GroupPatchSerializer, responses={200: dict})
    def patch(self, request: Request, group_id: str) -> Response:
        group = self.get_group(request, group_id)
        data = parse(s.GroupPatchSerializer, request.data)
        group = services.group_update(
            actor=request.user,
            group=group,
            name=data.get("name"),
            description=data.get("description"),
            member_ids=data.get("members"),
        )
        return Response(s.group_out(group, with_members=True))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, group_id: str) -> Response:
        services.group_delete(actor=request.user, group=self.get_group(request, group_id))
        return Response(status=204)


class RoleListView(APIView):
    error_prefix = "ROL"
    required_scopes = {"GET": ["internal_role_mgt_view"], "POST": ["internal_role_mgt_create"]}

    @extend_schema(parameters=LIST_PARAMS, responses={200: dict}, operation_id="listRoles")
    def get(self, request: Request) -> Response:
        qs = selectors.role_list(
            organization=request.organization, search=parse_text_param(request, "search", code="ROL-60003")
        )
        items, meta = paginate_offset(request, qs, prefix="ROL")
        return Response({**meta, "roles": [s.role_out(r) for r in items]})

    @extend_schema(request=s.RoleSerializer, responses={201: dict})
    def post(self, request: Request) -> Response:
        data = parse(s.RoleSerializer, request.data)
        role = services.role_create(
            actor=request.user,
            organization=request.organization,
            name=data["name"],
            permissions=data.get("permissions", []),
            user_ids=data.get("users", []),
            group_ids=data.get("groups", []),
        )
        return Response(s.role_out(role, detailed=True), status=201)


class RoleDetailView(APIView):
    error_prefix = "ROL"
    required_scopes = {
        "GET": ["internal_role_mgt_view"],
        "PATCH": ["internal_role_mgt_update"],
        "DELETE": ["internal_role_mgt_delete"],
    }

    def get_role(self, request: Request, role_id: str) -> Any:
        role = selectors.role_get(organization=request.organization, role_id=role_id)
        return _found(role, "ROL-60015", _("Role not found."))

    @extend_schema(responses={200: dict})
    def get(self, request: Request, role_id: str) -> Response:
        return Response(s.role_out(self.get_role(request, role_id), detailed=True))

    @extend_schema(request=s.RolePatchSerializer, responses={200: dict})
    def patch(self, request: Request, role_id: str) -> Response:
        role = self.get_role(request, role_id)
        data = parse(s.RolePatchSerializer, request.data)
        role = services.role_update(
            actor=request.user,
            role=role,
            name=data.get("name"),
            permissions=data.get("permissions"),
            user_ids=data.get("users"),
            group_ids=data.get("groups"),
        )
        return Response(s.role_out(role, detailed=True))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, role_id: str) -> Response:
        services.role_delete(actor=request.user, role=self.get_role(request, role_id))
        return Response(status=204)
