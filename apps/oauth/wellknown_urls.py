from django.urls import path

from apps.oauth.views import discovery

app_name = "wellknown"
urlpatterns = [
    path("oauth-authorization-server", discovery.openid_configuration, name="oauth-authorization-server"),
    path("oauth-authorization-server/<path:issuer_path>", discovery.metadata_for_issuer_path),
    path("openid-configuration", discovery.openid_configuration, name="openid-configuration"),
    path("openid-configuration/<path:issuer_path>", discovery.metadata_for_issuer_path),
]
