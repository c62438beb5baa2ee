"""End-user pages of the account lifecycle (mounted under ``/accountrecoveryendpoint/``): verify an
email address by link or code, and set a password from an invitation or forced-reset link."""

from django.urls import path

from apps.notifications import page_views

app_name = "lifecycle"
urlpatterns = [
    path("verify-email/", page_views.verify_email_link, name="verify-email"),
    path("verify-email/code/", page_views.verify_email_code, name="verify-email-code"),
    path("password-setup/", page_views.password_setup, name="password-setup"),
]
