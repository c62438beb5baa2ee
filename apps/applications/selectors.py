"""Reads of applications, their API authorizations and API resources.

The OAuth endpoints use ``application_get_by_client_id``,
``application_authorized_scopes`` and ``api_resource_get_by_identifier``;
management API and Console use the rest. Everything is scoped to one
organization: another organization's objects are simply not found."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Count, F, Prefetch, Q, QuerySet

from apps.applications.app_templates import MCP_TEMPLATE_ID, AppTemplate, template_get
from apps.applications.filters import API_RESOURCE_FILTER_ATTRIBUTES, APPLICATION_FILTER_ATTRIBUTES, list_filter
from apps.applications.models import APIResource, Application, AuthorizedAPI, Scope
from apps.core.ids import parse_uuid

# --- applications ----------------------------------------------------------------


def application_list(
    *, organization: Any, filter_expression: str | None = None, search: str = ""
) -> QuerySet[Application]:
    """``filter_expression``: WSO2's filter (the API); ``search``: part of the name (the Console)."""
    qs = Application.objects.filter(organization=organization)
    qs = list_filter(qs, filter_expression, attributes=APPLICATION_FILTER_ATTRIBUTES, prefix="APP")
    if search:
        qs = qs.filter(name__icontains=search)
    return qs.order_by("name", "pk")


def application_get(*, organization: Any, application_id: Any) -> Application | None:
    """The application with this (public, UUID) id in ``organization``."""
    pk = parse_uuid(application_id)
    if pk is None:
        return None
    return Application.objects.filter(organization=organization, uuid=pk).select_related("organization").first()


def application_get_by_client_id(*, client_id: str, organization: Any = None) -> Application | None:
    """The application with this ``client_id`` (in ``organization`` when given)."""
    if not isinstance(client_id, str) or not client_id or len(client_id) > 255:
        return None
    qs = Application.objects.filter(client_id=client_id).select_related("organization")
    if organization is not None:
        qs = qs.filter(organization=organization)
    return qs.first()


def application_authorized_scopes(*, application: Application, api_resource: Any = None) -> dict[str, set[str]]:
    """``{resource identifier: {scope names}}`` the application may request (one query).

    A resource authorized without scopes maps to an empty set; ``api_resource``
    (an ``APIResource`` or its id) narrows the answer to that resource."""
    qs = AuthorizedAPI.objects.filter(application=application)
    if api_resource is not None:
        qs = qs.filter(api_resource_id=getattr(api_resource, "pk", api_resource))
    result: dict[str, set[str]] = {}
    for identifier, scope_name in qs.values_list("api_resource__identifier", "scopes__name"):
        names = result.setdefault(identifier, set())
        if scope_name is not None:
            names.add(scope_name)
    return result


def application_template(*, application: Application) -> AppTemplate | None:
    return template_get(application.template_id)


def application_endpoints(*, application: Application) -> dict[str, str]:
    """Issuer, discovery and endpoint URLs of the application's organization (Quick start)."""
    organization = application.organization
    try:
        from apps.oauth.issuer import endpoint_url  # the OAuth endpoints own the URL rule
    except ImportError:  # pragma: no cover - the OAuth app is always installed in practice

        def endpoint_url(org: Any, name: str) -> str:
            default = org.is_root and org.handle == settings.IAM_DEFAULT_ROOT_HANDLE
            return f"{settings.IAM_BASE_URL}{'' if default else org.url_prefix}/oauth2/{name}"

    issuer = endpoint_url(organization, "token")
    return {
        "issuer": issuer,
        "discovery_url": f"{issuer}/.well-known/openid-configuration",
        "token_endpoint": issuer,
        "authorization_endpoint": endpoint_url(organization, "authorize"),
        "userinfo_endpoint": endpoint_url(organization, "userinfo"),
        "jwks_uri": endpoint_url(organization, "jwks"),
        "end_session_endpoint": endpoint_url(organization, "logout"),
        "introspection_endpoint": endpoint_url(organization, "introspect"),
        "revocation_endpoint": endpoint_url(organization, "revoke"),
    }


