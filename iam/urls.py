from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from apps.core import views as core_views

api_v1 = [
    path("", include("apps.orgs.api.urls")),
    path("", include("apps.users.api.urls")),
    path("", include("apps.applications.api.urls")),
    path("", include("apps.keystores.api.urls")),
    path("", include("apps.attributes.api.urls")),
    path("", include("apps.webhooks.api.urls")),
    path("", include("apps.notifications.api.urls")),
    path("", include("apps.authn.api.urls")),
    path("", include("apps.idp.api.urls")),
    path("", include("apps.flows.api.urls")),
]

urlpatterns = [
    path("", core_views.home, name="home"),
    path("health", core_views.health, name="health"),
    path("api/server/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("oauth2/", include("apps.oauth.urls")),
    path("authenticationendpoint/", include("apps.authn.urls")),
    path("accountrecoveryendpoint/", include("apps.flows.page_urls")),
    path("accountrecoveryendpoint/", include("apps.notifications.page_urls")),
    path("api/identity/user/v1.0/", include("apps.notifications.api.identity_urls")),
    path("api/users/v1/me/", include("apps.notifications.api.me_urls")),
    path("", include("apps.idp.urls")),
    path("scim2/", include("apps.scim.urls")),
    path(".well-known/", include("apps.oauth.wellknown_urls")),
    path("console/", include("apps.console.urls")),
    path("myaccount/", include("apps.myaccount.urls")),
]

handler404 = "apps.core.views.not_found"
handler500 = "apps.core.views.server_error"
