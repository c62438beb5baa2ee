"""The signed-in user's verification endpoints under ``/api/users/v1/me/`` (WSO2's shape)."""

from django.urls import path

from apps.notifications.api import lifecycle_views

urlpatterns = [
    path("validate-code", lifecycle_views.MeValidateCodeView.as_view(), name="me-validate-code"),
    path("resend-code", lifecycle_views.MeResendCodeView.as_view(), name="me-resend-code"),
]
