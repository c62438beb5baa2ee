"""Applications and API resources management API (WSO2 shapes):
``/api/server/v1/applications`` and ``/api/server/v1/api-resources``.

Views parse and delegate; every rule lives in ``apps.applications.services``.
Objects of another organization are not found (404)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.applications import selectors, services
from apps.applications.api import resource_serializers as rs
from apps.applications.api import serializers as s
from apps.applications.app_templates import template_list
from apps.applications.models import Application, AuthorizedAPI
from apps.core.api.pagination import paginate_offset, parse_text_param
from apps.core.api.serializers import parse
from apps.core.errors import InvalidInput, NotFound

LIST_PARAMS = [
    OpenApiParameter("filter", str, description="e.g. `name co shop` (`eq co sw ew`, joined by `and` / `or`)."),
    OpenApiParameter("limit", int),
    OpenApiParameter("offset", int),
]


class ApplicationAPIView(APIView):
    error_prefix = "APP"

    def get_application(self, request: Request, application_id: str) -> Application:
        application = selectors.application_get(organization=request.organization, application_id=application_id)
        if application is None:
            raise NotFound("APP-60015", _("Application not found."))
        return application


class ApplicationListView(ApplicationAPIView):
    required_scopes = {"GET": ["internal_application_mgt_view"], "POST": ["internal_application_mgt_create"]}

    @extend_schema(parameters=LIST_PARAMS, responses={200: dict}, operation_id="listApplications")
    def get(self, request: Request) -> Response:
        qs = selectors.application_list(
            organization=request.organization,
            filter_expression=parse_text_param(request, "filter", code="APP-60021", max_length=1024),
        )
        items, meta = paginate_offset(request, qs, prefix="APP")
        issuer = ""
        if items:
            issuer = selectors.application_endpoints(application=items[0])["issuer"]
        return Response({**meta, "applications": [s.application_list_item(app, issuer=issuer) for app in items]})

    @extend_schema(
        request=s.ApplicationCreateSerializer,
        responses={201: dict},
        operation_id="createApplication",
        description="Creates an application from a template. The response carries the client secret of a "
        "confidential client in `inboundProtocolConfiguration.oidc.clientSecret`: it is never shown again.",
    )
    def post(self, request: Request) -> Response:
        data = parse(s.ApplicationCreateSerializer, request.data)
        overrides = s.general_settings(data)
        oidc = (data.get("inboundProtocolConfiguration") or {}).get("oidc")
        if oidc is not None:
            overrides.update(s.oidc_settings(oidc))
        application, secret = services.application_create(
            actor=request.user,
            organization=request.organization,
            template_id=data.get("templateId", s.DEFAULT_TEMPLATE_ID),
            name=data["name"],
            **overrides,
        )
        location = reverse("application-detail", kwargs={"application_id": application.uuid})
        return Response(
            s.application_out(application, client_secret=secret), status=201, headers={"Location": location}
        )


class ApplicationTemplateListView(APIView):
    error_prefix = "APP"
    required_scopes = {"GET": ["internal_application_mgt_view"]}

    @extend_schema(responses={200: dict}, operation_id="listApplicationTemplates")
    def get(self, request: Request) -> Response:
        templates = [s.template_out(template) for template in template_list()]
        return Response({"totalResults": len(templates), "templates": templates})


def _sequence_out(application: Application) -> dict[str, Any]:
    """``authenticationSequence`` (steps and conditional-authentication script), owned by apps.authn."""
    from apps.authn.api.sequence import authentication_sequence_out

    return {"authenticationSequence": authentication_sequence_out(application)}


class ApplicationDetailView(ApplicationAPIView):
    required_scopes = {
        "GET": ["internal_application_mgt_view"],
        "PATCH": ["internal_application_mgt_update"],
        "DELETE": ["internal_application_mgt_delete"],
    }

    @extend_schema(responses={200: dict}, operation_id="getApplication")
    def get(self, request: Request, application_id: str) -> Response:
        application = self.get_application(request, application_id)
        return Response({**s.application_out(application), **_sequence_out(application)})

    @extend_schema(request=s.ApplicationPatchSerializer, responses={200: dict}, operation_id="patchApplication")
    def patch(self, request: Request, application_id: str) -> Response:
        application = self.get_application(request, application_id)
        data = parse(s.ApplicationPatchSerializer, request.data)
        with transaction.atomic():  # a refused script leaves the rest unchanged too
            if "authenticationSequence" in data:
                from apps.authn.api.sequence import authentication_sequence_apply

                sequence = data["authenticationSequence"]
                authentication_sequence_apply(actor=request.user, application=application, data=sequence)
            application = services.application_update(
                actor=request.user, application=application, name=data.get("name"), **s.general_settings(data)
            )
        return Response({**s.application_out(application), **_sequence_out(application)})

    @extend_schema(responses={204: None}, operation_id="deleteApplication")
    def delete(self, request: Request, application_id: str) -> Response:
        services.application_delete(actor=request.user, application=self.get_application(request, application_id))
        return Response(status=204)


class OIDCConfigurationView(ApplicationAPIView):
    required_scopes = {"GET": ["internal_application_mgt_view"], "PUT": ["internal_application_mgt_update"]}

    @extend_schema(responses={200: dict}, operation_id="getInboundOAuthConfiguration")
    def get(self, request: Request, application_id: str) -> Response:
        return Response(s.oidc_out(self.get_application(request, application_id)))

    @extend_schema(
        request=s.OIDCSerializer,
        responses={200: dict},
        operation_id="updateInboundOAuthConfiguration",
        description="Members left out keep their current value. The client secret is never returned here.",
    )
    def put(self, request: Request, application_id: str) -> Response:
        application = self.get_application(request, application_id)
        data = parse(s.OIDCSerializer, request.data)
        application = services.application_update(
            actor=request.user, application=application, **s.oidc_settings(data, application=application)
        )
        return Response(s.oidc_out(application))


class RegenerateSecretView(ApplicationAPIView):
    required_scopes = {"POST": ["internal_application_mgt_update"]}

    @extend_schema(
        request=None,
        responses={200: dict},
        operation_id="regenerateOAuthClientSecret",
        description="A new client secret, in `clientSecret`, shown once; the old one stops working.",
    )
    def post(self, request: Request, application_id: str) -> Response:
        application = self.get_application(request, application_id)
        secret = services.application_regenerate_secret(actor=request.user, application=application)
        application.refresh_from_db()
        return Response(s.oidc_out(application, client_secret=secret))


class AuthorizedAPIListView(ApplicationAPIView):
    required_scopes = {"GET": ["internal_application_mgt_view"], "POST": ["internal_application_mgt_update"]}

    @extend_schema(responses={200: dict}, operation_id="listAuthorizedAPIs")
    def get(self, request: Request, application_id: str) -> Response:
        application = self.get_application(request, application_id)
        return Response([rs.authorized_api_out(a) for a in selectors.authorized_api_list(application=application)])

    @extend_schema(request=rs.AuthorizedAPICreateSerializer, responses={200: dict}, operation_id="addAuthorizedAPI")
    def post(self, request: Request, application_id: str) -> Response:
        application = self.get_application(request, application_id)
        data = parse(rs.AuthorizedAPICreateSerializer, request.data)
        resource = selectors.api_resource_get(organization=application.organization, api_resource_id=data["id"])
        if resource is None:
            raise InvalidInput("APP-60030", _("The API resource does not exist."), field="id")
        authorized = services.application_authorize_api(
            actor=request.user,
            application=application,
            api_resource=resource,
            scopes=data.get("scopes", []),
            policy=data.get("policyIdentifier", AuthorizedAPI.Policy.RBAC),
        )
        authorized = selectors.authorized_api_get(application=application, api_resource_id=authorized.api_resource_id)
        return Response(rs.authorized_api_out(authorized), status=200)


class AuthorizedAPIDetailView(ApplicationAPIView):
    required_scopes = {"PATCH": ["internal_application_mgt_update"], "DELETE": ["internal_application_mgt_update"]}

    def get_authorized(self, request: Request, application_id: str, api_id: str) -> AuthorizedAPI:
        application = self.get_application(request, application_id)
        authorized = selectors.authorized_api_get(application=application, api_resource_id=api_id)
        if authorized is None:
            raise NotFound("APP-60034", _("The application is not authorized for this API resource."))
        return authorized

    @extend_schema(request=rs.AuthorizedAPIPatchSerializer, responses={200: dict}, operation_id="patchAuthorizedAPI")
    def patch(self, request: Request, application_id: str, api_id: str) -> Response:
        authorized = self.get_authorized(request, application_id, api_id)
        data = parse(rs.AuthorizedAPIPatchSerializer, request.data)
        services.application_update_authorized_api(
            actor=request.user,
            authorized_api=authorized,
            added_scopes=data.get("addedScopes", []),
            removed_scopes=data.get("removedScopes", []),
        )
        refreshed = selectors.authorized_api_get(application=authorized.application, api_resource_id=api_id)
        return Response(rs.authorized_api_out(refreshed))

    @extend_schema(responses={204: None}, operation_id="deleteAuthorizedAPI")
    def delete(self, request: Request, application_id: str, api_id: str) -> Response:
        services.application_revoke_api(
            actor=request.user, authorized_api=self.get_authorized(request, application_id, api_id)
        )
        return Response(status=204)


# --- API resources -------------------------------------------------------------------------


class APIResourceAPIView(APIView):
    error_prefix = "APR"

    def get_resource(self, request: Request, api_resource_id: str) -> Any:
        resource = selectors.api_resource_get(organization=request.organization, api_resource_id=api_resource_id)
        if resource is None:
            raise NotFound("APR-60015", _("API resource not found."))
        return resource


class APIResourceListView(APIResourceAPIView):
    # The Console's role editor lists resources to pick permissions from.
    required_scopes = {
        "GET": ["internal_api_resource_view", "internal_role_mgt_view"],
        "POST": ["internal_api_resource_create"],
    }

    @extend_schema(parameters=LIST_PARAMS, responses={200: dict}, operation_id="listAPIResources")
    def get(self, request: Request) -> Response:
        qs = selectors.api_resource_list(
            organization=request.organization,
            filter_expression=parse_text_param(request, "filter", code="APR-60021", max_length=1024),
        ).prefetch_related("scopes")
        items, meta = paginate_offset(request, qs, prefix="APR")
        return Response({**meta, "apiResources": [rs.api_resource_list_item(r) for r in items]})

    @extend_schema(request=rs.APIResourceCreateSerializer, responses={201: dict}, operation_id="createAPIResource")
    def post(self, request: Request) -> Response:
        data = parse(rs.APIResourceCreateSerializer, request.data)
        resource = services.api_resource_create(
            actor=request.user,
            organization=request.organization,
            name=data["name"],
            identifier=data["identifier"],
            description=data.get("description", ""),
            resource_type=rs.resource_type(data),
            requires_authorization=data.get("requiresAuthorization", True),
            scopes=rs.scope_specs(data.get("scopes", [])),
        )
        location = reverse("api-resource-detail", kwargs={"api_resource_id": resource.id})
        return Response(rs.api_resource_out(resource, subscribed=[]), status=201, headers={"Location": location})


class APIResourceDetailView(APIResourceAPIView):
    required_scopes = {
        "GET": ["internal_api_resource_view"],
        "PATCH": ["internal_api_resource_update"],
        "DELETE": ["internal_api_resource_delete"],
    }

    def _out(self, request: Request, resource: Any) -> dict[str, Any]:
        subscribed = list(
            selectors.api_resource_subscribed_applications(api_resource=resource, organization=request.organization)
        )
        return rs.api_resource_out(resource, subscribed=subscribed)

    @extend_schema(responses={200: dict}, operation_id="getAPIResource")
    def get(self, request: Request, api_resource_id: str) -> Response:
        return Response(self._out(request, self.get_resource(request, api_resource_id)))

    @extend_schema(request=rs.APIResourcePatchSerializer, responses={200: dict}, operation_id="patchAPIResource")
    def patch(self, request: Request, api_resource_id: str) -> Response:
        resource = self.get_resource(request, api_resource_id)
        data = parse(rs.APIResourcePatchSerializer, request.data)
        resource = services.api_resource_update(
            actor=request.user,
            organization=request.organization,
            api_resource=resource,
            name=data.get("name"),
            description=data.get("description"),
            requires_authorization=data.get("requiresAuthorization"),
            added_scopes=rs.scope_specs(data.get("addedScopes", [])),
            removed_scopes=data.get("removedScopes", []),
        )
        return Response(self._out(request, resource))

    @extend_schema(responses={204: None}, operation_id="deleteAPIResource")
    def delete(self, request: Request, api_resource_id: str) -> Response:
        resource = self.get_resource(request, api_resource_id)
        services.api_resource_delete(actor=request.user, organization=request.organization, api_resource=resource)
        return Response(status=204)


class APIResourceScopesView(APIResourceAPIView):
    required_scopes = {"GET": ["internal_api_resource_view"], "PUT": ["internal_api_resource_update"]}

    @extend_schema(responses={200: dict}, operation_id="listAPIResourceScopes")
    def get(self, request: Request, api_resource_id: str) -> Response:
        resource = self.get_resource(request, api_resource_id)
        return Response([rs.scope_out(scope) for scope in selectors.api_resource_scopes(api_resource=resource)])

    @extend_schema(
        request=rs.ScopeCreateSerializer(many=True),
        responses={200: dict},
        operation_id="putAPIResourceScopes",
        description="The complete list of scopes: listed ones are added or updated, unlisted ones removed.",
    )
    def put(self, request: Request, api_resource_id: str) -> Response:
        resource = self.get_resource(request, api_resource_id)
        items = parse(rs.ScopeListSerializer, {"scopes": request.data})["scopes"]
        resource = services.api_resource_set_scopes(
            actor=request.user, organization=request.organization, api_resource=resource, scopes=rs.scope_specs(items)
        )
        return Response([rs.scope_out(scope) for scope in selectors.api_resource_scopes(api_resource=resource)])


class APIResourceScopeDetailView(APIResourceAPIView):
    required_scopes = {"DELETE": ["internal_api_resource_delete"]}

    @extend_schema(responses={204: None}, operation_id="deleteAPIResourceScope")
    def delete(self, request: Request, api_resource_id: str, scope_name: str) -> Response:
        resource = self.get_resource(request, api_resource_id)
        if not selectors.api_resource_scopes(api_resource=resource).filter(name=scope_name).exists():
            raise NotFound("APR-60016", _("Scope not found."))
        services.api_resource_update(
            actor=request.user, organization=request.organization, api_resource=resource, removed_scopes=[scope_name]
        )
        return Response(status=204)
