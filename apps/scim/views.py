"""SCIM 2.0 endpoints: thin adapters from HTTP to ``listing``, the resource modules and ``bulk``."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from apps.scim import bulk, discovery
from apps.scim.context import ScimContext, version_of
from apps.scim.errors import ScimError, not_found
from apps.scim.http import SCIM_MEDIA_TYPE, ScimView, check_if_match, grant_has, grant_has_one, not_modified
from apps.scim.listing import list_resources
from apps.scim.patch import parse_patch_request
from apps.scim.projection import apply_projection, parse_projection
from apps.scim.resources import GROUPS, RESOURCE_TYPES, USERS, ResourceType
from apps.scim.schema import MAX_BULK_PAYLOAD, SEARCH_REQUEST
from apps.users.models import User


def _resource_response(
    ctx: ScimContext, resource: ResourceType, obj: Any, request: Request, *, status: int = 200
) -> Response:
    projection = parse_projection(
        request.query_params.get("attributes"),
        request.query_params.get("excludedAttributes"),
        extension_urns=tuple(ctx.extensions()) if resource.has_extensions else (),
    )
    doc = apply_projection(resource.to_scim(ctx, obj, projection), projection, core_schema=resource.schema.id)
    headers = {"ETag": version_of(obj.last_modified)}
    if status == 201:
        headers["Location"] = ctx.location(resource.endpoint, obj.pk)
    return Response(doc, status=status, headers=headers, content_type=SCIM_MEDIA_TYPE)


def _scim(body: Any, status: int = 200) -> Response:
    return Response(body, status=status, content_type=SCIM_MEDIA_TYPE)


class ResourceListView(ScimView):
    """GET (query) and POST (create) on /Users, /Groups, /v2/Roles."""

    resource: ResourceType = USERS

    @property
    def required_scopes(self) -> dict[str, list[str]]:  # type: ignore[override]
        return {"GET": list(self.resource.scopes["list"]), "POST": list(self.resource.scopes["create"])}

    def get(self, request: Request) -> Response:
        ctx = self.scim_context(request)
        return _scim(list_resources(ctx, self.resource, request.query_params.dict()))

    def post(self, request: Request) -> Response:
        ctx = self.scim_context(request)
        obj = self.resource.create(ctx, self.body(request))
        obj = self.resource.get(ctx, obj.pk)
        return _resource_response(ctx, self.resource, obj, request, status=201)


class ResourceSearchView(ScimView):
    """POST /<Resource>/.search: a query with its parameters in a SearchRequest body."""

    resource: ResourceType = USERS

    @property
    def required_scopes(self) -> dict[str, list[str]]:  # type: ignore[override]
        return {"POST": list(self.resource.scopes["list"])}

    def post(self, request: Request) -> Response:
        body = self.body(request)
        if SEARCH_REQUEST not in (body.get("schemas") or []):
            raise ScimError(400, f'"schemas" must list {SEARCH_REQUEST}.', "invalidSyntax")
        params = {k: body.get(k) for k in ("filter", "sortBy", "sortOrder", "startIndex", "count")}
        params.update({k: body.get(k) for k in ("attributes", "excludedAttributes")})
        return _scim(list_resources(self.scim_context(request), self.resource, params))


class ResourceDetailView(ScimView):
    """GET, PUT, PATCH, DELETE on one resource, with ETag preconditions."""

    resource: ResourceType = USERS

    @property
    def required_scopes(self) -> dict[str, list[str]]:  # type: ignore[override]
        scopes = self.resource.scopes
        return {
            "GET": list(scopes["view"]),
            "PUT": list(scopes["update"]),
            "PATCH": list(scopes["update"]),
            "DELETE": list(scopes["delete"]),
        }

    def lookup(self, request: Request, ctx: ScimContext, resource_id: str) -> Any:
        obj = self.resource.get(ctx, resource_id)
        if obj is None:
            raise not_found(_("%(type)s %(id)s not found.") % {"type": self.resource.name, "id": resource_id[:80]})
        return obj

    def get(self, request: Request, resource_id: str) -> Response:
        ctx = self.scim_context(request)
        obj = self.lookup(request, ctx, resource_id)
        if not_modified(request, version_of(obj.last_modified)):
            return Response(status=304, headers={"ETag": version_of(obj.last_modified)})
        return _resource_response(ctx, self.resource, obj, request)

    def put(self, request: Request, resource_id: str) -> Response:
        ctx = self.scim_context(request)
        obj = self.lookup(request, ctx, resource_id)
        check_if_match(request, version_of(obj.last_modified))
        obj = self.resource.replace(ctx, obj, self.body(request))
        return _resource_response(ctx, self.resource, self.resource.get(ctx, obj.pk), request)

    def patch(self, request: Request, resource_id: str) -> Response:
        ctx = self.scim_context(request)
        obj = self.lookup(request, ctx, resource_id)
        check_if_match(request, version_of(obj.last_modified))
        obj = self.resource.patch(ctx, obj, parse_patch_request(self.body(request)))
        wants_body = "attributes" in request.query_params or "excludedAttributes" in request.query_params
        if self.resource is GROUPS and not wants_body:
            # A group may have many thousands of members: answer 204 (RFC 7644 §3.5.2) instead of listing them.
            return Response(status=204, headers={"ETag": version_of(obj.last_modified)})
        return _resource_response(ctx, self.resource, self.resource.get(ctx, obj.pk), request)

    def delete(self, request: Request, resource_id: str) -> Response:
        ctx = self.scim_context(request)
        obj = self.lookup(request, ctx, resource_id)
        check_if_match(request, version_of(obj.last_modified))
        self.resource.delete(actor=ctx.actor, obj=obj)
        return Response(status=204)


class MeView(ScimView):
    """/Me: the user the access token was issued to (RFC 7644 §3.11)."""

    required_scopes = {"GET": ["internal_login"], "PUT": ["internal_login"], "PATCH": ["internal_login"]}

    def me(self, request: Request, ctx: ScimContext) -> User:
        if not isinstance(request.user, User):
            raise ScimError(404, _("No user is associated with this access token."), "noTarget")
        user = USERS.get(ctx, request.user.pk)
        if user is None:
            raise ScimError(404, _("No user is associated with this access token."), "noTarget")
        return user

    def get(self, request: Request) -> Response:
        ctx = self.scim_context(request)
        user = self.me(request, ctx)
        if not_modified(request, version_of(user.last_modified)):
            return Response(status=304, headers={"ETag": version_of(user.last_modified)})
        return _resource_response(ctx, USERS, user, request)

    def put(self, request: Request) -> Response:
        ctx = self.scim_context(request)
        user = self.me(request, ctx)
        check_if_match(request, version_of(user.last_modified))
        user = USERS.replace(ctx, user, self.body(request))
        return _resource_response(ctx, USERS, USERS.get(ctx, user.pk), request)

    def patch(self, request: Request) -> Response:
        ctx = self.scim_context(request)
        user = self.me(request, ctx)
        check_if_match(request, version_of(user.last_modified))
        user = USERS.patch(ctx, user, parse_patch_request(self.body(request)))
        return _resource_response(ctx, USERS, USERS.get(ctx, user.pk), request)


class HoldsAnyBulkScope(BasePermission):
    """The request as a whole needs at least one scope some bulk operation could use (else 403)."""

    message = _("The access token holds no scope that allows bulk operations.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return request.method == "POST" and grant_has(request, sorted(bulk.all_bulk_relevant_scopes()))


class BulkView(ScimView):
    permission_classes = [HoldsAnyBulkScope]

    def post(self, request: Request) -> Response:
        length = request.META.get("CONTENT_LENGTH")
        if length and length.isdigit() and int(length) > MAX_BULK_PAYLOAD:
            raise ScimError(413, f"A bulk request may be at most {MAX_BULK_PAYLOAD} bytes.", "tooMany")
        operations, fail_on_errors = bulk.parse_bulk_request(self.body(request))

        def allowed(resource: ResourceType, method: str) -> bool:
            return any(grant_has_one(request, scope) for scope in bulk.operation_scopes(resource, method))

        runner = bulk.BulkRunner(self.scim_context(request), allowed=allowed)
        return _scim(runner.run(operations, fail_on_errors))


# --- discovery -------------------------------------------------------------------------------


class _Authenticated(BasePermission):
    """Discovery documents: any valid credential of this organization, no particular scope."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return request.method in ("GET", "HEAD") and request.successful_authenticator is not None


class ServiceProviderConfigView(ScimView):
    permission_classes = [_Authenticated]

    def get(self, request: Request) -> Response:
        return _scim(discovery.service_provider_config(self.scim_context(request)))


class ResourceTypesView(ScimView):
    permission_classes = [_Authenticated]

    def get(self, request: Request, name: str | None = None) -> Response:
        ctx = self.scim_context(request)
        docs = {r.name: discovery.resource_type_doc(ctx, r) for r in RESOURCE_TYPES}
        if name is None:
            return _scim(discovery.list_response(list(docs.values())))
        if name not in docs:
            raise not_found(_("Unknown resource type."))
        return _scim(docs[name])


class SchemasView(ScimView):
    permission_classes = [_Authenticated]

    def get(self, request: Request, urn: str | None = None) -> Response:
        ctx = self.scim_context(request)
        schemas = discovery.all_schemas(ctx)
        if urn is None:
            return _scim(discovery.list_response([discovery.schema_doc(ctx, s) for s in schemas]))
        match = next((s for s in schemas if s.id.lower() == urn.lower()), None)
        if match is None:
            raise not_found(_("Unknown schema."))
        return _scim(discovery.schema_doc(ctx, match))
