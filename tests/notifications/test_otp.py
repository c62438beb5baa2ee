"""One-time codes: alphabet and length, hashing at rest, expiry, attempt limit, single use,
resend cool-down, and binding to user and purpose."""

from __future__ import annotations

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from apps.core.errors import InvalidInput
from apps.notifications.models import Message, OneTimeCode
from apps.notifications.services import (
    OtpResendTooSoon,
    notification_settings_update,
    otp_issue,
    otp_verify,
)
from tests.notifications.conftest import sealed_text


def _code_in(message: Message) -> str:
    return re.search(r"code is (\S+)\.", sealed_text(message)["text"]).group(1)


def later(seconds: float):
    return mock.patch("django.utils.timezone.now", return_value=timezone.now() + timedelta(seconds=seconds))


@pytest.mark.django_db
def test_email_otp_is_queued_hashed_and_validates_once(alice):
    issued = otp_issue(user=alice, purpose="email_verification", channel="email")
    message = issued.message
    code = _code_in(message)
    assert re.fullmatch(r"[0-9]{6}", code)
    assert message.status == Message.Status.QUEUED
    assert message.recipient == "alice@example.org"
    # Nowhere in clear: not in the code row, not in what the Console shows.
    row = OneTimeCode.objects.get(pk=issued.code_id)
    assert code not in row.code_hash
    assert len(row.code_hash) == 64
    assert code not in message.subject + message.body_redacted
    assert "••••••" in message.body_redacted
    assert code not in message.payload_sealed

    assert otp_verify(user=alice, purpose="email_verification", code=code).ok
    second = otp_verify(user=alice, purpose="email_verification", code=code)
    assert not second
    assert second.reason == "used"


@pytest.mark.django_db
def test_length_and_alphabet_follow_the_settings(alice, admin_user):
    notification_settings_update(
        actor=admin_user, organization=alice.organization, otp_length=9, otp_use_digits=False, otp_use_uppercase=True
    )
    issued = otp_issue(user=alice, purpose="login", channel="email", deliver=False)
    assert re.fullmatch(r"[ABCDEFGHJKLMNPRSTUVWXYZ]{9}", issued.code)
    explicit = otp_issue(user=alice, purpose="other", channel="email", length=4, charset="01", deliver=False)
    assert re.fullmatch(r"[01]{4}", explicit.code)
    with pytest.raises(InvalidInput):
        notification_settings_update(actor=admin_user, organization=alice.organization, otp_length=3)


@pytest.mark.django_db
def test_five_wrong_codes_lock_the_code_even_the_right_one_then_fails(alice):
    issued = otp_issue(user=alice, purpose="password_reset", channel="email", deliver=False)
    wrong = "000000" if issued.code != "000000" else "111111"
    results = [otp_verify(user=alice, purpose="password_reset", code=wrong) for _ in range(5)]
    assert [r.reason for r in results] == ["invalid"] * 4 + ["locked"]
    assert [r.attempts_remaining for r in results] == [4, 3, 2, 1, 0]
    final = otp_verify(user=alice, purpose="password_reset", code=issued.code)
    assert not final
    assert final.reason == "locked"


@pytest.mark.django_db
def test_expired_code_is_rejected(alice):
    issued = otp_issue(user=alice, purpose="login", channel="sms", ttl=60, deliver=False)
    with later(61):
        result = otp_verify(user=alice, purpose="login", code=issued.code)
    assert result.reason == "expired"


@pytest.mark.django_db
def test_resend_cool_down_and_resend_invalidates_the_old_code(alice):
    first = otp_issue(user=alice, purpose="login", channel="email", deliver=False)
    with pytest.raises(OtpResendTooSoon) as excinfo:
        otp_issue(user=alice, purpose="login", channel="email", deliver=False)
    assert excinfo.value.status == 429
    assert 0 < excinfo.value.retry_after <= 30
    with later(31):
        second = otp_issue(user=alice, purpose="login", channel="email", deliver=False)
        assert otp_verify(user=alice, purpose="login", code=first.code).ok is (first.code == second.code)
        assert otp_verify(user=alice, purpose="login", code=second.code).ok


@pytest.mark.django_db
def test_code_is_bound_to_user_and_purpose(alice, root_org, make_user):
    bob = make_user(root_org, "bob", email="bob@example.org")
    issued = otp_issue(user=alice, purpose="login", channel="email", deliver=False)
    assert otp_verify(user=alice, purpose="password_reset", code=issued.code).reason == "no_code"
    assert otp_verify(user=bob, purpose="login", code=issued.code).reason == "no_code"
    assert otp_verify(user=alice, purpose="login", code=issued.code).ok


@pytest.mark.django_db
def test_sms_otp_needs_a_mobile_and_uses_the_sms_template(alice, root_org, make_user):
    issued = otp_issue(user=alice, purpose="login", channel="sms")
    text = sealed_text(issued.message)["text"]
    assert issued.message.channel == "sms"
    assert issued.message.recipient == "+15550001111"
    assert re.search(r"^\d{6} is your Root code", text)
    nomobile = make_user(root_org, "carol", email="carol@example.org")
    with pytest.raises(InvalidInput) as excinfo:
        otp_issue(user=nomobile, purpose="login", channel="sms")
    assert excinfo.value.code == "NTF-60057"
