"""Console pages of the login portal, in the ``console`` namespace."""

from django.urls import path

from apps.authn import console_scripts, console_views

urlpatterns = [
    path("login-settings/", console_views.login_settings, name="login-settings"),
    path(
        "applications/<uuid:application_id>/sign-in-method/",
        console_views.application_sign_in_method,
        name="application-sign-in-method",
    ),
    path(
        "applications/<uuid:application_id>/sign-in-method/script/",
        console_scripts.application_sign_in_script,
        name="application-sign-in-script",
    ),
    path("users/<uuid:user_id>/sessions/", console_views.user_sessions, name="user-sessions"),
    path(
        "users/<uuid:user_id>/sessions/<uuid:session_id>/revoke/",
        console_views.user_session_revoke,
        name="user-session-revoke",
    ),
]
