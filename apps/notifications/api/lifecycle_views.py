"""Account-lifecycle API in WSO2's shapes: ``validate-code`` / ``resend-code`` for email
verification, invitations and admin-forced resets, and their ``/me`` twins for the signed-in
user's pending email or mobile number. Thin: parse, call a service, shape the answer."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.authn.ratelimit import rate_count, rate_limited
from apps.authn.services.lockout import user_find
from apps.core.api.serializers import parse
from apps.core.errors import DomainError, InvalidInput, NotFound
from apps.notifications.services.lifecycle import password_reset_force, pending_resend, user_invite
from apps.notifications.services.links import TOKEN_RE, LinkRejected
from apps.notifications.services.verification import (
    email_verification_confirm,
    email_verification_confirm_link,
    email_verification_pending,
    email_verification_start,
    mobile_verification_confirm,
    mobile_verification_pending,
    mobile_verification_start,
)
from apps.users.models import User

ERRORS = {
    400: OpenApiResponse(description="Invalid request or code (NTF-600xx)."),
    401: OpenApiResponse(description="Authentication required."),
    403: OpenApiResponse(description="Missing scope."),
    429: OpenApiResponse(description="Cool-down or resend limit (NTF-60055 / NTF-60061)."),
}
# WSO2 RecoveryScenario values of resend-code (admin) -> (journey, method or None for "as before").
ADMIN_SCENARIOS: dict[str, tuple[str, str | None]] = {
    "ASK_PASSWORD": ("ask_password", None),
    "ASK_PASSWORD_VIA_EMAIL_LINK": ("ask_password", "email_link"),
    "ASK_PASSWORD_VIA_EMAIL_OTP": ("ask_password", "email_otp"),
    "ASK_PASSWORD_VIA_SMS_OTP": ("ask_password", "sms_otp"),
    "ADMIN_FORCED_PASSWORD_RESET_VIA_EMAIL_LINK": ("admin_forced_reset", "email_link"),
    "ADMIN_FORCED_PASSWORD_RESET_VIA_OTP": ("admin_forced_reset", "email_otp"),
    "ADMIN_FORCED_PASSWORD_RESET_VIA_SMS_OTP": ("admin_forced_reset", "sms_otp"),
    "EMAIL_VERIFICATION": ("email_verification", None),
    "MOBILE_VERIFICATION": ("mobile_verification", None),
}
ME_SCENARIOS = {
    "EMAIL_VERIFICATION_ON_UPDATE": "email",
    "EMAIL_VERIFICATION": "email",
    "MOBILE_VERIFICATION_ON_UPDATE": "mobile",
    "MOBILE_VERIFICATION": "mobile",
}


class RecoveryPropertySerializer(serializers.Serializer):
    key = serializers.CharField(max_length=100)
    value = serializers.CharField(max_length=500, allow_blank=True)


class RecoveryUserSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=256)
    realm = serializers.CharField(max_length=100, required=False, allow_blank=True)


class ValidateCodeSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=300)
    user = RecoveryUserSerializer(required=False)
    properties = RecoveryPropertySerializer(many=True, required=False)


class ResendCodeSerializer(serializers.Serializer):
    user = RecoveryUserSerializer()
    properties = RecoveryPropertySerializer(many=True, required=False)


class MeValidateCodeSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=64)
    properties = RecoveryPropertySerializer(many=True, required=False)


class MeResendCodeSerializer(serializers.Serializer):
    properties = RecoveryPropertySerializer(many=True, required=False)


def _properties(data: dict[str, Any]) -> dict[str, str]:
    return {item["key"]: item["value"] for item in data.get("properties") or []}


class LifecycleAPIView(APIView):
    error_prefix = "NTF"


def _wrong_code(reason: str = "invalid", remaining: int | None = None) -> InvalidInput:
    description = _("The code is wrong, expired or used.")
    if reason == "locked":
        description = _("Too many wrong codes: this code no longer works. Ask for a new one.")
    elif remaining is not None and reason == "invalid":
        description = _("%(n)d attempts left.") % {"n": remaining}
    return InvalidInput("NTF-60059", _("Invalid code."), description, field="code")


class ValidateCodeView(LifecycleAPIView):
    """``POST /api/identity/user/v1.0/validate-code``: confirm an email address (no token needed).

    ``code`` is the link token from the verification email, or the emailed OTP together with
    ``user.username`` (or a ``username`` property): an OTP alone does not say whose it is."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=ValidateCodeSerializer,
        responses={202: OpenApiResponse(description="Verified."), **ERRORS},
        operation_id="validateCode",
    )
    def post(self, request: Request) -> Response:
        ip = request.META.get("REMOTE_ADDR", "")
        limit = tuple(settings.IAM_LOGIN_RATE_PER_IP)
        wait = rate_limited("lifecycle-ip", ip, limit)  # type: ignore[arg-type]
        if wait:
            error = DomainError("NTF-60062", _("Too many attempts."), _("Try again in %(s)d seconds.") % {"s": wait})
            error.status = 429
            raise error
        rate_count("lifecycle-ip", ip, limit)  # type: ignore[arg-type]
        data = parse(ValidateCodeSerializer, request.data)
        code = data["code"].strip()
        if TOKEN_RE.match(code):
            try:
                user = email_verification_confirm_link(token=code)
            except LinkRejected as exc:
                raise InvalidInput("NTF-60060", exc.message, exc.reason, field="code") from exc
            if user.organization_id != request.organization.pk:
                raise _wrong_code()
            return Response(status=202)
        username = (data.get("user") or {}).get("username") or _properties(data).get("username", "")
        if not username:
            raise InvalidInput("NTF-60063", _("Say whose code this is."), _("Give user.username."), field="user")
        user = user_find(organization=request.organization, username=username)
        if user is None:
            raise _wrong_code()
        result = email_verification_confirm(user=user, code=code)
        if not result.ok:
            raise _wrong_code(result.reason)
        return Response(status=202)


