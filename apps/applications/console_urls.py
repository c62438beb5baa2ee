from django.urls import path

from apps.applications import views

urlpatterns = [
    path("applications/", views.application_list, name="application-list"),
    path("api-resources/", views.api_resource_list, name="api-resource-list"),
]
