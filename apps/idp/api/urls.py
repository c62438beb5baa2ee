from django.urls import path

from apps.idp.api import views

urlpatterns = [
    path("identity-providers", views.IdentityProviderListView.as_view(), name="identity-providers"),
    path("identity-providers/templates", views.TemplateListView.as_view(), name="identity-provider-templates"),
    path(
        "identity-providers/templates/<str:template_id>",
        views.TemplateDetailView.as_view(),
        name="identity-provider-template",
    ),
    path(
        "identity-providers/<str:idp_id>", views.IdentityProviderDetailView.as_view(), name="identity-provider-detail"
    ),
    path(
        "identity-providers/<str:idp_id>/federated-authenticators",
        views.AuthenticatorListView.as_view(),
        name="identity-provider-authenticators",
    ),
    path(
        "identity-providers/<str:idp_id>/federated-authenticators/<str:authenticator_id>",
        views.AuthenticatorDetailView.as_view(),
        name="identity-provider-authenticator",
    ),
    path("identity-providers/<str:idp_id>/claims", views.ClaimsView.as_view(), name="identity-provider-claims"),
    path("identity-providers/<str:idp_id>/provisioning/jit", views.JitView.as_view(), name="identity-provider-jit"),
    # Federated associations of a user (WSO2 also serves these under /api/users/v1, see apps.idp.urls).
    path(
        "users/federated-associations/bulk",
        views.AssociationBulkView.as_view(),
        name="user-federated-associations-bulk",
    ),
    path(
        "users/<str:user_id>/federated-associations",
        views.UserAssociationListView.as_view(),
        name="user-federated-associations",
    ),
    path(
        "users/<str:user_id>/federated-associations/<str:association_id>",
        views.UserAssociationDetailView.as_view(),
        name="user-federated-association-detail",
    ),
]
