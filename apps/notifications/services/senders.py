"""Email (SMTP) and SMS (HTTP) providers of a root organization; secrets are write-only."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from apps.core.audit import audit_record
from apps.core.errors import Conflict, InvalidInput
from apps.notifications.models import EmailSender, SmsSender
from apps.notifications.secrets import seal_secret
from apps.notifications.services.settings import require_root
from apps.notifications.sms_presets import SMS_BODY_PLACEHOLDERS, SMS_PRESETS, sms_body_placeholders
from apps.orgs.models import Organization

LOOPBACK_HOSTS = {"127.0.0.1", "::1", "localhost"}
HTTP_METHODS = ("POST", "PUT", "GET")


def _check_url(url: str, *, field: str) -> str:
    parts = urlsplit(url or "")
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise InvalidInput(
            "NTF-60003", _("Invalid URL."), _("%(f)s must be an http(s) URL.") % {"f": field}, field=field
        )
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS and settings.IAM_NOTIFICATION_REQUIRE_HTTPS:
        raise InvalidInput("NTF-60004", _("HTTPS required."), _("%(f)s must use https.") % {"f": field}, field=field)
    return url


def _require(value: str, *, code: str, field: str) -> str:
    if not (value or "").strip():
        raise InvalidInput(code, _("%(f)s is required.") % {"f": field}, field=field)
    return value.strip()


def _audit(actor: Any, action: str, target: EmailSender | SmsSender, data: dict[str, Any] | None = None) -> None:
    audit_record(
        actor=actor,
        action=action,
        target_type=type(target).__name__.lower(),
        target_id=target.pk,
        organization=target.organization,
        data=data or {},
    )


@transaction.atomic
def email_sender_save(
    *,
    actor: Any,
    organization: Organization,
    sender: EmailSender | None = None,
    name: str = "EmailPublisher",
    host: str,
    port: int,
    security: str,
    from_address: str,
    from_name: str = "",
    auth_type: str,
    username: str = "",
    password: str | None = None,
    token_endpoint: str = "",
    client_id: str = "",
    client_secret: str | None = None,
    scopes: str = "",
) -> EmailSender:
    """Create (``sender=None``) or replace the root organization's SMTP provider.

    ``password`` / ``client_secret`` of ``None`` keep the stored secret."""
    root = require_root(organization)
    creating = sender is None
    if creating:
        if EmailSender.objects.filter(organization=root).exists():
            raise Conflict("NTF-60009", _("An email provider already exists."), _("Update or delete it instead."))
        sender = EmailSender(organization=root, name=name or "EmailPublisher")
    sender.host = _require(host, code="NTF-60002", field="smtpServerHost")
    if not isinstance(port, int) or not 0 < port < 65536:
        raise InvalidInput("NTF-60005", _("Invalid port."), field="smtpPort")
    sender.port = port
    if security not in EmailSender.Security.values:
        raise InvalidInput("NTF-60006", _("Invalid security mode."), ", ".join(EmailSender.Security.values))
    sender.security = security
    try:
        validate_email(from_address)
    except ValidationError as exc:
        raise InvalidInput("NTF-60007", _("Invalid from address."), field="fromAddress") from exc
    sender.from_address = from_address
    sender.from_name = from_name or ""
    if auth_type not in EmailSender.AuthType.values:
        raise InvalidInput("NTF-60008", _("Invalid authentication type."), ", ".join(EmailSender.AuthType.values))
    if not creating and sender.auth_type != auth_type:
        sender.password_sealed = sender.client_secret_sealed = ""
    sender.auth_type = auth_type
    if password is not None:
        sender.password_sealed = seal_secret(password, context=f"email:{sender.id}:password")
    if client_secret is not None:
        sender.client_secret_sealed = seal_secret(client_secret, context=f"email:{sender.id}:client_secret")
    sender.username = username or ""
    sender.token_endpoint = token_endpoint or ""
    sender.client_id = client_id or ""
    sender.scopes = " ".join((scopes or "").split())
    if auth_type == EmailSender.AuthType.BASIC:
        _require(sender.username, code="NTF-60002", field="userName")
        if not sender.password_sealed:
            raise InvalidInput("NTF-60002", _("password is required."), field="password")
    elif auth_type == EmailSender.AuthType.CLIENT_CREDENTIAL:
        _check_url(_require(sender.token_endpoint, code="NTF-60002", field="tokenEndpoint"), field="tokenEndpoint")
        _require(sender.client_id, code="NTF-60002", field="clientId")
        if not sender.client_secret_sealed:
            raise InvalidInput("NTF-60002", _("clientSecret is required."), field="clientSecret")
    sender.save()
    _audit(actor, "email_sender.create" if creating else "email_sender.update", sender, {"authType": auth_type})
    return sender


@transaction.atomic
def email_sender_delete(*, actor: Any, sender: EmailSender) -> None:
    _audit(actor, "email_sender.delete", sender)
    sender.delete()


def _headers(value: Any) -> dict[str, str]:
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else {}
        except ValueError as exc:
            raise InvalidInput("NTF-60011", _("Headers must be a JSON object."), field="headers") from exc
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise InvalidInput("NTF-60011", _("Headers must map names to string values."), field="headers")
    for key, item in value.items():
        if any(c in key + item for c in "\r\n") or not key.strip():
            raise InvalidInput("NTF-60011", _("Invalid header %(h)s.") % {"h": key}, field="headers")
    return value


@transaction.atomic
def sms_sender_save(
    *,
    actor: Any,
    organization: Organization,
    sender: SmsSender | None = None,
    name: str = "SMSPublisher",
    provider: str = "custom",
    url: str,
    method: str = "",
    content_type: str = "",
    headers: Any = None,
    body_template: str = "",
    sender_id: str = "",
    auth_type: str = "NONE",
    auth_username: str = "",
    auth_header: str = "",
    secret: str | None = None,
) -> SmsSender:
    """Create or replace the SMS provider. A vendor ``provider`` preset fills method, content type,
    headers and body when they are left empty; ``secret`` of ``None`` keeps the stored one."""
    root = require_root(organization)
    preset = SMS_PRESETS.get(provider)
    if preset is None:
        raise InvalidInput(
            "NTF-60010", _("Unknown SMS provider preset."), ", ".join(sorted(SMS_PRESETS)), field="provider"
        )
    creating = sender is None
    if creating:
        if SmsSender.objects.filter(organization=root).exists():
            raise Conflict("NTF-60009", _("An SMS provider already exists."), _("Update or delete it instead."))
        sender = SmsSender(organization=root, name=name or "SMSPublisher")
    sender.provider = provider
    sender.url = _check_url(_require(url, code="NTF-60002", field="providerURL"), field="providerURL")
    sender.method = (method or preset.method).upper()
    if sender.method not in HTTP_METHODS:
        raise InvalidInput("NTF-60012", _("Invalid HTTP method."), ", ".join(HTTP_METHODS), field="method")
    sender.content_type = content_type or preset.content_type
    if sender.content_type not in SmsSender.ContentType.values:
        raise InvalidInput("NTF-60013", _("Invalid content type."), "JSON, FORM", field="contentType")
    sender.headers = _headers(headers if headers not in (None, "") else dict(preset.headers))
    sender.body_template = body_template or preset.body
    unknown = sms_body_placeholders(sender.body_template + sender.url) - SMS_BODY_PLACEHOLDERS
    if unknown:
        raise InvalidInput(
            "NTF-60014",
            _("Unknown placeholder %(name)s.") % {"name": sorted(unknown)[0]},
            _("Allowed: %(a)s.") % {"a": ", ".join("{{" + p + "}}" for p in sorted(SMS_BODY_PLACEHOLDERS))},
            field="body",
        )
    if "{{body}}" not in sender.body_template.replace(" ", "") and "{{body}}" not in sender.url.replace(" ", ""):
        raise InvalidInput("NTF-60015", _("The body template must contain {{body}}."), field="body")
    sender.sender = sender_id or ""
    if auth_type not in SmsSender.AuthType.values:
        raise InvalidInput("NTF-60016", _("Invalid authentication type."), ", ".join(SmsSender.AuthType.values))
    if not creating and sender.auth_type != auth_type:
        sender.secret_sealed = ""  # a password must not silently become a bearer token or API key
    sender.auth_type = auth_type
    sender.auth_username = auth_username or ""
    sender.auth_header = auth_header or ""
    if secret is not None:
        sender.secret_sealed = seal_secret(secret, context=f"sms:{sender.id}:secret")
    if auth_type == SmsSender.AuthType.BASIC:
        _require(sender.auth_username, code="NTF-60002", field="username")
    if auth_type == SmsSender.AuthType.API_KEY:
        _require(sender.auth_header, code="NTF-60002", field="header")
    if auth_type != SmsSender.AuthType.NONE and not sender.secret_sealed:
        raise InvalidInput("NTF-60002", _("The provider secret is required."), field="secret")
    sender.save()
    _audit(actor, "sms_sender.create" if creating else "sms_sender.update", sender, {"provider": provider})
    return sender


@transaction.atomic
def sms_sender_delete(*, actor: Any, sender: SmsSender) -> None:
    _audit(actor, "sms_sender.delete", sender)
    sender.delete()
