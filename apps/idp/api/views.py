"""Identity Provider Management API (``/api/server/v1/identity-providers``) and the federated
association APIs (``/api/server/v1/users/{id}/federated-associations``, and WSO2's
``/api/users/v1/...`` paths including ``me`` and ``bulk``), thin over the services."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.pagination import parse_int_param
from apps.core.api.serializers import parse
from apps.core.errors import InvalidInput, NotFound
from apps.idp import selectors, services
from apps.idp.api import serializers as s
from apps.idp.catalog import TEMPLATES
from apps.idp.models import IdentityProvider
from apps.users.models import User
from apps.users.selectors import user_get

ERRORS = {
    400: OpenApiResponse(description="Invalid request (IDP-600xx)."),
    401: OpenApiResponse(description="Authentication required."),
    403: OpenApiResponse(description="Missing scope."),
    404: OpenApiResponse(description="Unknown identity provider (IDP-60016)."),
}
VIEW, CREATE, UPDATE, DELETE = (
    ["internal_idp_view"],
    ["internal_idp_create"],
    ["internal_idp_update"],
    ["internal_idp_delete"],
)
ASSOC_VIEW = ["internal_user_association_view", "internal_user_mgt_view"]
ASSOC_CREATE = ["internal_user_association_create", "internal_user_mgt_update"]
ASSOC_DELETE = ["internal_user_association_delete", "internal_user_mgt_update"]
ASSOC_BULK = ["internal_user_fed_association_bulk"]
OBJECT = OpenApiTypes.OBJECT


class IdpAPIView(APIView):
    error_prefix = "IDP"

    def get_idp(self, request: Request, idp_id: str) -> IdentityProvider:
        idp = selectors.idp_get_by_id(organization=request.organization, idp_id=idp_id)
        if idp is None:
            raise NotFound(
                "IDP-60016", _("Identity provider not found."), _("No identity provider %(id)s here.") % {"id": idp_id}
            )
        return idp


class IdentityProviderListView(IdpAPIView):
    required_scopes = {"GET": VIEW, "POST": CREATE}

    @extend_schema(
        parameters=[OpenApiParameter("limit", int), OpenApiParameter("offset", int)],
        responses={200: OBJECT, **ERRORS},
        operation_id="getIDPs",
    )
    def get(self, request: Request) -> Response:
        limit = parse_int_param(request, "limit", 30, code="IDP-60001", minimum=1)
        offset = parse_int_param(request, "offset", 0, code="IDP-60001")
        rows = selectors.idp_list(organization=request.organization)
        total = rows.count()
        page = list(rows[offset : offset + min(limit, 500)])
        return Response(
            {
                "totalResults": total,
                "startIndex": offset + 1,
                "count": len(page),
                "links": [],
                "identityProviders": [s.idp_summary_out(idp) for idp in page],
            }
        )

    @extend_schema(
        request=s.IdentityProviderRequestSerializer,
        responses={201: OBJECT, **ERRORS, 409: OpenApiResponse(description="IDP-60009")},
        operation_id="addIDP",
    )
    def post(self, request: Request) -> Response:
        data = parse(s.IdentityProviderRequestSerializer, request.data)
        template_id, fields = s.idp_request_fields(data)
        idp = services.idp_create(
            actor=request.user, organization=request.organization, template_id=template_id, **fields
        )
        return Response(s.idp_out(idp), status=201, headers={"Location": s.idp_summary_out(idp)["self"]})


class IdentityProviderDetailView(IdpAPIView):
    required_scopes = {"GET": VIEW, "PATCH": UPDATE, "DELETE": DELETE}
    PATCH_PATHS = {"/name": "name", "/description": "description", "/image": "image_url", "/isEnabled": "is_enabled"}

    @extend_schema(responses={200: OBJECT, **ERRORS}, operation_id="getIDP")
    def get(self, request: Request, idp_id: str) -> Response:
        return Response(s.idp_out(self.get_idp(request, idp_id)))

    @extend_schema(
        request=s.IdpPatchOperationSerializer(many=True),
        responses={200: OBJECT, **ERRORS},
        operation_id="patchIDP",
        description="JSON-patch-like REPLACE/ADD of /name, /description, /image, /isEnabled (WSO2's IdP patch).",
    )
    def patch(self, request: Request, idp_id: str) -> Response:
        idp = self.get_idp(request, idp_id)
        operations = parse(s.IdpPatchOperationSerializer, request.data, many=True)
        changes: dict[str, Any] = {}
        for operation in operations:
            field = self.PATCH_PATHS.get(operation["path"])
            if field is None:
                raise InvalidInput(
                    "IDP-60001",
                    _("Unsupported patch path %(p)s; use one of %(all)s.")
                    % {"p": operation["path"], "all": ", ".join(self.PATCH_PATHS)},
                )
            changes[field] = None if operation["operation"] == "REMOVE" else operation.get("value")
        idp = services.idp_update(actor=request.user, idp=idp, **changes)
        return Response(s.idp_out(idp))

    @extend_schema(
        parameters=[OpenApiParameter("force", bool)],
        responses={204: None, **ERRORS, 409: OpenApiResponse(description="IDP-60008: used by applications")},
        operation_id="deleteIDP",
    )
    def delete(self, request: Request, idp_id: str) -> Response:
        idp = self.get_idp(request, idp_id)
        force = request.query_params.get("force", "false").lower() == "true"
        services.idp_delete(actor=request.user, idp=idp, force=force)
        return Response(status=204)


class AuthenticatorListView(IdpAPIView):
    required_scopes = {"GET": VIEW}

    @extend_schema(responses={200: OBJECT, **ERRORS}, operation_id="getFederatedAuthenticators")
    def get(self, request: Request, idp_id: str) -> Response:
        return Response(s.authenticators_out(self.get_idp(request, idp_id)))


class AuthenticatorDetailView(IdpAPIView):
    required_scopes = {"GET": VIEW, "PUT": UPDATE}

    def get_authenticator(self, request: Request, idp_id: str, authenticator_id: str) -> IdentityProvider:
        idp = self.get_idp(request, idp_id)
        if authenticator_id != s.authenticator_id(idp):
            raise NotFound("IDP-60017", _("Federated authenticator not found."))
        return idp

    @extend_schema(responses={200: OBJECT, **ERRORS}, operation_id="getFederatedAuthenticator")
    def get(self, request: Request, idp_id: str, authenticator_id: str) -> Response:
        return Response(s.authenticator_out(self.get_authenticator(request, idp_id, authenticator_id)))

    @extend_schema(
        request=s.AuthenticatorRequestSerializer,
        responses={200: OBJECT, **ERRORS},
        operation_id="updateFederatedAuthenticator",
        description="Properties: ClientId, ClientSecret (omitted or blank keeps the stored one), OAuth2AuthzEPUrl, "
        "OAuth2TokenEPUrl, UserInfoUrl, DiscoveryUrl (fetched when given without endpoints), Scopes, "
        "IsPKCEEnabled, UseUserInfo, TokenEndpointAuthMethod.",
    )
    def put(self, request: Request, idp_id: str, authenticator_id: str) -> Response:
        idp = self.get_authenticator(request, idp_id, authenticator_id)
        data = parse(s.AuthenticatorRequestSerializer, request.data)
        idp = services.idp_update(actor=request.user, idp=idp, **s.authenticator_fields(data))
        return Response(s.authenticator_out(idp))


class ClaimsView(IdpAPIView):
    required_scopes = {"GET": VIEW, "PUT": UPDATE}

    @extend_schema(responses={200: OBJECT, **ERRORS}, operation_id="getClaimConfig")
    def get(self, request: Request, idp_id: str) -> Response:
        return Response(s.claims_out(self.get_idp(request, idp_id)))

    @extend_schema(
        request=s.ClaimsRequestSerializer, responses={200: OBJECT, **ERRORS}, operation_id="updateClaimConfig"
    )
    def put(self, request: Request, idp_id: str) -> Response:
        idp = self.get_idp(request, idp_id)
        data = parse(s.ClaimsRequestSerializer, request.data)
        fields = s.claims_fields(data)
        fields.setdefault("claim_mappings", [])
        idp = services.idp_update(actor=request.user, idp=idp, **fields)
        return Response(s.claims_out(idp))


class JitView(IdpAPIView):
    required_scopes = {"GET": VIEW, "PUT": UPDATE}

    @extend_schema(responses={200: OBJECT, **ERRORS}, operation_id="getJITConfig")
    def get(self, request: Request, idp_id: str) -> Response:
        return Response(s.jit_out(self.get_idp(request, idp_id)))

    @extend_schema(
        request=s.JitRequestSerializer,
        responses={200: OBJECT, **ERRORS},
        operation_id="updateJITConfig",
        description="accountLookupAttributeMappings: at most two {federatedAttribute, localAttribute} (IDP-60005).",
    )
    def put(self, request: Request, idp_id: str) -> Response:
        idp = self.get_idp(request, idp_id)
        data = parse(s.JitRequestSerializer, request.data)
        fields = s.jit_fields(data)
        fields.setdefault("lookup_mappings", [])
        idp = services.idp_update(actor=request.user, idp=idp, **fields)
        return Response(s.jit_out(idp))


class TemplateListView(IdpAPIView):
    required_scopes = {"GET": VIEW}

    @extend_schema(responses={200: OBJECT, **ERRORS}, operation_id="getIDPTemplates")
    def get(self, request: Request) -> Response:
        items = [s.template_out(template_id) for template_id in TEMPLATES]
        return Response({"totalResults": len(items), "startIndex": 1, "count": len(items), "templates": items})


class TemplateDetailView(IdpAPIView):
    required_scopes = {"GET": VIEW}

    @extend_schema(responses={200: OBJECT, **ERRORS}, operation_id="getIDPTemplate")
    def get(self, request: Request, template_id: str) -> Response:
        if template_id not in TEMPLATES:
            raise NotFound("IDP-60018", _("Template not found."))
        return Response(s.template_out(template_id))


# --- federated associations -----------------------------------------------------------------------------


class AssociationAPIView(APIView):
    error_prefix = "UAA"

    def get_user(self, request: Request, user_id: str) -> User:
        user = user_get(organization=request.organization, user_id=user_id)
        if user is None:
            raise NotFound("UAA-10009", _("User not found."), _("No user %(id)s here.") % {"id": user_id[:64]})
        return user

    def list_response(self, user: User) -> Response:
        return Response([s.association_out(row) for row in selectors.associations_of(user)])

    def delete_one(self, request: Request, user: User, association_id: str) -> Response:
        row = selectors.association_get(user=user, association_id=association_id)
        if row is None:
            raise NotFound("UAA-10010", _("Federated association not found."))
        services.association_delete(actor=request.user, association=row)
        return Response(status=204)


class UserAssociationListView(AssociationAPIView):
    required_scopes = {"GET": ASSOC_VIEW, "POST": ASSOC_CREATE, "DELETE": ASSOC_DELETE}

    @extend_schema(responses={200: OBJECT, **ERRORS}, operation_id="getUserFederatedAssociations")
    def get(self, request: Request, user_id: str) -> Response:
        return self.list_response(self.get_user(request, user_id))

    @extend_schema(
        request=s.AssociationRequestSerializer,
        responses={201: OBJECT, **ERRORS, 409: OpenApiResponse(description="UAA-10012")},
        operation_id="addUserFederatedAssociation",
    )
    def post(self, request: Request, user_id: str) -> Response:
        user = self.get_user(request, user_id)
        data = parse(s.AssociationRequestSerializer, request.data)
        idp = selectors.idp_get(request.organization, data["idp"])
        if idp is None:
            raise InvalidInput("UAA-10013", _("Identity provider %(idp)s not found.") % {"idp": data["idp"]})
        row = services.association_create(actor=request.user, user=user, idp=idp, subject=data["federatedUserId"])
        return Response(s.association_out(row), status=201)

    @extend_schema(responses={204: None, **ERRORS}, operation_id="deleteUserFederatedAssociations")
    def delete(self, request: Request, user_id: str) -> Response:
        services.associations_delete_for_user(actor=request.user, user=self.get_user(request, user_id))
        return Response(status=204)


class UserAssociationDetailView(AssociationAPIView):
    required_scopes = {"DELETE": ASSOC_DELETE}

    @extend_schema(responses={204: None, **ERRORS}, operation_id="deleteUserFederatedAssociation")
    def delete(self, request: Request, user_id: str, association_id: str) -> Response:
        return self.delete_one(request, self.get_user(request, user_id), association_id)


class MyAssociationsMixin:
    def me(self, request: Request) -> User:
        user = request.user
        if not isinstance(user, User) or user.organization_id != request.organization.pk:
            raise NotFound("UAA-10009", _("This endpoint needs a user's token."))
        return user


class MyAssociationListView(MyAssociationsMixin, AssociationAPIView):
    required_scopes = {"GET": ["internal_login"], "DELETE": ["internal_login"]}

    @extend_schema(responses={200: OBJECT, **ERRORS}, operation_id="getMyFederatedAssociations")
    def get(self, request: Request) -> Response:
        return self.list_response(self.me(request))

    @extend_schema(responses={204: None, **ERRORS}, operation_id="deleteMyFederatedAssociations")
    def delete(self, request: Request) -> Response:
        services.associations_delete_for_user(actor=request.user, user=self.me(request))
        return Response(status=204)


class MyAssociationDetailView(MyAssociationsMixin, AssociationAPIView):
    required_scopes = {"DELETE": ["internal_login"]}

    @extend_schema(responses={204: None, **ERRORS}, operation_id="deleteMyFederatedAssociation")
    def delete(self, request: Request, association_id: str) -> Response:
        return self.delete_one(request, self.me(request), association_id)


class AssociationBulkView(AssociationAPIView):
    required_scopes = {"POST": ASSOC_BULK}

    @extend_schema(
        request=s.BulkRequestSerializer,
        responses={200: OBJECT, **ERRORS},
        operation_id="bulkFederatedAssociations",
        description="POST/DELETE operations on /{user-id}/federated-associations[/{association-id}]; 200 with one "
        "result per executed operation. failOnErrors N stops after N failures.",
    )
    def post(self, request: Request) -> Response:
        data = parse(s.BulkRequestSerializer, request.data)
        results = services.associations_bulk(
            actor=request.user,
            organization=request.organization,
            operations=data["operations"],
            fail_on_errors=data.get("failOnErrors") or 0,
            max_operations=int(getattr(settings, "IAM_FEDERATED_ASSOCIATION_BULK_MAX", 1000)),
        )
        return Response({"Operations": results})


# The same operations under WSO2's /api/users/v1 paths (apps.idp.urls), with their own operation ids.
@extend_schema_view(
    get=extend_schema(operation_id="getUserFederatedAssociationsV1"),
    post=extend_schema(operation_id="addUserFederatedAssociationV1"),
    delete=extend_schema(operation_id="deleteUserFederatedAssociationsV1"),
)
class UsersV1AssociationListView(UserAssociationListView):
    pass


@extend_schema_view(delete=extend_schema(operation_id="deleteUserFederatedAssociationV1"))
class UsersV1AssociationDetailView(UserAssociationDetailView):
    pass


@extend_schema_view(post=extend_schema(operation_id="bulkFederatedAssociationsV1"))
class UsersV1AssociationBulkView(AssociationBulkView):
    pass
