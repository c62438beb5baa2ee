from django.urls import path

from apps.authn.api import views

urlpatterns = [
    path("identity-governance", views.CategoryListView.as_view(), name="identity-governance"),
    path(
        "identity-governance/<str:category_id>/connectors/revert",
        views.ConnectorRevertView.as_view(),
        name="identity-governance-connector-revert",
    ),
    path(
        "identity-governance/<str:category_id>/connectors/<str:connector_id>",
        views.ConnectorDetailView.as_view(),
        name="identity-governance-connector",
    ),
]
