"""Flow executor primitives: password recovery by email link, email OTP and SMS OTP, with the
results a flow page needs (masked recipient, retry-after, attempts remaining)."""

from __future__ import annotations

import re

import pytest

from apps.notifications import executors
from apps.notifications.models import Message
from tests.notifications.conftest import sealed_text

pytestmark = pytest.mark.django_db


def test_password_recovery_by_email_link(alice):
    sent = executors.send_link(user=alice, purpose="password_recovery", url="https://id.example/t/root/recover")
    assert sent.ok
    assert sent.data["maskedRecipient"] == "a****@example.org"
    message = Message.objects.get()
    assert message.template_type == "password_reset_link"
    link = re.search(r"(https://id\.example/t/root/recover\?token=\S+)", sealed_text(message)["text"]).group(1)
    assert "token=" not in message.body_redacted
    token = link.split("token=", 1)[1]
    accepted = executors.validate_link(token=token, purpose="password_recovery")
    assert accepted.ok
    assert accepted.data["userId"] == str(alice.pk)
    replayed = executors.validate_link(token=token, purpose="password_recovery")
    assert (replayed.ok, replayed.data["reason"]) == (False, "used")


def test_password_recovery_by_email_otp_counts_attempts(alice):
    sent = executors.send_email_otp(user=alice, purpose="password_recovery")
    assert sent.ok
    assert sent.status == "sent"
    assert sent.data["expiresAt"]
    message = Message.objects.get()
    code = re.search(r"Use the code (\w+) ", sealed_text(message)["text"]).group(1)
    wrong = executors.validate_code(user=alice, purpose="password_recovery", code="nope")
    assert (wrong.status, wrong.data["attemptsRemaining"], wrong.data["reason"]) == ("invalid", 4, "invalid")
    assert executors.validate_code(user=alice, purpose="password_recovery", code=code).status == "verified"
    again = executors.send_email_otp(user=alice, purpose="password_recovery")
    assert again.status == "retry_later"
    assert again.data["retryAfter"] > 0


def test_password_recovery_by_sms_otp(alice, root_org, make_user):
    sent = executors.send_sms_otp(user=alice, purpose="password_recovery")
    assert sent.ok
    assert sent.data == {
        "channel": "sms",
        "maskedRecipient": "+155******11",
        "expiresAt": sent.data["expiresAt"],
    }
    code = re.match(r"(\w+) is your", sealed_text(Message.objects.get())["text"]).group(1)
    assert executors.validate_code(user=alice, purpose="password_recovery", code=code).ok
    nobody = make_user(root_org, "nomobile")
    failed = executors.send_sms_otp(user=nobody, purpose="password_recovery")
    assert (failed.ok, failed.status, failed.error_code) == (False, "error", "NTF-60057")
