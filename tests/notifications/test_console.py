"""Console pages: providers (OAuth2 fields, write-only secrets, test email), templates with
placeholder errors inline, the message log with status and reason, OTP settings, permissions."""

from __future__ import annotations

import pytest

from apps.notifications.models import EmailSender, Message, SmsSender
from apps.notifications.services import notification_send

pytestmark = pytest.mark.django_db


def test_email_provider_page_saves_oauth2_and_never_shows_the_secret(signed_in, admin_user):
    client = signed_in(admin_user)
    page = client.get("/console/notifications/email/")
    assert page.status_code == 200
    assert b"Token endpoint" in page.content
    response = client.post(
        "/console/notifications/email/",
        {
            "host": "smtp.office365.com",
            "port": "587",
            "security": "starttls",
            "from_address": "no-reply@example.com",
            "auth_type": "CLIENT_CREDENTIAL",
            "token_endpoint": "https://login.microsoftonline.com/t/oauth2/v2.0/token",
            "client_id": "app-1",
            "client_secret": "console-secret-1",
            "scopes": "https://outlook.office365.com/.default",
        },
    )
    assert response.status_code == 302
    sender = EmailSender.objects.get()
    assert sender.auth_type == "CLIENT_CREDENTIAL"
    page = client.get("/console/notifications/email/")
    assert b"console-secret-1" not in page.content
    assert b"Send test email" in page.content

    queued = client.post("/console/notifications/email/test/", {"to": "ops@example.com"})
    assert queued.status_code == 302
    assert Message.objects.get().template_type == "test"


def test_email_provider_errors_are_inline(signed_in, admin_user):
    client = signed_in(admin_user)
    response = client.post(
        "/console/notifications/email/",
        {"host": "smtp.example.com", "port": "587", "security": "starttls", "from_address": "x", "auth_type": "BASIC"},
    )
    assert response.status_code == 200
    assert b"Invalid from address." in response.content
    assert not EmailSender.objects.exists()


def test_sms_provider_page_uses_a_preset(signed_in, admin_user):
    client = signed_in(admin_user)
    response = client.post(
        "/console/notifications/sms/",
        {"provider": "vonage", "url": "https://rest.nexmo.com/sms/json", "auth_type": "NONE", "sender": "ACME"},
    )
    assert response.status_code == 302, response.content
    assert '"text": "{{body}}"' in SmsSender.objects.get().body_template


def test_template_edit_shows_the_offending_placeholder_then_saves(signed_in, admin_user):
    client = signed_in(admin_user)
    listing = client.get("/console/notifications/templates/")
    assert b"email_otp" in listing.content
    url = "/console/notifications/templates/email_otp/fr/"
    assert "Votre code" in client.get(url).content.decode()
    bad = client.post(url, {"subject": "Code", "body_text": "Code: {{ secret_sauce }}", "body_html": ""})
    assert bad.status_code == 200
    assert b"Unknown placeholder secret_sauce." in bad.content
    good = client.post(url, {"subject": "Code", "body_text": "Code: {{ otp }}", "body_html": ""})
    assert good.status_code == 302
    assert b"Customised for this locale." in client.get(url).content


def test_message_log_shows_status_attempts_and_reason(signed_in, admin_user, root_org):
    message = notification_send(
        organization=root_org, channel="email", template_type="test", recipient="x@example.org", context={}
    )
    Message.objects.filter(pk=message.pk).update(status="failed", attempts=2, last_error="SMTP server unreachable")
    client = signed_in(admin_user)
    page = client.get("/console/notifications/messages/?status=failed")
    assert page.status_code == 200
    assert b"SMTP server unreachable" in page.content
    assert b"Retry now" in page.content
    fragment = client.get("/console/notifications/messages/?status=sent", HTTP_HX_REQUEST="true")
    assert b"No messages." in fragment.content
    assert b"<html" not in fragment.content
    assert client.post(f"/console/notifications/messages/{message.pk}/retry/").status_code == 302
    assert Message.objects.get(pk=message.pk).status == "queued"


def test_settings_page_validates(signed_in, admin_user):
    client = signed_in(admin_user)
    data = {
        "otp_length": "3",
        "otp_use_digits": "on",
        "otp_ttl_seconds": "600",
        "otp_max_attempts": "5",
        "otp_resend_cooldown_seconds": "30",
        "link_ttl_seconds": "86400",
        "default_locale": "en",
    }
    bad = client.post("/console/notifications/settings/", data)
    assert b"OTP length must be between 4 and 10." in bad.content
    assert client.post("/console/notifications/settings/", {**data, "otp_length": "8"}).status_code == 302


def test_pages_need_the_scopes(signed_in, root_org, make_user):
    viewer = make_user(root_org, "viewer", scopes=["internal_notification_sender_mgt_view"])
    client = signed_in(viewer)
    assert client.get("/console/notifications/email/").status_code == 200
    assert b"Notifications" in client.get("/console/notifications/messages/").content
    refused = client.post(
        "/console/notifications/email/",
        {"host": "h", "port": "25", "security": "none", "from_address": "a@b.c", "auth_type": "NONE"},
    )
    assert refused.status_code == 403
    assert client.get("/console/notifications/templates/").status_code == 403
    nobody = make_user(root_org, "nobody", scopes=["internal_user_mgt_list"])
    assert signed_in(nobody).get("/console/notifications/email/").status_code == 403
