from django.urls import path

from apps.oauth.views import authorize, dcr, device, discovery, endpoints, logout, token

app_name = "oauth"
urlpatterns = [
    path("authorize", authorize.authorize, name="authorize"),
    path("login", authorize.login_view, name="login"),
    path("consent", authorize.consent_view, name="consent"),
    path("token", token.token, name="token"),
    path("par", token.pushed_authorization_request, name="par"),
    path("introspect", token.introspect, name="introspect"),
    path("revoke", token.revoke, name="revoke"),
    path("userinfo", endpoints.userinfo, name="userinfo"),
    path("jwks", endpoints.jwks, name="jwks"),
    path("logout", logout.end_session, name="logout"),
    path("device_authorize", device.device_authorize, name="device-authorize"),
    path("device", device.device_verification, name="device"),
    path("register", dcr.register, name="register"),
    # OIDC Discovery: {issuer}/.well-known/openid-configuration, the issuer being .../oauth2/token
    path("token/.well-known/openid-configuration", discovery.openid_configuration, name="openid-configuration"),
]
