"""Claim management (claim dialects, local claims, mappings) and OIDC scope APIs."""

from django.urls import path

from apps.attributes.api import views

urlpatterns = [
    path("claim-dialects", views.DialectListView.as_view(), name="claim-dialects"),
    path("claim-dialects/local/claims", views.LocalClaimListView.as_view(), name="claim-local-claims"),
    path(
        "claim-dialects/local/claims/<str:claim_id>",
        views.LocalClaimDetailView.as_view(),
        name="claim-local-claim-detail",
    ),
    path("claim-dialects/<str:dialect_id>", views.DialectDetailView.as_view(), name="claim-dialect-detail"),
    path("claim-dialects/<str:dialect_id>/claims", views.ExternalClaimListView.as_view(), name="claim-external-claims"),
    path(
        "claim-dialects/<str:dialect_id>/claims/<str:claim_id>",
        views.ExternalClaimDetailView.as_view(),
        name="claim-external-claim-detail",
    ),
    path("oidc/scopes", views.OIDCScopeListView.as_view(), name="oidc-scopes"),
    path("oidc/scopes/<str:name>", views.OIDCScopeDetailView.as_view(), name="oidc-scope-detail"),
]