class ResendCodeView(LifecycleAPIView):
    """``POST /api/identity/user/v1.0/resend-code`` (admin): send the invitation, forced-reset or
    verification code/link of a user again; ``RecoveryScenario`` as WSO2 names it."""

    required_scopes = {"POST": ["internal_user_mgt_update"]}

    @extend_schema(
        request=ResendCodeSerializer,
        responses={201: OpenApiResponse(description="Sent again."), **ERRORS},
        operation_id="resendCode",
    )
    def post(self, request: Request) -> Response:
        data = parse(ResendCodeSerializer, request.data)
        user = user_find(organization=request.organization, username=data["user"]["username"])
        if user is None:
            raise NotFound("NTF-60064", _("No such user."), field="user")
        scenario = _properties(data).get("RecoveryScenario", "")
        if not scenario:
            delivery = pending_resend(actor=request.user, user=user)
            return Response(delivery.as_dict(), status=201)
        if scenario not in ADMIN_SCENARIOS:
            choices = ", ".join(ADMIN_SCENARIOS)
            raise InvalidInput("NTF-60065", _("Unknown RecoveryScenario."), choices, field="properties")
        journey, method = ADMIN_SCENARIOS[scenario]
        if journey == "ask_password":
            if user.state != User.State.PENDING_ASK_PASSWORD:
                raise InvalidInput("NTF-60070", _("This account is not waiting for its first password."))
            delivery = user_invite(actor=request.user, user=user, method=method, resend=True)
        elif journey == "admin_forced_reset":
            if user.state != User.State.PENDING_PASSWORD_RESET:
                raise InvalidInput("NTF-60070", _("This account is not waiting for a password reset."))
            delivery = password_reset_force(actor=request.user, user=user, method=method, resend=True)
        elif journey == "email_verification":
            if not email_verification_pending(user):
                raise InvalidInput("NTF-60070", _("This account's email address is not waiting for verification."))
            delivery = email_verification_start(actor=request.user, user=user, resend=True)
        else:
            if not mobile_verification_pending(user):
                raise InvalidInput("NTF-60070", _("This account's mobile number is not waiting for verification."))
            delivery = mobile_verification_start(actor=request.user, user=user, resend=True)
        return Response(delivery.as_dict(), status=201)


class IsUserToken(BasePermission):
    """A token issued to a user (any scope): the ``/me`` endpoints act on that user only."""

    def has_permission(self, request: Request, view: Any) -> bool:
        from apps.core.api.authentication import Grant

        user = request.user
        return (
            isinstance(request.auth, Grant)
            and isinstance(user, User)
            and request.organization is not None
            and user.organization_id == request.organization.pk
        )


def _me_channel(data: dict[str, Any], user: User) -> str:
    scenario = _properties(data).get("RecoveryScenario") or _properties(data).get("scenario") or ""
    if scenario:
        if scenario not in ME_SCENARIOS:
            raise InvalidInput("NTF-60065", _("Unknown RecoveryScenario."), ", ".join(ME_SCENARIOS))
        return ME_SCENARIOS[scenario]
    if mobile_verification_pending(user) and not email_verification_pending(user):
        return "mobile"
    return "email"


class MeValidateCodeView(LifecycleAPIView):
    """``POST /api/users/v1/me/validate-code``: the signed-in user's email or SMS verification code."""

    permission_classes = [IsUserToken]

    @extend_schema(
        request=MeValidateCodeSerializer,
        responses={202: OpenApiResponse(description="Verified."), **ERRORS},
        operation_id="meValidateCode",
    )
    def post(self, request: Request) -> Response:
        data = parse(MeValidateCodeSerializer, request.data)
        user = request.user
        confirm = mobile_verification_confirm if _me_channel(data, user) == "mobile" else email_verification_confirm
        result = confirm(user=user, code=data["code"])
        if not result.ok:
            raise _wrong_code(result.reason, result.attempts_remaining)
        return Response(status=202)


class MeResendCodeView(LifecycleAPIView):
    """``POST /api/users/v1/me/resend-code``: send the signed-in user's verification code again."""

    permission_classes = [IsUserToken]

    @extend_schema(
        request=MeResendCodeSerializer,
        responses={201: OpenApiResponse(description="Sent again."), **ERRORS},
        operation_id="meResendCode",
    )
    def post(self, request: Request) -> Response:
        data = parse(MeResendCodeSerializer, request.data)
        user = request.user
        if _me_channel(data, user) == "mobile":
            if not mobile_verification_pending(user):
                raise InvalidInput("NTF-60070", _("Your mobile number is not waiting for verification."))
            delivery = mobile_verification_start(actor=user, user=user, resend=True)
        else:
            if not email_verification_pending(user):
                raise InvalidInput("NTF-60070", _("Your email address is not waiting for verification."))
            delivery = email_verification_start(actor=user, user=user, resend=True)
        return Response(delivery.as_dict(), status=201)
