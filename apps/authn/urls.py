"""The login portal, mounted at ``authenticationendpoint/`` (tenant-prefixed by the tenancy middleware)."""

from django.urls import path

from apps.authn import views

app_name = "authn"
urlpatterns = [
    path("login", views.login, name="login"),
    path("select", views.select, name="select"),
    path("logout", views.logout, name="logout"),
]
