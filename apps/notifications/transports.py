"""Talking to providers: SMTP (plain, STARTTLS, implicit TLS; basic auth or ``AUTH XOAUTH2``
with a client-credentials token) and generic HTTP SMS.

OAuth2 tokens are cached per process until shortly before they expire; on an SMTP 535 the token
is fetched again once and the login retried (Exchange Online revokes tokens early)."""

from __future__ import annotations

import hashlib
import json
import smtplib
import ssl
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from urllib.parse import quote, quote_plus

import requests
from django.conf import settings

from apps.notifications.models import EmailSender, SmsSender
from apps.notifications.secrets import open_secret
from apps.notifications.sms_presets import PLACEHOLDER_RE

TOKEN_REFRESH_MARGIN_SECONDS = 60


class DeliveryError(Exception):
    """A provider refused or could not be reached; the message names why, without secrets."""


@dataclass(frozen=True)
class OutgoingMessage:
    recipient: str
    subject: str
    body_text: str
    body_html: str


# --- OAuth2 client credentials ------------------------------------------------------

_tokens: dict[str, tuple[str, float]] = {}
_tokens_lock = threading.Lock()


def _token_key(sender: EmailSender) -> str:
    raw = "\x1f".join([sender.token_endpoint, sender.client_id, sender.scopes, sender.client_secret_sealed])
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def oauth_token_forget(sender: EmailSender) -> None:
    with _tokens_lock:
        _tokens.pop(_token_key(sender), None)


def oauth_token_get(sender: EmailSender) -> str:
    """A bearer token for ``sender``: the cached one, or a new one from its token endpoint."""
    key = _token_key(sender)
    with _tokens_lock:
        cached = _tokens.get(key)
    if cached is not None and cached[1] > time.monotonic():
        return cached[0]
    secret = open_secret(sender.client_secret_sealed, context=f"email:{sender.id}:client_secret")
    form = {"grant_type": "client_credentials", "client_id": sender.client_id, "client_secret": secret}
    if sender.scopes:
        form["scope"] = sender.scopes
    try:
        response = requests.post(
            sender.token_endpoint,
            data=form,
            headers={"Accept": "application/json"},
            timeout=settings.IAM_NOTIFICATION_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        raise DeliveryError(f"Token endpoint unreachable: {type(exc).__name__}") from exc
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code != 200 or not isinstance(body, dict) or not body.get("access_token"):
        error = body.get("error", "") if isinstance(body, dict) else ""
        raise DeliveryError(f"Token endpoint refused the client credentials (HTTP {response.status_code} {error})")
    lifetime = body.get("expires_in") if isinstance(body.get("expires_in"), int | float) else 300
    expires = time.monotonic() + max(0.0, float(lifetime) - TOKEN_REFRESH_MARGIN_SECONDS)
    with _tokens_lock:
        _tokens[key] = (body["access_token"], expires)
    return str(body["access_token"])


def xoauth2_string(user: str, token: str) -> str:
    """The SASL XOAUTH2 initial response (before base64, which smtplib applies)."""
    return f"user={user}\x01auth=Bearer {token}\x01\x01"


# --- SMTP ---------------------------------------------------------------------------


def _mime(sender: EmailSender, message: OutgoingMessage) -> EmailMessage:
    mime = EmailMessage()
    mime["From"] = formataddr((sender.from_name, sender.from_address)) if sender.from_name else sender.from_address
    mime["To"] = message.recipient
    mime["Subject"] = message.subject
    mime["Message-ID"] = make_msgid(domain=sender.from_address.rsplit("@", 1)[-1])
    mime.set_content(message.body_text or "")
    if message.body_html:
        mime.add_alternative(message.body_html, subtype="html")
    return mime


def _tls_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    cafile = settings.IAM_NOTIFICATION_SMTP_CA_FILE
    if cafile:
        context.load_verify_locations(cafile=cafile)
    return context


def _connect(sender: EmailSender) -> smtplib.SMTP:
    timeout = settings.IAM_NOTIFICATION_TIMEOUT_SECONDS
    if sender.security == EmailSender.Security.TLS:
        return smtplib.SMTP_SSL(sender.host, sender.port, timeout=timeout, context=_tls_context())
    client = smtplib.SMTP(sender.host, sender.port, timeout=timeout)
    if sender.security == EmailSender.Security.STARTTLS:
        client.starttls(context=_tls_context())
    return client


def _login(client: smtplib.SMTP, sender: EmailSender) -> None:
    if sender.auth_type == EmailSender.AuthType.BASIC:
        client.login(sender.username, open_secret(sender.password_sealed, context=f"email:{sender.id}:password"))
        return
    if sender.auth_type != EmailSender.AuthType.CLIENT_CREDENTIAL:
        return
    user = sender.username or sender.from_address
    for attempt in (1, 2):
        token = oauth_token_get(sender)
        client.ehlo_or_helo_if_needed()
        try:
            # The server answers a bad token with a 334 JSON challenge; the empty reply ends it (then 535).
            client.auth("XOAUTH2", lambda challenge=None, t=token: "" if challenge else xoauth2_string(user, t))
            return
        except smtplib.SMTPAuthenticationError:
            oauth_token_forget(sender)
            if attempt == 2:
                raise


def email_send(sender: EmailSender, message: OutgoingMessage) -> None:
    try:
        with _connect(sender) as client:
            _login(client, sender)
            client.send_message(_mime(sender, message), from_addr=sender.from_address, to_addrs=[message.recipient])
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(f"SMTP authentication failed ({exc.smtp_code})") from exc
    except smtplib.SMTPResponseException as exc:
        detail = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        raise DeliveryError(f"SMTP server refused the message ({exc.smtp_code} {detail})"[:500]) from exc
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryError("SMTP server refused the recipient") from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"SMTP server unreachable ({type(exc).__name__}: {exc})"[:500]) from exc


