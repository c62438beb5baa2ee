"""Notification API: WSO2's sender shapes, write-only secrets, validation in the documented error
shape, scopes, the message log, templates, settings, and isolation between tenants."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.notifications.models import EmailSender, SmsSender
from apps.notifications.services import notification_send
from tests.api_helpers import assert_error

EMAIL = "/api/server/v1/notification-senders/email"
SMS = "/api/server/v1/notification-senders/sms"
MESSAGES = "/api/server/v1/notification-messages"
TEMPLATES = "/api/server/v1/notification-templates"
SETTINGS = "/api/server/v1/notification-settings"

pytestmark = pytest.mark.django_db


def oauth_body(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "EmailPublisher",
        "smtpServerHost": "smtp.office365.com",
        "smtpPort": 587,
        "fromAddress": "no-reply@example.com",
        "authType": "CLIENT_CREDENTIAL",
        "properties": [
            {"key": "clientId", "value": "app-1"},
            {"key": "clientSecret", "value": "very-secret-value"},
            {"key": "tokenEndpoint", "value": "https://login.microsoftonline.com/t/oauth2/v2.0/token"},
            {"key": "scopes", "value": "https://outlook.office365.com/.default"},
        ],
        **overrides,
    }


def props(body: dict[str, Any]) -> dict[str, str]:
    return {p["key"]: p["value"] for p in body["properties"]}


def test_create_oauth2_email_sender_hides_the_secret_and_seals_it(admin_api):
    response = admin_api.post(EMAIL, oauth_body(), format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["authType"] == "CLIENT_CREDENTIAL"
    assert created["provider"] == "SMTP"
    assert props(created)["clientId"] == "app-1"
    assert props(created)["mail.smtp.starttls.enable"] == "true"
    assert "clientSecret" not in props(created)
    for body in (admin_api.get(EMAIL).content, admin_api.get(f"{EMAIL}/EmailPublisher").content):
        assert b"very-secret-value" not in body
    stored = EmailSender.objects.get()
    assert stored.client_secret_sealed
    assert "very-secret-value" not in stored.client_secret_sealed

    # PUT without the secret keeps it; the mode switches to implicit TLS.
    update = oauth_body(smtpPort=465)
    update["properties"] = [p for p in update["properties"] if p["key"] != "clientSecret"]
    update["properties"].append({"key": "mail.smtp.ssl.enable", "value": "true"})
    updated = admin_api.put(f"{EMAIL}/EmailPublisher", update, format="json")
    assert updated.status_code == 200, updated.content
    assert props(updated.json())["mail.smtp.ssl.enable"] == "true"
    stored.refresh_from_db()
    assert stored.security == "tls"
    assert stored.client_secret_sealed

    assert_error(admin_api.post(EMAIL, oauth_body(), format="json"), 409, "NTF-60009")
    assert admin_api.delete(f"{EMAIL}/EmailPublisher").status_code == 204
    assert admin_api.get(EMAIL).json() == []
    assert_error(admin_api.get(f"{EMAIL}/EmailPublisher"), 404, "NTF-60020")


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"provider": "HTTP"}, "NTF-60001"),
        ({"authType": "KERBEROS"}, "NTF-60008"),
        ({"fromAddress": "not-an-email"}, "NTF-60007"),
        ({"smtpPort": 70000}, "NTF-60001"),
        ({"smtpPort": "587"}, None),  # DRF's IntegerField accepts a numeric string
        ({"properties": [{"key": "clientId", "value": "x"}]}, "NTF-60002"),  # no secret, no endpoint
        ({"properties": [{"key": "bogus", "value": "x"}]}, "NTF-60001"),
        ({"unknown": 1}, "NTF-60001"),
    ],
)
def test_invalid_email_sender_is_rejected_in_the_error_shape(admin_api, change, code):
    response = admin_api.post(EMAIL, oauth_body(**change), format="json")
    if code is None:
        assert response.status_code == 201
    else:
        assert_error(response, 400, code)


def test_plain_http_token_endpoint_is_refused_in_production_mode(admin_api, settings):
    settings.IAM_NOTIFICATION_REQUIRE_HTTPS = True
    body = oauth_body()
    body["properties"][2]["value"] = "http://login.example.com/token"
    assert_error(admin_api.post(EMAIL, body, format="json"), 400, "NTF-60004")


def test_basic_email_sender_needs_username_and_password(admin_api):
    body = {
        "smtpServerHost": "smtp.example.com",
        "smtpPort": 587,
        "fromAddress": "a@example.com",
        "authType": "BASIC",
        "properties": [{"key": "userName", "value": "a"}],
    }
    assert_error(admin_api.post(EMAIL, body, format="json"), 400, "NTF-60002")
    body["properties"].append({"key": "password", "value": "pw-123"})
    created = admin_api.post(EMAIL, body, format="json").json()
    assert props(created) == {
        "userName": "a",
        "mail.smtp.starttls.enable": "true",
        "mail.smtp.ssl.enable": "false",
    }


def test_send_test_email_queues_a_message_visible_in_the_log(admin_api):
    admin_api.post(EMAIL, oauth_body(), format="json")
    response = admin_api.post(f"{EMAIL}/EmailPublisher/test", {"to": "ops@example.com"}, format="json")
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "queued"
    assert response.json()["templateType"] == "test"
    log = admin_api.get(MESSAGES, {"status": "queued"}).json()
    assert log["totalResults"] == 1
    assert log["messages"][0]["recipient"] == "ops@example.com"
    assert admin_api.get(MESSAGES, {"status": "failed"}).json()["totalResults"] == 0
    assert_error(admin_api.get(MESSAGES, {"status": "bogus"}), 400, "NTF-60001")
    assert_error(admin_api.post(f"{EMAIL}/EmailPublisher/test", {"to": "nope"}, format="json"), 400, "NTF-60050")


def test_message_log_masks_codes_and_retry_needs_a_failed_message(admin_api, root_org):
    message = notification_send(
        organization=root_org,
        channel="email",
        template_type="email_otp",
        recipient="a@example.org",
        context={"otp": "424242"},
    )
    detail = admin_api.get(f"{MESSAGES}/{message.pk}")
    assert detail.status_code == 200
    assert "424242" not in detail.content.decode()
    assert "••••••" in detail.json()["body"]
    assert_error(admin_api.post(f"{MESSAGES}/{message.pk}/retry"), 400, "NTF-60053")
    message.status = "dead"
    message.attempts = 8
    message.save()
    retried = admin_api.post(f"{MESSAGES}/{message.pk}/retry")
    assert retried.status_code == 200
    assert retried.json()["status"] == "queued"
    assert_error(admin_api.get(f"{MESSAGES}/not-a-uuid"), 404, "NTF-60022")


def test_sms_sender_crud_with_preset_and_write_only_secret(admin_api):
    body = {
        "provider": "twilio",
        "providerURL": "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json",
        "sender": "+15550009999",
        "authentication": {"type": "BASIC", "properties": {"username": "AC1", "password": "tw-secret"}},
    }
    response = admin_api.post(SMS, body, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["contentType"] == "FORM"
    assert "{{body}}" in created["body"]
    assert created["authentication"] == {"type": "BASIC", "properties": {"username": "AC1"}}
    assert b"tw-secret" not in admin_api.get(f"{SMS}/SMSPublisher").content
    assert "tw-secret" not in SmsSender.objects.get().secret_sealed

    bad = {**body, "body": '{"to": "{{phone}}", "text": "{{body}}"}', "contentType": "JSON"}
    error = assert_error(admin_api.put(f"{SMS}/SMSPublisher", bad, format="json"), 400, "NTF-60014")
    assert "phone" in error["message"]
    assert_error(admin_api.put(f"{SMS}/SMSPublisher", {**body, "provider": "nope"}, format="json"), 400, "NTF-60010")
    no_secret = {**body, "authentication": {"type": "BEARER", "properties": {}}}
    assert_error(admin_api.put(f"{SMS}/SMSPublisher", no_secret, format="json"), 400, "NTF-60002")
    assert admin_api.delete(f"{SMS}/SMSPublisher").status_code == 204


def test_templates_api_lists_reads_with_fallback_saves_and_rejects_bad_placeholders(admin_api):
    types = {row["type"]: row for row in admin_api.get(TEMPLATES).json()}
    assert types["sms_otp"]["channel"] == "sms"
    assert "otp" in types["sms_otp"]["placeholders"]
    fallback = admin_api.get(f"{TEMPLATES}/email_otp/de-DE").json()
    assert fallback["locale"] == "en"
    assert fallback["custom"] is False

    saved = admin_api.put(f"{TEMPLATES}/email_otp/de", {"subject": "Code", "body": "Ihr Code {{ otp }}"}, format="json")
    assert saved.status_code == 200, saved.content
    assert saved.json()["custom"] is True
    assert saved.json()["locale"] == "de"
    assert admin_api.get(TEMPLATES).json()[0]["customLocales"] == ["de"]

    error = assert_error(
        admin_api.put(f"{TEMPLATES}/email_otp/de", {"subject": "x", "body": "{{ password }}"}, format="json"),
        400,
        "NTF-60034",
    )
    assert "password" in error["message"]
    assert admin_api.delete(f"{TEMPLATES}/email_otp/de").status_code == 204
    assert_error(admin_api.get(f"{TEMPLATES}/nope/en"), 404)


def test_settings_api(admin_api):
    assert admin_api.get(SETTINGS).json()["otpLength"] == 6
    patched = admin_api.patch(SETTINGS, {"otpLength": 8, "otpUseUppercase": True}, format="json")
    assert patched.status_code == 200
    assert patched.json()["otpLength"] == 8
    assert_error(admin_api.patch(SETTINGS, {"otpLength": 2}, format="json"), 400, "NTF-60041")


def test_scopes_are_required_per_method(root_org, make_user, mint_token):
    viewer = make_user(root_org, "viewer", scopes=["internal_notification_sender_mgt_view"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {mint_token(viewer, ['internal_notification_sender_mgt_view'])}")
    assert client.get(EMAIL).status_code == 200
    assert client.get(MESSAGES).status_code == 200
    assert_error(client.post(EMAIL, oauth_body(), format="json"), 403)
    assert_error(client.get(TEMPLATES), 403)
    assert_error(APIClient().get(EMAIL), 401)


def test_tenants_never_see_each_others_providers_or_messages(admin_api, other_admin, mint_token, root_org):
    admin_api.post(EMAIL, oauth_body(), format="json")
    notification_send(
        organization=root_org, channel="email", template_type="test", recipient="a@example.org", context={}
    )
    acme = APIClient()
    acme.credentials(HTTP_AUTHORIZATION=f"Bearer {mint_token(other_admin)}")
    assert acme.get(f"/t/acme{EMAIL}").json() == []
    assert_error(acme.get(f"/t/acme{EMAIL}/EmailPublisher"), 404)
    assert acme.get(f"/t/acme{MESSAGES}").json()["totalResults"] == 0
    assert admin_api.get(MESSAGES).json()["totalResults"] == 1
    # acme's admin token does not work on root's URLs either.
    assert acme.get(EMAIL).status_code in {401, 403}
