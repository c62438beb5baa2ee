"""The login portal, mounted at ``authenticationendpoint/`` (tenant-prefixed by the tenancy middleware)."""

from django.urls import path

from apps.authn import discovery, views

app_name = "authn"
urlpatterns = [
    path("login", views.login, name="login"),
    path("select", views.select, name="select"),
    path("organization", discovery.organization_login, name="organization-login"),
    path("logout", views.logout, name="logout"),
]