# --- SMS over HTTP ------------------------------------------------------------------


def _fill(template: str, values: dict[str, str], escape: object) -> str:
    return PLACEHOLDER_RE.sub(lambda m: escape(values.get(m.group(1), "")), template)  # type: ignore[operator]


def sms_request_parts(sender: SmsSender, message: OutgoingMessage) -> tuple[str, dict[str, str], bytes]:
    """URL, headers and body of the provider request (values escaped for where they land)."""
    values = {"mobile": message.recipient, "body": message.body_text, "sender": sender.sender}
    url = _fill(sender.url, values, lambda v: quote(v, safe=""))
    headers = {str(k): str(v) for k, v in (sender.headers or {}).items()}
    if sender.content_type == SmsSender.ContentType.JSON:
        body = _fill(sender.body_template, values, lambda v: json.dumps(v)[1:-1])
        json.loads(body)  # a template that does not yield JSON is a configuration error
        headers.setdefault("Content-Type", "application/json")
    else:
        body = _fill(sender.body_template, values, quote_plus)
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    secret = open_secret(sender.secret_sealed, context=f"sms:{sender.id}:secret") if sender.secret_sealed else ""
    if sender.auth_type == SmsSender.AuthType.BEARER:
        headers["Authorization"] = f"Bearer {secret}"
    elif sender.auth_type == SmsSender.AuthType.API_KEY:
        headers[sender.auth_header] = secret
    return url, headers, body.encode("utf-8")


def sms_send(sender: SmsSender, message: OutgoingMessage) -> None:
    try:
        url, headers, body = sms_request_parts(sender, message)
    except ValueError as exc:
        raise DeliveryError(f"The SMS body template does not produce valid JSON: {exc}") from exc
    auth = None
    if sender.auth_type == SmsSender.AuthType.BASIC:
        auth = (sender.auth_username, open_secret(sender.secret_sealed, context=f"sms:{sender.id}:secret"))
    try:
        response = requests.request(
            sender.method,
            url,
            data=None if sender.method == "GET" else body,
            headers=headers,
            auth=auth,
            timeout=settings.IAM_NOTIFICATION_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        raise DeliveryError(f"SMS provider unreachable ({type(exc).__name__})") from exc
    if not 200 <= response.status_code < 300:
        raise DeliveryError(f"SMS provider answered HTTP {response.status_code}: {response.text[:200]}")
