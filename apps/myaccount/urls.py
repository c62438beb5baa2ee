from django.urls import path

from apps.authn import myaccount_views as authn_views
from apps.idp import myaccount_views as idp_views
from apps.myaccount import views
from apps.notifications import myaccount_lifecycle

app_name = "myaccount"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("profile/", views.profile, name="profile"),
    path("password/", views.password, name="password"),
    # the login portal's pages (apps.authn)
    path("security/", authn_views.security, name="security"),
    path("security/totp/begin/", authn_views.totp_begin, name="totp-begin"),
    path("security/totp/confirm/", authn_views.totp_confirm, name="totp-confirm"),
    path("security/totp/delete/", authn_views.totp_delete, name="totp-delete"),
    path("security/recovery-codes/", authn_views.recovery_regenerate, name="recovery-codes"),
    path("security/passkeys/add/", authn_views.passkey_add, name="passkey-add"),
    path("security/passkeys/<int:passkey_id>/delete/", authn_views.passkey_delete, name="passkey-delete"),
    path("sessions/", authn_views.sessions, name="sessions"),
    path("sessions/<uuid:session_id>/end/", authn_views.session_end, name="session-end"),
    # linked accounts (apps.idp)
    path("linked-accounts/", idp_views.linked_accounts, name="linked-accounts"),
    path(
        "linked-accounts/<uuid:association_id>/remove/",
        idp_views.linked_account_remove,
        name="linked-account-remove",
    ),
    # verification of a new or unverified email address / mobile number (apps.notifications)
    path("verify/", myaccount_lifecycle.verify, name="verify"),
]
