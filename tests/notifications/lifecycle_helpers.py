"""Helpers for the account-lifecycle tests: real loopback providers (SMTP with AUTH XOAUTH2 and a
client-credentials token endpoint, an HTTP SMS endpoint), the login portal driven over HTTP, and
reading codes and links out of what the servers received."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

from django.test import Client

from apps.notifications.services import email_sender_save, sms_sender_save
from tests.notifications.servers import SmsEndpoint, SmtpServer, TokenEndpoint, text_of

LOGIN = "/authenticationendpoint/login"


def providers_configure(organization: Any, admin: Any, *, smtp: SmtpServer, tokens: TokenEndpoint, sms: SmsEndpoint):
    email_sender_save(
        actor=admin,
        organization=organization,
        host="127.0.0.1",
        port=smtp.port,
        security="none",
        from_address="no-reply@root.example",
        auth_type="CLIENT_CREDENTIAL",
        token_endpoint=tokens.url,
        client_id=tokens.client_id,
        client_secret=tokens.client_secret,
        scopes="smtp",
    )
    sms_sender_save(actor=admin, organization=organization, url=sms.url, sender_id="ROOT")


def last_email_text(smtp: SmtpServer, to: str) -> str:
    for (_sender, recipients), message in zip(
        reversed(smtp.handler.envelopes), reversed(smtp.handler.messages), strict=True
    ):
        if to in recipients:
            return text_of(message)
    raise AssertionError(f"no email to {to}; received {[r for _s, r in smtp.handler.envelopes]}")


def code_in(text: str) -> str:
    return re.search(r"\b([0-9]{6})\b", text).group(1)


def link_in(text: str) -> str:
    """The path and query of the first http link in ``text`` (the test client needs no host)."""
    url = re.search(r"(https?://\S+)", text).group(1)
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def last_sms(sms: SmsEndpoint) -> dict[str, Any]:
    return json.loads(sms.received[-1]["body"])


def flow_id(page: Any) -> str:
    return re.search(r'name="flow" value="([^"]+)"', page.content.decode()).group(1)


def portal_sign_in(browser: Client, username: str, password: str, next_url: str = "/myaccount/") -> Any:
    """Open the login portal and submit username and password; the POST's response."""
    page = browser.get(LOGIN, {"next": next_url, "fresh": "1"})
    assert page.status_code == 200, page.status_code
    return browser.post(LOGIN, {"flow": flow_id(page), "username": username, "password": password})


def signed_in_to(browser: Client, path: str = "/myaccount/") -> bool:
    response = browser.get(path)
    return response.status_code == 200 and b"Sign out" in response.content