def application_quick_start(*, application: Application) -> list[dict[str, str]]:
    """The template's snippets filled in with this application's values (never its secret)."""
    template = template_get(application.template_id)
    if template is None:
        return []
    endpoints = application_endpoints(application=application)
    redirect_uris = application.redirect_uris.split()
    values = {
        "client_id": application.client_id,
        "discovery_url": endpoints["discovery_url"],
        "issuer": endpoints["issuer"],
        "token_endpoint": endpoints["token_endpoint"],
        "redirect_uri": redirect_uris[0] if redirect_uris else "<redirect URL>",
    }
    return [
        {
            "framework": snippet.framework,
            "language": snippet.language,
            "install": snippet.render_install(values),
            "code": snippet.render(values),
        }
        for snippet in template.quick_starts
    ]


# --- authorized APIs ------------------------------------------------------------------


def authorized_api_list(*, application: Application) -> QuerySet[AuthorizedAPI]:
    return (
        AuthorizedAPI.objects.filter(application=application)
        .select_related("api_resource")
        .prefetch_related(Prefetch("scopes", queryset=Scope.objects.order_by("name")))
        .order_by("api_resource__name", "api_resource__identifier")
    )


def authorized_api_get(*, application: Application, api_resource_id: Any) -> AuthorizedAPI | None:
    pk = parse_uuid(api_resource_id)
    if pk is None:
        return None
    return authorized_api_list(application=application).filter(api_resource_id=pk).first()


def api_resources_authorizable(*, application: Application) -> QuerySet[APIResource]:
    """Resources the application could still be authorized for (WSO2 7.2: MCP servers only for MCP clients)."""
    qs = APIResource.objects.for_org(application.organization).exclude(
        pk__in=AuthorizedAPI.objects.filter(application=application).values("api_resource_id")
    )
    if application.template_id != MCP_TEMPLATE_ID:
        qs = qs.exclude(type=APIResource.Type.MCP)
    return qs.order_by("type", "name")


# --- API resources --------------------------------------------------------------------


def api_resource_list(
    *, organization: Any, filter_expression: str | None = None, search: str = ""
) -> QuerySet[APIResource]:
    """System APIs and the resources of ``organization``'s root, business first.

    ``filter_expression``: WSO2's filter (the API); ``search``: part of the name or identifier (the Console)."""
    qs = APIResource.objects.for_org(organization)
    qs = list_filter(qs, filter_expression, attributes=API_RESOURCE_FILTER_ATTRIBUTES, prefix="APR")
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(identifier__icontains=search))
    return qs.annotate(scope_count=Count("scopes")).order_by(
        F("organization_id").asc(nulls_last=True), "type", "name", "pk"
    )


def api_resource_get(*, organization: Any, api_resource_id: Any) -> APIResource | None:
    pk = parse_uuid(api_resource_id)
    if pk is None:
        return None
    return APIResource.objects.for_org(organization).filter(pk=pk).first()


def api_resource_get_by_identifier(*, organization: Any, identifier: str) -> APIResource | None:
    """The resource a token request names with RFC 8707 ``resource`` (its identifier)."""
    if not isinstance(identifier, str) or not identifier:
        return None
    return APIResource.objects.for_org(organization).filter(identifier=identifier).first()


def api_resource_scopes(*, api_resource: APIResource) -> QuerySet[Scope]:
    return Scope.objects.filter(api_resource=api_resource).order_by("name")


def api_resource_subscribed_applications(*, api_resource: APIResource, organization: Any) -> QuerySet[Application]:
    """Applications of ``organization`` authorized for the resource."""
    return Application.objects.filter(organization=organization, authorized_apis__api_resource=api_resource).order_by(
        "name"
    )
