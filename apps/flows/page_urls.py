"""End-user flow pages, mounted at ``accountrecoveryendpoint/`` (tenant-prefixed by the tenancy middleware)."""

from django.urls import path

from apps.flows import page_views

app_name = "flows"
urlpatterns = [
    path("register", page_views.register, name="register"),
    path("recovery", page_views.recovery, name="password-recovery"),
    path("invite", page_views.invite, name="invite"),
]
