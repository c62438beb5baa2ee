"""Console pages of attributes and OIDC scopes, in the ``console`` namespace."""

from django.urls import path

from apps.attributes import views

urlpatterns = [
    path("attributes/", views.attribute_list, name="attribute-list"),
    path("attributes/new/", views.attribute_new, name="attribute-create"),
    path("attributes/input-formats/", views.attribute_input_formats, name="attribute-input-formats"),
    path("attributes/<str:claim_id>/", views.attribute_detail, name="attribute-detail"),
    path("attributes/<str:claim_id>/delete/", views.attribute_remove, name="attribute-delete"),
    path("oidc-scopes/", views.scope_list, name="oidc-scope-list"),
    path("oidc-scopes/new/", views.scope_new, name="oidc-scope-create"),
    path("oidc-scopes/<str:name>/", views.scope_detail, name="oidc-scope-detail"),
    path("oidc-scopes/<str:name>/delete/", views.scope_remove, name="oidc-scope-delete"),
]
