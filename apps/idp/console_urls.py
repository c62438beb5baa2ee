from django.urls import path

from apps.idp import console_views as views

urlpatterns = [
    path("connections/", views.idp_list_view, name="idp-list"),
    path("connections/new/", views.idp_templates, name="idp-templates"),
    path("connections/new/<str:template_id>/", views.idp_new, name="idp-create"),
    path("connections/<uuid:idp_id>/", views.idp_detail, name="idp-detail"),
    path("connections/<uuid:idp_id>/delete/", views.idp_remove, name="idp-delete"),
]
