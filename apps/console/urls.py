from django.urls import include, path

from apps.console.views import auth, groups, org_discovery, orgs, roles, users

app_name = "console"
urlpatterns = [
    path("", auth.dashboard, name="dashboard"),
    path("login/", auth.login_view, name="login"),
    path("logout/", auth.logout_view, name="logout"),
    path("organizations/", orgs.org_list, name="org-list"),
    path("organizations/new/", orgs.org_create, name="org-create"),
    path("organizations/<uuid:org_id>/", orgs.org_detail, name="org-detail"),
    path("organizations/<uuid:org_id>/delete/", orgs.org_delete, name="org-delete"),
    path("organizations/<uuid:org_id>/email-domains/", orgs.org_email_domains, name="org-email-domains"),
    path("organizations/discovery/", org_discovery.org_discovery, name="org-discovery"),
    path("users/", users.users_list, name="user-list"),
    path("users/new/", users.user_new, name="user-create"),
    path("users/<uuid:user_id>/", users.user_detail, name="user-detail"),
    path("users/<uuid:user_id>/state/", users.user_state, name="user-state"),
    path("users/<uuid:user_id>/password/", users.user_password, name="user-password"),
    path("users/<uuid:user_id>/delete/", users.user_remove, name="user-delete"),
    path("groups/", groups.group_list_view, name="group-list"),
    path("groups/new/", groups.group_new, name="group-create"),
    path("groups/<uuid:group_id>/", groups.group_detail, name="group-detail"),
    path("groups/<uuid:group_id>/delete/", groups.group_remove, name="group-delete"),
    path("roles/", roles.role_list_view, name="role-list"),
    path("roles/new/", roles.role_new, name="role-create"),
    path("roles/<uuid:role_id>/", roles.role_detail, name="role-detail"),
    path("roles/<uuid:role_id>/delete/", roles.role_remove, name="role-delete"),
    # Pages owned by other domain apps, in the same "console" namespace.
    path("", include("apps.applications.console_urls")),
    path("", include("apps.keystores.console_urls")),
    path("", include("apps.attributes.console_urls")),
    path("", include("apps.webhooks.console_urls")),
    path("", include("apps.authn.console_urls")),
    path("", include("apps.notifications.console_urls")),
    path("", include("apps.idp.console_urls")),
    path("", include("apps.flows.console_urls")),
]
