from django.urls import path

from apps.oauth.views import authorize, discovery, endpoints, logout, token

app_name = "oauth"
urlpatterns = [
    path("authorize", authorize.authorize, name="authorize"),
    path("login", authorize.login_view, name="login"),
    path("token", token.token, name="token"),
    path("introspect", token.introspect, name="introspect"),
    path("revoke", token.revoke, name="revoke"),
    path("userinfo", endpoints.userinfo, name="userinfo"),
    path("jwks", endpoints.jwks, name="jwks"),
    path("logout", logout.end_session, name="logout"),
    # OIDC Discovery: {issuer}/.well-known/openid-configuration, the issuer being .../oauth2/token
    path("token/.well-known/openid-configuration", discovery.openid_configuration, name="openid-configuration"),
]
