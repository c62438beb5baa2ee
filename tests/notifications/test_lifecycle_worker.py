"""The first lifecycle acceptance path through a real Celery worker subprocess (the CI pattern of
``test_worker_integration``): SCIM create with ``verifyEmail=true`` -> outbox -> worker -> an
aiosmtpd server that only accepts AUTH XOAUTH2 -> the emailed OTP, submitted to
``validate-code``, verifies the user; a second user's code dies after five wrong attempts."""

from __future__ import annotations

import pytest
from django.test import Client

from apps.notifications.models import NotificationSettings
from apps.users.models import User
from tests.notifications.lifecycle_helpers import code_in, last_email_text
from tests.notifications.servers import SmtpServer
from tests.notifications.test_worker_integration import _oauth_sender, tokens, wait_for, worker  # noqa: F401
from tests.scim.conftest import USER_SCHEMA, WSO2, ScimClient

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def _validate(username: str, code: str):
    return Client().post(
        "/api/identity/user/v1.0/validate-code",
        {"code": code, "user": {"username": username}},
        content_type="application/json",
    )


def test_scim_verify_email_otp_through_the_worker_and_xoauth2(worker, tokens, root_org, admin_user, mint_token):  # noqa: F811
    NotificationSettings.objects.create(
        organization=root_org, email_verification_method="otp", otp_resend_cooldown_seconds=0
    )
    smtp = SmtpServer(tokens).start()
    try:
        _oauth_sender(root_org, admin_user, port=smtp.port, tokens=tokens)
        scim = ScimClient("root", f"Bearer {mint_token(admin_user)}")
        for name in ("vic", "zoe"):
            created = scim.post(
                "/Users",
                {
                    "schemas": [USER_SCHEMA],
                    "userName": name,
                    "emails": [{"value": f"{name}@example.org", "primary": True}],
                    WSO2: {"verifyEmail": "true"},
                },
            )
            assert created.status_code == 201, created.content
            assert created.json()[WSO2]["accountState"] == "PENDING_EV"
        wait_for(lambda: len(smtp.handler.messages) == 2, worker)
    finally:
        smtp.stop()
    assert smtp.handler.logins == ["no-reply@root.example"] * 2

    assert _validate("vic", code_in(last_email_text(smtp, "vic@example.org"))).status_code == 202
    vic = User.objects.get(organization=root_org, username="vic")
    assert vic.state == User.State.ACTIVE
    assert vic.attributes["emailVerified"] is True

    code = code_in(last_email_text(smtp, "zoe@example.org"))
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert _validate("zoe", wrong).status_code == 400
    assert _validate("zoe", code).status_code == 400
    assert User.objects.get(organization=root_org, username="zoe").state == User.State.PENDING_EMAIL_VERIFICATION
