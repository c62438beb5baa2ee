"""SCIM 2.0 (RFC 7644) endpoints under /t/<handle>/scim2/."""

from django.urls import path, re_path

from apps.scim import views
from apps.scim.resources import GROUPS, ROLES, USERS

_ID = r"(?P<resource_id>[^/]+)"

urlpatterns = [
    path("Users", views.ResourceListView.as_view(resource=USERS), name="scim-users"),
    path("Users/.search", views.ResourceSearchView.as_view(resource=USERS), name="scim-users-search"),
    re_path(rf"^Users/{_ID}$", views.ResourceDetailView.as_view(resource=USERS), name="scim-user"),
    path("Groups", views.ResourceListView.as_view(resource=GROUPS), name="scim-groups"),
    path("Groups/.search", views.ResourceSearchView.as_view(resource=GROUPS), name="scim-groups-search"),
    re_path(rf"^Groups/{_ID}$", views.ResourceDetailView.as_view(resource=GROUPS), name="scim-group"),
    path("v2/Roles", views.ResourceListView.as_view(resource=ROLES), name="scim-roles"),
    path("v2/Roles/.search", views.ResourceSearchView.as_view(resource=ROLES), name="scim-roles-search"),
    re_path(rf"^v2/Roles/{_ID}$", views.ResourceDetailView.as_view(resource=ROLES), name="scim-role"),
    path("Me", views.MeView.as_view(), name="scim-me"),
    path("Bulk", views.BulkView.as_view(), name="scim-bulk"),
    path("ServiceProviderConfig", views.ServiceProviderConfigView.as_view(), name="scim-spc"),
    path("ResourceTypes", views.ResourceTypesView.as_view(), name="scim-resource-types"),
    path("ResourceTypes/<str:name>", views.ResourceTypesView.as_view(), name="scim-resource-type"),
    path("Schemas", views.SchemasView.as_view(), name="scim-schemas"),
    re_path(r"^Schemas/(?P<urn>[^/]+)$", views.SchemasView.as_view(), name="scim-schema"),
]
