"""Signature headers of a delivery.

* ``x-wso2-event-signature: sha256=<hex HMAC-SHA256(secret, raw body)>`` (WSO2's header);
* ``x-iam-event-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>``, with the
  same ``t`` in ``x-iam-event-timestamp``: a receiver that rejects old timestamps (and dedupes on
  ``jti``) cannot be fed a captured request again later.

Each attempt signs with the webhook's secret at that moment: after a rotation,
retries of older events carry signatures made with the new secret."""

from __future__ import annotations

import hashlib
import hmac

WSO2_SIGNATURE_HEADER = "x-wso2-event-signature"
SIGNATURE_HEADER = "x-iam-event-signature"
TIMESTAMP_HEADER = "x-iam-event-timestamp"
EVENT_ID_HEADER = "x-iam-event-id"


def body_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def timestamped_signature(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def signature_headers(*, secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    if not secret:
        return {TIMESTAMP_HEADER: str(timestamp)}
    return {
        WSO2_SIGNATURE_HEADER: body_signature(secret, body),
        SIGNATURE_HEADER: timestamped_signature(secret, body, timestamp),
        TIMESTAMP_HEADER: str(timestamp),
    }


def timestamped_signature_valid(
    secret: str, body: bytes, header: str, *, now: int, tolerance_seconds: int = 300
) -> bool:
    """The receiver's check (used by our tests and shown in the docs)."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance_seconds:
        return False
    expected = timestamped_signature(secret, body, timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))
