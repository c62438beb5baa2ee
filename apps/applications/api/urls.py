from django.urls import path

from apps.applications.api import sharing_views, views

urlpatterns = [
    path("applications", views.ApplicationListView.as_view(), name="applications"),
    path("applications/templates", views.ApplicationTemplateListView.as_view(), name="application-templates"),
    path("applications/share", sharing_views.ShareView.as_view(), name="application-share"),
    path("applications/share-with-all", sharing_views.ShareWithAllView.as_view(), name="application-share-all"),
    path("applications/unshare", sharing_views.UnshareView.as_view(), name="application-unshare"),
    path("applications/unshare-with-all", sharing_views.UnshareWithAllView.as_view(), name="application-unshare-all"),
    path(
        "applications/<str:application_id>/share",
        sharing_views.SharedOrganizationsView.as_view(),
        name="application-shared-organizations",
    ),
    path(
        "applications/<str:application_id>/shared-apps",
        sharing_views.SharedAppsView.as_view(),
        name="application-shared-apps",
    ),
    path("applications/<str:application_id>", views.ApplicationDetailView.as_view(), name="application-detail"),
    path(
        "applications/<str:application_id>/inbound-protocols/oidc",
        views.OIDCConfigurationView.as_view(),
        name="application-oidc",
    ),
    path(
        "applications/<str:application_id>/inbound-protocols/oidc/regenerate-secret",
        views.RegenerateSecretView.as_view(),
        name="application-regenerate-secret",
    ),
    path(
        "applications/<str:application_id>/authorized-apis",
        views.AuthorizedAPIListView.as_view(),
        name="application-authorized-apis",
    ),
    path(
        "applications/<str:application_id>/authorized-apis/<str:api_id>",
        views.AuthorizedAPIDetailView.as_view(),
        name="application-authorized-api",
    ),
    path("api-resources", views.APIResourceListView.as_view(), name="api-resources"),
    path("api-resources/<str:api_resource_id>", views.APIResourceDetailView.as_view(), name="api-resource-detail"),
    path(
        "api-resources/<str:api_resource_id>/scopes",
        views.APIResourceScopesView.as_view(),
        name="api-resource-scopes",
    ),
    path(
        "api-resources/<str:api_resource_id>/scopes/<path:scope_name>",
        views.APIResourceScopeDetailView.as_view(),
        name="api-resource-scope",
    ),
]
