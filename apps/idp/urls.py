"""Site-root routes: the federated sign-in endpoints and WSO2's ``/api/users/v1`` association APIs."""

from django.urls import path

from apps.idp import views
from apps.idp.api import views as api

app_name = "idp"
urlpatterns = [
    path("commonauth", views.federated_callback, name="federated-callback"),
    path("commonauth/start", views.federated_start, name="federated-start"),
    path(
        "api/users/v1/federated-associations/bulk",
        api.UsersV1AssociationBulkView.as_view(),
        name="user-api-association-bulk",
    ),
    path("api/users/v1/me/federated-associations", api.MyAssociationListView.as_view(), name="me-associations"),
    path(
        "api/users/v1/me/federated-associations/<str:association_id>",
        api.MyAssociationDetailView.as_view(),
        name="me-association-detail",
    ),
    path(
        "api/users/v1/<str:user_id>/federated-associations",
        api.UsersV1AssociationListView.as_view(),
        name="user-api-associations",
    ),
    path(
        "api/users/v1/<str:user_id>/federated-associations/<str:association_id>",
        api.UsersV1AssociationDetailView.as_view(),
        name="user-api-association-detail",
    ),
]
