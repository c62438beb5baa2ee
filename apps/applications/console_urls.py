"""Console pages of applications and API resources, in the ``console`` namespace."""

from django.urls import path

from apps.applications.views import api_resources, applications, sharing

urlpatterns = [
    path("applications/", applications.application_list_view, name="application-list"),
    path("applications/new/", applications.application_template_choice, name="application-create"),
    path("applications/new/<slug:template_id>/", applications.application_new, name="application-create-from"),
    path("applications/<uuid:application_id>/", applications.application_general, name="application-detail"),
    path(
        "applications/<uuid:application_id>/protocol/", applications.application_protocol, name="application-protocol"
    ),
    path(
        "applications/<uuid:application_id>/api-authorization/",
        applications.application_api_authorization,
        name="application-api-authorization",
    ),
    path(
        "applications/<uuid:application_id>/api-authorization/new/",
        applications.application_api_authorize,
        name="application-api-authorize",
    ),
    path(
        "applications/<uuid:application_id>/api-authorization/<uuid:api_resource_id>/",
        applications.application_authorized_api_scopes,
        name="application-authorized-api",
    ),
    path(
        "applications/<uuid:application_id>/api-authorization/<uuid:api_resource_id>/revoke/",
        applications.application_authorized_api_revoke,
        name="application-authorized-api-revoke",
    ),
    path(
        "applications/<uuid:application_id>/quick-start/",
        applications.application_quick_start_view,
        name="application-quick-start",
    ),
    path("applications/<uuid:application_id>/sharing/", sharing.application_sharing, name="application-sharing"),
    path("applications/<uuid:application_id>/secret/", applications.application_secret, name="application-secret"),
    path("applications/<uuid:application_id>/delete/", applications.application_remove, name="application-delete"),
    path("api-resources/", api_resources.api_resource_list_view, name="api-resource-list"),
    path("api-resources/new/", api_resources.api_resource_new, name="api-resource-create"),
    path("api-resources/<uuid:api_resource_id>/", api_resources.api_resource_detail, name="api-resource-detail"),
    path(
        "api-resources/<uuid:api_resource_id>/scopes/add/",
        api_resources.api_resource_scope_add,
        name="api-resource-scope-add",
    ),
    path(
        "api-resources/<uuid:api_resource_id>/scopes/remove/",
        api_resources.api_resource_scope_remove,
        name="api-resource-scope-remove",
    ),
    path("api-resources/<uuid:api_resource_id>/delete/", api_resources.api_resource_remove, name="api-resource-delete"),
]
