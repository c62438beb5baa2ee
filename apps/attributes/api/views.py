"""Claim management API (``/api/server/v1/claim-dialects/...``) and OIDC scope
API (``/api/server/v1/oidc/scopes``) in WSO2's shapes. Views parse and delegate
to ``apps.attributes.services``; ids are unpadded base64url of URIs."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.attributes import selectors, services
from apps.attributes.api import serializers as s
from apps.attributes.models import LOCAL_DIALECT_URI, ClaimDialect, ExternalClaim, LocalClaim, OIDCScope
from apps.core.api.serializers import parse
from apps.core.errors import InvalidInput, NotFound

VIEW, CREATE, UPDATE, DELETE = (
    "internal_claim_meta_view",
    "internal_claim_meta_create",
    "internal_claim_meta_update",
    "internal_claim_meta_delete",
)
CLAIM_SCOPES = {"GET": [VIEW], "POST": [CREATE], "PUT": [UPDATE], "DELETE": [DELETE]}
LOCAL_LIST_PARAMS = [
    OpenApiParameter("exclude-identity-claims", bool),
    OpenApiParameter("exclude-hidden-claims", bool),
    OpenApiParameter("profile", str, enum=["console", "endUser", "selfRegistration"]),
]


class ClaimAPIView(APIView):
    error_prefix = "CMT"
    required_scopes = CLAIM_SCOPES

    def get_dialect(self, request: Request, dialect_id: str) -> ClaimDialect:
        dialect = selectors.dialect_get_by_id(organization=request.organization, dialect_id=dialect_id)
        if dialect is None:
            raise NotFound(
                "CMT-50016", _("Resource not found."), _("No claim dialect matches %(i)s.") % {"i": dialect_id}
            )
        return dialect

    def get_external_dialect(self, request: Request, dialect_id: str) -> ClaimDialect:
        dialect = self.get_dialect(request, dialect_id)
        if dialect.dialect_uri == LOCAL_DIALECT_URI:
            raise InvalidInput(
                "CMT-50033",
                _("The provided claim dialect is the local claim dialect and cannot be used as an external dialect."),
            )
        return dialect

    def get_local_claim(self, request: Request, claim_id: str) -> LocalClaim:
        claim = selectors.local_claim_get_by_id(organization=request.organization, claim_id=claim_id)
        if claim is None:
            raise NotFound("CMT-50019", _("Resource not found."), _("No local claim matches %(i)s.") % {"i": claim_id})
        return claim

    def get_external_claim(self, request: Request, dialect_id: str, claim_id: str) -> ExternalClaim:
        dialect = self.get_external_dialect(request, dialect_id)
        claim = selectors.external_claim_get_by_id(dialect=dialect, claim_id=claim_id)
        if claim is None:
            raise NotFound(
                "CMT-50018", _("Resource not found."), _("No external claim matches %(i)s.") % {"i": claim_id}
            )
        return claim


class DialectListView(ClaimAPIView):
    @extend_schema(responses={200: dict}, operation_id="listClaimDialects")
    def get(self, request: Request) -> Response:
        return Response([s.dialect_out(d) for d in selectors.dialect_list(organization=request.organization)])

    @extend_schema(request=s.DialectSerializer, responses={201: dict}, operation_id="addClaimDialect")
    def post(self, request: Request) -> Response:
        data = parse(s.DialectSerializer, request.data)
        dialect = services.dialect_create(
            actor=request.user, organization=request.organization, dialect_uri=data["dialectURI"]
        )
        body = s.dialect_out(dialect)
        location = reverse("claim-dialect-detail", kwargs={"dialect_id": body["id"]})
        return Response(body, status=201, headers={"Location": location})


class DialectDetailView(ClaimAPIView):
    @extend_schema(responses={200: dict}, operation_id="getClaimDialect")
    def get(self, request: Request, dialect_id: str) -> Response:
        return Response(s.dialect_out(self.get_dialect(request, dialect_id)))

    @extend_schema(request=s.DialectSerializer, responses={200: dict}, operation_id="updateClaimDialect")
    def put(self, request: Request, dialect_id: str) -> Response:
        dialect = self.get_external_dialect(request, dialect_id)
        data = parse(s.DialectSerializer, request.data)
        dialect = services.dialect_update(
            actor=request.user, organization=request.organization, dialect=dialect, dialect_uri=data["dialectURI"]
        )
        return Response(s.dialect_out(dialect))

    @extend_schema(responses={204: None}, operation_id="deleteClaimDialect")
    def delete(self, request: Request, dialect_id: str) -> Response:
        dialect = self.get_external_dialect(request, dialect_id)
        services.dialect_delete(actor=request.user, organization=request.organization, dialect=dialect)
        return Response(status=204)


class LocalClaimListView(ClaimAPIView):
    @extend_schema(parameters=LOCAL_LIST_PARAMS, responses={200: dict}, operation_id="listLocalClaims")
    def get(self, request: Request) -> Response:
        claims = selectors.local_claim_list(organization=request.organization)
        return Response([s.local_claim_out(claim) for claim in claims])

    @extend_schema(request=s.LocalClaimSerializer, responses={201: dict}, operation_id="addLocalClaim")
    def post(self, request: Request) -> Response:
        data = parse(s.LocalClaimSerializer, request.data)
        claim = services.local_claim_create(
            actor=request.user,
            organization=request.organization,
            claim_uri=data["claimURI"],
            **s.local_claim_fields(data),
        )
        body = s.local_claim_out(claim)
        location = reverse("claim-local-claim-detail", kwargs={"claim_id": body["id"]})
        return Response(body, status=201, headers={"Location": location})


class LocalClaimDetailView(ClaimAPIView):
    @extend_schema(responses={200: dict}, operation_id="getLocalClaim")
    def get(self, request: Request, claim_id: str) -> Response:
        return Response(s.local_claim_out(self.get_local_claim(request, claim_id)))

    @extend_schema(request=s.LocalClaimSerializer, responses={200: dict}, operation_id="updateLocalClaim")
    def put(self, request: Request, claim_id: str) -> Response:
        claim = self.get_local_claim(request, claim_id)
        data = parse(s.LocalClaimSerializer, request.data)
        claim = services.local_claim_update(
            actor=request.user,
            organization=request.organization,
            claim=claim,
            claim_uri=data["claimURI"],
            **s.local_claim_fields(data),
        )
        return Response(s.local_claim_out(claim))

    @extend_schema(responses={204: None}, operation_id="deleteLocalClaim")
    def delete(self, request: Request, claim_id: str) -> Response:
        claim = self.get_local_claim(request, claim_id)
        services.local_claim_delete(actor=request.user, organization=request.organization, claim=claim)
        return Response(status=204)


class ExternalClaimListView(ClaimAPIView):
    @extend_schema(responses={200: dict}, operation_id="listExternalClaims")
    def get(self, request: Request, dialect_id: str) -> Response:
        dialect = self.get_external_dialect(request, dialect_id)
        return Response([s.external_claim_out(c) for c in selectors.external_claim_list(dialect=dialect)])

    @extend_schema(request=s.ExternalClaimSerializer, responses={201: dict}, operation_id="addExternalClaim")
    def post(self, request: Request, dialect_id: str) -> Response:
        dialect = self.get_external_dialect(request, dialect_id)
        data = parse(s.ExternalClaimSerializer, request.data)
        claim = services.external_claim_create(
            actor=request.user,
            organization=request.organization,
            dialect=dialect,
            claim_uri=data["claimURI"],
            mapped_local_claim_uri=data["mappedLocalClaimURI"],
        )
        body = s.external_claim_out(claim)
        location = reverse("claim-external-claim-detail", kwargs={"dialect_id": dialect_id, "claim_id": body["id"]})
        return Response(body, status=201, headers={"Location": location})


class ExternalClaimDetailView(ClaimAPIView):
    @extend_schema(responses={200: dict}, operation_id="getExternalClaim")
    def get(self, request: Request, dialect_id: str, claim_id: str) -> Response:
        return Response(s.external_claim_out(self.get_external_claim(request, dialect_id, claim_id)))

    @extend_schema(request=s.ExternalClaimSerializer, responses={200: dict}, operation_id="updateExternalClaim")
    def put(self, request: Request, dialect_id: str, claim_id: str) -> Response:
        claim = self.get_external_claim(request, dialect_id, claim_id)
        data = parse(s.ExternalClaimSerializer, request.data)
        claim = services.external_claim_update(
            actor=request.user,
            organization=request.organization,
            claim=claim,
            claim_uri=data["claimURI"],
            mapped_local_claim_uri=data["mappedLocalClaimURI"],
        )
        return Response(s.external_claim_out(claim))

    @extend_schema(responses={204: None}, operation_id="deleteExternalClaim")
    def delete(self, request: Request, dialect_id: str, claim_id: str) -> Response:
        claim = self.get_external_claim(request, dialect_id, claim_id)
        services.external_claim_delete(actor=request.user, organization=request.organization, claim=claim)
        return Response(status=204)


# --- OIDC scopes ----------------------------------------------------------------------------------


class OIDCScopeAPIView(APIView):
    error_prefix = "OSM"
    required_scopes = {
        "GET": ["internal_oidc_scope_mgt_view"],
        "POST": ["internal_oidc_scope_mgt_create"],
        "PUT": ["internal_oidc_scope_mgt_update"],
        "DELETE": ["internal_oidc_scope_mgt_delete"],
    }

    def get_scope(self, request: Request, name: str) -> OIDCScope:
        scope = selectors.oidc_scope_get(organization=request.organization, name=name)
        if scope is None:
            raise NotFound("OSM-60003", _("Scope %(n)s is not found.") % {"n": name[:255]})
        return scope


class OIDCScopeListView(OIDCScopeAPIView):
    @extend_schema(responses={200: dict}, operation_id="listOIDCScopes")
    def get(self, request: Request) -> Response:
        return Response(
            [s.oidc_scope_out(scope) for scope in selectors.oidc_scope_list(organization=request.organization)]
        )

    @extend_schema(request=s.OIDCScopeSerializer, responses={201: dict}, operation_id="addOIDCScope")
    def post(self, request: Request) -> Response:
        data = parse(s.OIDCScopeSerializer, request.data)
        scope = services.oidc_scope_create(
            actor=request.user,
            organization=request.organization,
            name=data["name"],
            display_name=data["displayName"],
            description=data.get("description", ""),
            claims=data.get("claims", []),
        )
        location = reverse("oidc-scope-detail", kwargs={"name": scope.name})
        return Response(s.oidc_scope_out(scope), status=201, headers={"Location": location})


class OIDCScopeDetailView(OIDCScopeAPIView):
    @extend_schema(responses={200: dict}, operation_id="getOIDCScope")
    def get(self, request: Request, name: str) -> Response:
        return Response(s.oidc_scope_out(self.get_scope(request, name)))

    @extend_schema(request=s.OIDCScopeUpdateSerializer, responses={200: dict}, operation_id="updateOIDCScope")
    def put(self, request: Request, name: str) -> Response:
        scope = self.get_scope(request, name)
        data = parse(s.OIDCScopeUpdateSerializer, request.data)
        scope = services.oidc_scope_update(
            actor=request.user,
            organization=request.organization,
            scope=scope,
            display_name=data["displayName"],
            description=data.get("description", ""),
            claims=data.get("claims", []),
        )
        return Response(s.oidc_scope_out(selectors.oidc_scope_get(organization=request.organization, name=scope.name)))

    @extend_schema(responses={204: None}, operation_id="deleteOIDCScope")
    def delete(self, request: Request, name: str) -> Response:
        services.oidc_scope_delete(
            actor=request.user, organization=request.organization, scope=self.get_scope(request, name)
        )
        return Response(status=204)
