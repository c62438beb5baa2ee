"""SMS vendor presets, as data: each pre-fills the generic HTTP provider's fields.

Body and URL placeholders: ``{{mobile}}`` (E.164 number), ``{{body}}`` (the rendered SMS text)
and ``{{sender}}`` (the configured sender id / from number). Values are JSON-escaped in JSON
bodies and percent-encoded in form bodies and URLs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SMS_BODY_PLACEHOLDERS = frozenset({"mobile", "body", "sender"})
PLACEHOLDER_RE = re.compile(r"\{\{\s*([^{}\s]*)\s*\}\}")


@dataclass(frozen=True)
class SmsPreset:
    key: str
    label: str
    method: str
    content_type: str
    body: str
    headers: dict[str, str] = field(default_factory=dict)
    url_hint: str = ""
    auth_hint: str = "NONE"


SMS_PRESETS: dict[str, SmsPreset] = {
    p.key: p
    for p in (
        SmsPreset(
            "custom",
            "Custom HTTP provider",
            "POST",
            "JSON",
            '{"to": "{{mobile}}", "from": "{{sender}}", "message": "{{body}}"}',
        ),
        SmsPreset(
            "twilio",
            "Twilio",
            "POST",
            "FORM",
            "To={{mobile}}&From={{sender}}&Body={{body}}",
            url_hint="https://api.twilio.com/2010-04-01/Accounts/<account-sid>/Messages.json",
            auth_hint="BASIC",
        ),
        SmsPreset(
            "vonage",
            "Vonage (Nexmo)",
            "POST",
            "JSON",
            '{"from": "{{sender}}", "to": "{{mobile}}", "text": "{{body}}"}',
            url_hint="https://rest.nexmo.com/sms/json",
            auth_hint="BASIC",
        ),
        SmsPreset(
            "plivo",
            "Plivo",
            "POST",
            "JSON",
            '{"src": "{{sender}}", "dst": "{{mobile}}", "text": "{{body}}"}',
            url_hint="https://api.plivo.com/v1/Account/<auth-id>/Message/",
            auth_hint="BASIC",
        ),
        SmsPreset(
            "messagebird",
            "MessageBird",
            "POST",
            "JSON",
            '{"originator": "{{sender}}", "recipients": ["{{mobile}}"], "body": "{{body}}"}',
            url_hint="https://rest.messagebird.com/messages",
            auth_hint="API_KEY",
        ),
    )
}


def sms_body_placeholders(text: str) -> set[str]:
    return {match.group(1) for match in PLACEHOLDER_RE.finditer(text or "")}
