"""WSO2's user self-service and admin helper endpoints under ``/api/identity/user/v1.0/``."""

from django.urls import path

from apps.notifications.api import lifecycle_views

urlpatterns = [
    path("validate-code", lifecycle_views.ValidateCodeView.as_view(), name="identity-validate-code"),
    path("resend-code", lifecycle_views.ResendCodeView.as_view(), name="identity-resend-code"),
]
