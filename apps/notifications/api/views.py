"""Notification API under ``/api/server/v1``: senders (WSO2's shapes), message log, templates
and OTP settings. Thin: parse, call a service, shape the answer."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.pagination import paginate_offset
from apps.core.api.serializers import parse
from apps.core.errors import InvalidInput, NotFound
from apps.notifications import selectors, services
from apps.notifications.api import serializers as s
from apps.notifications.models import EmailSender, SmsSender
from apps.notifications.templating import TEMPLATE_TYPES, template_type_get

ERRORS = {
    400: OpenApiResponse(description="Invalid request (NTF-600xx)."),
    401: OpenApiResponse(description="Authentication required."),
    403: OpenApiResponse(description="Missing scope."),
    404: OpenApiResponse(description="Not found."),
}
S_VIEW, S_CREATE, S_UPDATE, S_DELETE = (
    ["internal_notification_sender_mgt_view"],
    ["internal_notification_sender_mgt_create"],
    ["internal_notification_sender_mgt_update"],
    ["internal_notification_sender_mgt_delete"],
)
T_VIEW, T_UPDATE = ["internal_template_mgt_view"], ["internal_template_mgt_update"]


class NotificationAPIView(APIView):
    error_prefix = "NTF"


def _bool_property(props: dict[str, str], key: str, default: bool) -> bool:
    value = props.get(key)
    if value is None:
        return default
    if value.lower() not in {"true", "false"}:
        raise InvalidInput("NTF-60001", _("%(k)s must be true or false.") % {"k": key}, field=key)
    return value.lower() == "true"


def _email_kwargs(data: dict[str, Any]) -> dict[str, Any]:
    if data.get("provider", "SMTP") != "SMTP":
        raise InvalidInput(
            "NTF-60001", _("Only the SMTP email provider is supported."), _("provider must be SMTP."), field="provider"
        )
    props: dict[str, str] = {}
    for item in data.get("properties", []):
        if item["key"] not in s.EMAIL_PROPERTY_KEYS:
            raise InvalidInput(
                "NTF-60001",
                _("Unknown property %(k)s.") % {"k": item["key"]},
                ", ".join(sorted(s.EMAIL_PROPERTY_KEYS)),
                field="properties",
            )
        props[item["key"]] = item["value"]
    ssl_on = _bool_property(props, "mail.smtp.ssl.enable", False)
    starttls_on = _bool_property(props, "mail.smtp.starttls.enable", not ssl_on)
    if ssl_on and starttls_on:
        raise InvalidInput("NTF-60006", _("Choose STARTTLS or implicit TLS, not both."), field="properties")
    security = EmailSender.Security.TLS if ssl_on else EmailSender.Security.STARTTLS if starttls_on else "none"
    return {
        "host": data["smtpServerHost"],
        "port": data["smtpPort"],
        "security": security,
        "from_address": data["fromAddress"],
        "from_name": props.get("signature", ""),
        "auth_type": data.get("authType", EmailSender.AuthType.BASIC),
        "username": props.get("userName", ""),
        "password": props.get("password"),
        "token_endpoint": props.get("tokenEndpoint", ""),
        "client_id": props.get("clientId", ""),
        "client_secret": props.get("clientSecret"),
        "scopes": props.get("scopes", ""),
    }


class EmailSenderListView(NotificationAPIView):
    required_scopes = {"GET": S_VIEW, "POST": S_CREATE}

    @extend_schema(responses={200: s.EmailSenderSerializer(many=True), **ERRORS}, operation_id="listEmailSenders")
    def get(self, request: Request) -> Response:
        sender = selectors.email_sender_get(organization=request.organization)
        return Response([s.email_sender_out(sender)] if sender else [])

    @extend_schema(
        request=s.EmailSenderRequestSerializer,
        responses={201: s.EmailSenderSerializer, **ERRORS, 409: OpenApiResponse(description="NTF-60009")},
        operation_id="createEmailSender",
    )
    def post(self, request: Request) -> Response:
        data = parse(s.EmailSenderRequestSerializer, request.data)
        sender = services.email_sender_save(
            actor=request.user,
            organization=request.organization,
            name=data.get("name", "EmailPublisher"),
            **_email_kwargs(data),
        )
        return Response(s.email_sender_out(sender), status=201)


def _email_sender(request: Request, name: str) -> EmailSender:
    sender = selectors.email_sender_get(organization=request.organization, name=name)
    if sender is None:
        raise NotFound("NTF-60020", _("Email provider not found."), name)
    return sender


class EmailSenderDetailView(NotificationAPIView):
    required_scopes = {"GET": S_VIEW, "PUT": S_UPDATE, "DELETE": S_DELETE}

    def get_sender(self, request: Request, name: str) -> EmailSender:
        return _email_sender(request, name)

    @extend_schema(responses={200: s.EmailSenderSerializer, **ERRORS}, operation_id="getEmailSender")
    def get(self, request: Request, name: str) -> Response:
        return Response(s.email_sender_out(self.get_sender(request, name)))

    @extend_schema(
        request=s.EmailSenderRequestSerializer,
        responses={200: s.EmailSenderSerializer, **ERRORS},
        operation_id="updateEmailSender",
        description="Replaces the provider. Omitted secret properties (password, clientSecret) keep their value.",
    )
    def put(self, request: Request, name: str) -> Response:
        sender = self.get_sender(request, name)
        data = parse(s.EmailSenderRequestSerializer, request.data)
        data.pop("name", None)
        sender = services.email_sender_save(
            actor=request.user, organization=request.organization, sender=sender, **_email_kwargs(data)
        )
        return Response(s.email_sender_out(sender))

    @extend_schema(responses={204: None, **ERRORS}, operation_id="deleteEmailSender")
    def delete(self, request: Request, name: str) -> Response:
        services.email_sender_delete(actor=request.user, sender=self.get_sender(request, name))
        return Response(status=204)


class EmailSenderTestView(NotificationAPIView):
    required_scopes = {"POST": S_UPDATE}

    @extend_schema(
        request=s.EmailTestSerializer,
        responses={202: s.MessageSerializer, **ERRORS},
        operation_id="sendTestEmail",
        description="Queues a test email; follow its status in the message log.",
    )
    def post(self, request: Request, name: str) -> Response:
        _email_sender(request, name)
        data = parse(s.EmailTestSerializer, request.data)
        message = services.test_email_send(actor=request.user, organization=request.organization, to=data["to"])
        return Response(s.message_out(message), status=202)


def _sms_kwargs(data: dict[str, Any]) -> dict[str, Any]:
    auth = data.get("authentication") or {"type": "NONE", "properties": {}}
    props = auth.get("properties") or {}
    secret_key = {"BASIC": "password", "BEARER": "token", "API_KEY": "value"}.get(auth["type"])
    return {
        "provider": data.get("provider", "custom"),
        "url": data["providerURL"],
        "method": data.get("method", ""),
        "content_type": data.get("contentType", ""),
        "headers": data.get("headers"),
        "body_template": data.get("body", ""),
        "sender_id": data.get("sender", ""),
        "auth_type": auth["type"],
        "auth_username": props.get("username", ""),
        "auth_header": props.get("header", ""),
        "secret": props.get(secret_key) if secret_key else None,
    }


class SmsSenderListView(NotificationAPIView):
    required_scopes = {"GET": S_VIEW, "POST": S_CREATE}

    @extend_schema(responses={200: s.SmsSenderSerializer(many=True), **ERRORS}, operation_id="listSmsSenders")
    def get(self, request: Request) -> Response:
        sender = selectors.sms_sender_get(organization=request.organization)
        return Response([s.sms_sender_out(sender)] if sender else [])

    @extend_schema(
        request=s.SmsSenderRequestSerializer,
        responses={201: s.SmsSenderSerializer, **ERRORS, 409: OpenApiResponse(description="NTF-60009")},
        operation_id="createSmsSender",
    )
    def post(self, request: Request) -> Response:
        data = parse(s.SmsSenderRequestSerializer, request.data)
        sender = services.sms_sender_save(
            actor=request.user,
            organization=request.organization,
            name=data.get("name", "SMSPublisher"),
            **_sms_kwargs(data),
        )
        return Response(s.sms_sender_out(sender), status=201)


class SmsSenderDetailView(NotificationAPIView):
    required_scopes = {"GET": S_VIEW, "PUT": S_UPDATE, "DELETE": S_DELETE}

    def get_sender(self, request: Request, name: str) -> SmsSender:
        sender = selectors.sms_sender_get(organization=request.organization, name=name)
        if sender is None:
            raise NotFound("NTF-60021", _("SMS provider not found."), name)
        return sender

    @extend_schema(responses={200: s.SmsSenderSerializer, **ERRORS}, operation_id="getSmsSender")
    def get(self, request: Request, name: str) -> Response:
        return Response(s.sms_sender_out(self.get_sender(request, name)))

    @extend_schema(
        request=s.SmsSenderRequestSerializer,
        responses={200: s.SmsSenderSerializer, **ERRORS},
        operation_id="updateSmsSender",
        description="Replaces the provider. An omitted secret (password, token, value) keeps its value.",
    )
    def put(self, request: Request, name: str) -> Response:
        sender = self.get_sender(request, name)
        data = parse(s.SmsSenderRequestSerializer, request.data)
        data.pop("name", None)
        sender = services.sms_sender_save(
            actor=request.user, organization=request.organization, sender=sender, **_sms_kwargs(data)
        )
        return Response(s.sms_sender_out(sender))

    @extend_schema(responses={204: None, **ERRORS}, operation_id="deleteSmsSender")
    def delete(self, request: Request, name: str) -> Response:
        services.sms_sender_delete(actor=request.user, sender=self.get_sender(request, name))
        return Response(status=204)


class MessageListView(NotificationAPIView):
    required_scopes = {"GET": S_VIEW}

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=list(selectors.MESSAGE_STATUS_FILTERS)),
            OpenApiParameter("channel", str, enum=["email", "sms"]),
            OpenApiParameter("limit", int),
            OpenApiParameter("offset", int),
        ],
        responses={200: s.MessageListSerializer, **ERRORS},
        operation_id="listNotificationMessages",
        summary="The message log, newest first (codes and links masked).",
    )
    def get(self, request: Request) -> Response:
        status = request.query_params.get("status", "")
        channel = request.query_params.get("channel", "")
        if status and status not in selectors.MESSAGE_STATUS_FILTERS:
            raise InvalidInput("NTF-60001", _("Unknown status filter."), ", ".join(selectors.MESSAGE_STATUS_FILTERS))
        if channel and channel not in {"email", "sms"}:
            raise InvalidInput("NTF-60001", _("Unknown channel."), "email, sms")
        rows = selectors.message_list(organization=request.organization, status=status, channel=channel)
        items, page = paginate_offset(request, rows, prefix="NTF")
        return Response({**page, "messages": [s.message_out(m) for m in items]})


class MessageDetailView(NotificationAPIView):
    required_scopes = {"GET": S_VIEW}

    @extend_schema(responses={200: s.MessageSerializer, **ERRORS}, operation_id="getNotificationMessage")
    def get(self, request: Request, message_id: str) -> Response:
        message = selectors.message_get(organization=request.organization, message_id=message_id)
        if message is None:
            raise NotFound("NTF-60022", _("Message not found."), message_id)
        return Response(s.message_out(message))


class MessageRetryView(NotificationAPIView):
    required_scopes = {"POST": S_UPDATE}

    @extend_schema(
        request=None, responses={200: s.MessageSerializer, **ERRORS}, operation_id="retryNotificationMessage"
    )
    def post(self, request: Request, message_id: str) -> Response:
        message = selectors.message_get(organization=request.organization, message_id=message_id)
        if message is None:
            raise NotFound("NTF-60022", _("Message not found."), message_id)
        return Response(s.message_out(services.message_retry_now(actor=request.user, message=message)))


class TemplateTypeListView(NotificationAPIView):
    required_scopes = {"GET": T_VIEW}

    @extend_schema(responses={200: s.TemplateTypeSerializer(many=True), **ERRORS}, operation_id="listTemplateTypes")
    def get(self, request: Request) -> Response:
        return Response(
            [
                {
                    "type": row["type"].key,
                    "channel": row["type"].channel,
                    "label": row["type"].label,
                    "placeholders": sorted(row["type"].placeholders),
                    "customLocales": row["customLocales"],
                }
                for row in selectors.template_overview(organization=request.organization)
            ]
        )


class TemplateDetailView(NotificationAPIView):
    required_scopes = {"GET": T_VIEW, "PUT": T_UPDATE, "DELETE": T_UPDATE}

    def _out(self, request: Request, template_type: str, locale: str) -> dict[str, Any]:
        spec = template_type_get(template_type)
        template = selectors.template_get(organization=request.organization, template_type=template_type, locale=locale)
        return s.template_out(template, channel=spec.channel, placeholders=spec.placeholders)

    @extend_schema(
        responses={200: s.TemplateSerializer, **ERRORS},
        operation_id="getNotificationTemplate",
        description="The template in effect for the locale (after fallback; see ``locale`` and ``custom``).",
    )
    def get(self, request: Request, template_type: str, locale: str) -> Response:
        if template_type not in TEMPLATE_TYPES:
            raise NotFound("NTF-60030", _("Unknown template type."), template_type)
        return Response(self._out(request, template_type, locale))

    @extend_schema(
        request=s.TemplateRequestSerializer,
        responses={200: s.TemplateSerializer, **ERRORS},
        operation_id="putNotificationTemplate",
    )
    def put(self, request: Request, template_type: str, locale: str) -> Response:
        data = parse(s.TemplateRequestSerializer, request.data)
        row = services.template_save(
            actor=request.user,
            organization=request.organization,
            template_type=template_type,
            locale=locale,
            subject=data.get("subject", ""),
            body_html=data.get("bodyHtml", ""),
            body_text=data["body"],
        )
        return Response(self._out(request, template_type, row.locale))

    @extend_schema(
        responses={204: None, **ERRORS},
        operation_id="resetNotificationTemplate",
        description="Removes the custom template; the shipped default applies again.",
    )
    def delete(self, request: Request, template_type: str, locale: str) -> Response:
        services.template_reset(
            actor=request.user, organization=request.organization, template_type=template_type, locale=locale
        )
        return Response(status=204)


class SettingsView(NotificationAPIView):
    required_scopes = {"GET": S_VIEW, "PATCH": S_UPDATE}

    @extend_schema(responses={200: s.SettingsSerializer, **ERRORS}, operation_id="getNotificationSettings")
    def get(self, request: Request) -> Response:
        return Response(s.settings_out(services.notification_settings_get(organization=request.organization)))

    @extend_schema(
        request=s.SettingsSerializer,
        responses={200: s.SettingsSerializer, **ERRORS},
        operation_id="patchNotificationSettings",
    )
    def patch(self, request: Request) -> Response:
        data = parse(s.SettingsSerializer, request.data)
        row = services.notification_settings_update(
            actor=request.user,
            organization=request.organization,
            **{s.SETTINGS_FIELDS[key]: value for key, value in data.items()},
        )
        return Response(s.settings_out(row))
