"""Request parsing and response shapes: WSO2's Notification Sender API (v1 email/SMS shapes,
v2 ``authentication`` object for SMS) plus our message log, templates and OTP settings.

Parsers check JSON types only; the rules live in the services. Secrets are write-only."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from apps.core.api.serializers import StrictBooleanField, StrictCharField, StrictSerializer
from apps.notifications.models import (
    EmailSender,
    Message,
    NotificationSettings,
    PasswordSetupMethod,
    SmsSender,
    VerificationMethod,
)
from apps.notifications.templating import ResolvedTemplate

EMAIL_SECRET_KEYS = frozenset({"password", "clientSecret"})
EMAIL_PROPERTY_KEYS = frozenset(
    {
        "userName",
        "password",
        "clientId",
        "clientSecret",
        "tokenEndpoint",
        "scopes",
        "signature",
        "mail.smtp.starttls.enable",
        "mail.smtp.ssl.enable",
    }
)


class SenderPropertySerializer(StrictSerializer):
    key = StrictCharField(max_length=255)
    value = StrictCharField(max_length=8192, allow_blank=True, trim_whitespace=False)


class EmailSenderRequestSerializer(StrictSerializer):
    name = StrictCharField(max_length=64, required=False)
    provider = StrictCharField(max_length=16, required=False, help_text="SMTP (the only email provider type).")
    providerURL = StrictCharField(max_length=2048, required=False)  # noqa: N815
    smtpServerHost = StrictCharField(max_length=255)  # noqa: N815
    smtpPort = serializers.IntegerField(min_value=1, max_value=65535)  # noqa: N815
    fromAddress = StrictCharField(max_length=254)  # noqa: N815
    authType = StrictCharField(max_length=32, required=False, help_text="BASIC, CLIENT_CREDENTIAL or NONE.")  # noqa: N815
    properties = SenderPropertySerializer(many=True, required=False)


class EmailSenderSerializer(serializers.Serializer):
    name = serializers.CharField()
    provider = serializers.CharField()
    smtpServerHost = serializers.CharField()  # noqa: N815
    smtpPort = serializers.IntegerField()  # noqa: N815
    fromAddress = serializers.CharField()  # noqa: N815
    authType = serializers.CharField()  # noqa: N815
    properties = SenderPropertySerializer(many=True)


class EmailTestSerializer(StrictSerializer):
    to = StrictCharField(max_length=254)


class MessageSerializer(serializers.Serializer):
    id = serializers.CharField()
    channel = serializers.CharField()
    recipient = serializers.CharField()
    templateType = serializers.CharField()  # noqa: N815
    locale = serializers.CharField()
    subject = serializers.CharField()
    body = serializers.CharField(help_text="Codes and links are masked.")
    status = serializers.CharField()
    attempts = serializers.IntegerField()
    lastError = serializers.CharField()  # noqa: N815
    nextAttemptAt = serializers.DateTimeField(allow_null=True)  # noqa: N815
    sentAt = serializers.DateTimeField(allow_null=True)  # noqa: N815
    created = serializers.DateTimeField()


class MessageListSerializer(serializers.Serializer):
    totalResults = serializers.IntegerField()  # noqa: N815
    startIndex = serializers.IntegerField()  # noqa: N815
    count = serializers.IntegerField()
    messages = MessageSerializer(many=True)


def _properties(pairs: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"key": key, "value": value} for key, value in pairs if value != ""]


def email_sender_out(sender: EmailSender) -> dict[str, Any]:
    return {
        "name": sender.name,
        "provider": "SMTP",
        "smtpServerHost": sender.host,
        "smtpPort": sender.port,
        "fromAddress": sender.from_address,
        "authType": sender.auth_type,
        "properties": _properties(
            [
                ("userName", sender.username),
                ("clientId", sender.client_id),
                ("tokenEndpoint", sender.token_endpoint),
                ("scopes", sender.scopes),
                ("signature", sender.from_name),
                ("mail.smtp.starttls.enable", "true" if sender.security == EmailSender.Security.STARTTLS else "false"),
                ("mail.smtp.ssl.enable", "true" if sender.security == EmailSender.Security.TLS else "false"),
            ]
        ),
    }


class SmsAuthenticationSerializer(StrictSerializer):
    type = StrictCharField(max_length=16, help_text="NONE, BASIC, BEARER or API_KEY.")
    properties = serializers.DictField(child=StrictCharField(max_length=8192, trim_whitespace=False), required=False)


class SmsSenderRequestSerializer(StrictSerializer):
    name = StrictCharField(max_length=64, required=False)
    provider = StrictCharField(max_length=32, required=False, help_text="custom, twilio, vonage, plivo, messagebird.")
    providerURL = StrictCharField(max_length=2048)  # noqa: N815
    sender = StrictCharField(max_length=64, required=False, allow_blank=True)
    contentType = StrictCharField(max_length=8, required=False, help_text="JSON or FORM.")  # noqa: N815
    method = StrictCharField(max_length=8, required=False)
    headers = serializers.DictField(child=StrictCharField(max_length=4096, allow_blank=True), required=False)
    body = StrictCharField(
        max_length=8192, required=False, trim_whitespace=False, help_text="Placeholders {{mobile}} {{body}} {{sender}}."
    )
    authentication = SmsAuthenticationSerializer(required=False)


class SmsSenderSerializer(serializers.Serializer):
    name = serializers.CharField()
    provider = serializers.CharField()
    providerURL = serializers.CharField()  # noqa: N815
    sender = serializers.CharField()
    contentType = serializers.CharField()  # noqa: N815
    method = serializers.CharField()
    headers = serializers.DictField(child=serializers.CharField())
    body = serializers.CharField()
    authentication = serializers.DictField()


def sms_sender_out(sender: SmsSender) -> dict[str, Any]:
    auth_properties = {}
    if sender.auth_type == SmsSender.AuthType.BASIC:
        auth_properties = {"username": sender.auth_username}
    elif sender.auth_type == SmsSender.AuthType.API_KEY:
        auth_properties = {"header": sender.auth_header}
    return {
        "name": sender.name,
        "provider": sender.provider,
        "providerURL": sender.url,
        "sender": sender.sender,
        "contentType": sender.content_type,
        "method": sender.method,
        "headers": sender.headers,
        "body": sender.body_template,
        "authentication": {"type": sender.auth_type, "properties": auth_properties},
    }


def message_out(message: Message) -> dict[str, Any]:
    return {
        "id": str(message.id),
        "channel": message.channel,
        "recipient": message.recipient,
        "templateType": message.template_type,
        "locale": message.locale,
        "subject": message.subject,
        "body": message.body_redacted,
        "status": message.status,
        "attempts": message.attempts,
        "lastError": message.last_error,
        "nextAttemptAt": message.next_attempt_at
        if message.status in {Message.Status.QUEUED, Message.Status.FAILED}
        else None,
        "sentAt": message.sent_at,
        "created": message.created,
    }


class TemplateRequestSerializer(StrictSerializer):
    subject = StrictCharField(max_length=998, required=False, allow_blank=True, trim_whitespace=False)
    bodyHtml = StrictCharField(max_length=100_000, required=False, allow_blank=True, trim_whitespace=False)  # noqa: N815
    body = StrictCharField(max_length=100_000, trim_whitespace=False)


class TemplateSerializer(serializers.Serializer):
    type = serializers.CharField()
    channel = serializers.CharField()
    locale = serializers.CharField()
    custom = serializers.BooleanField()
    subject = serializers.CharField()
    bodyHtml = serializers.CharField()  # noqa: N815
    body = serializers.CharField()
    placeholders = serializers.ListField(child=serializers.CharField())


def template_out(template: ResolvedTemplate, *, channel: str, placeholders: frozenset[str]) -> dict[str, Any]:
    return {
        "type": template.template_type,
        "channel": channel,
        "locale": template.locale,
        "custom": template.overridden,
        "subject": template.subject,
        "bodyHtml": template.body_html,
        "body": template.body_text,
        "placeholders": sorted(placeholders),
    }


class TemplateTypeSerializer(serializers.Serializer):
    type = serializers.CharField()
    channel = serializers.CharField()
    label = serializers.CharField()
    placeholders = serializers.ListField(child=serializers.CharField())
    customLocales = serializers.ListField(child=serializers.CharField())  # noqa: N815


class SettingsSerializer(StrictSerializer):
    otpLength = serializers.IntegerField(required=False, min_value=1, max_value=64)  # noqa: N815
    otpUseDigits = StrictBooleanField(required=False)  # noqa: N815
    otpUseUppercase = StrictBooleanField(required=False)  # noqa: N815
    otpUseLowercase = StrictBooleanField(required=False)  # noqa: N815
    otpExpirySeconds = serializers.IntegerField(required=False, min_value=0, max_value=30 * 86400)  # noqa: N815
    otpMaxAttempts = serializers.IntegerField(required=False, min_value=0, max_value=100)  # noqa: N815
    otpResendCooldownSeconds = serializers.IntegerField(required=False, min_value=0, max_value=86400)  # noqa: N815
    linkExpirySeconds = serializers.IntegerField(required=False, min_value=0, max_value=90 * 86400)  # noqa: N815
    defaultLocale = StrictCharField(required=False, max_length=16)  # noqa: N815
    maxResends = serializers.IntegerField(required=False, min_value=0, max_value=100)  # noqa: N815
    emailVerificationMethod = serializers.ChoiceField(  # noqa: N815
        required=False, choices=VerificationMethod.choices
    )
    emailVerificationExpirySeconds = serializers.IntegerField(  # noqa: N815
        required=False, min_value=60, max_value=90 * 86400
    )
    emailVerifyOnUpdate = StrictBooleanField(required=False)  # noqa: N815
    mobileVerifyOnUpdate = StrictBooleanField(required=False)  # noqa: N815
    askPasswordMethod = serializers.ChoiceField(required=False, choices=PasswordSetupMethod.choices)  # noqa: N815
    askPasswordExpirySeconds = serializers.IntegerField(  # noqa: N815
        required=False, min_value=60, max_value=90 * 86400
    )
    adminForcedResetMethod = serializers.ChoiceField(  # noqa: N815
        required=False, choices=PasswordSetupMethod.choices
    )
    adminForcedResetExpirySeconds = serializers.IntegerField(  # noqa: N815
        required=False, min_value=60, max_value=90 * 86400
    )


SETTINGS_FIELDS = {
    "otpLength": "otp_length",
    "otpUseDigits": "otp_use_digits",
    "otpUseUppercase": "otp_use_uppercase",
    "otpUseLowercase": "otp_use_lowercase",
    "otpExpirySeconds": "otp_ttl_seconds",
    "otpMaxAttempts": "otp_max_attempts",
    "otpResendCooldownSeconds": "otp_resend_cooldown_seconds",
    "linkExpirySeconds": "link_ttl_seconds",
    "defaultLocale": "default_locale",
    "maxResends": "max_resends",
    "emailVerificationMethod": "email_verification_method",
    "emailVerificationExpirySeconds": "email_verification_ttl_seconds",
    "emailVerifyOnUpdate": "email_verify_on_update",
    "mobileVerifyOnUpdate": "mobile_verify_on_update",
    "askPasswordMethod": "ask_password_method",
    "askPasswordExpirySeconds": "ask_password_ttl_seconds",
    "adminForcedResetMethod": "admin_reset_method",
    "adminForcedResetExpirySeconds": "admin_reset_ttl_seconds",
}


def settings_out(row: NotificationSettings) -> dict[str, Any]:
    return {api: getattr(row, field) for api, field in SETTINGS_FIELDS.items()}
