"""Delivery against real loopback servers, one send attempt at a time (``message_deliver`` is
what the worker task runs): SMTP with AUTH XOAUTH2 and a client-credentials token, failures
kept with their reason and retried, and HTTP SMS with escaped bodies and provider auth."""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from unittest import mock
from urllib.parse import parse_qs

import pytest
from django.utils import timezone

from apps.notifications import transports
from apps.notifications.delivery import message_deliver, messages_due
from apps.notifications.models import EmailSender, Message
from apps.notifications.services import (
    email_sender_save,
    notification_send,
    otp_issue,
    otp_verify,
    sms_sender_save,
)
from apps.notifications.tasks import notification_deliver, notification_sweep
from tests.notifications.servers import (
    SmsEndpoint,
    SmtpServer,
    TokenEndpoint,
    free_port,
    self_signed_certificate,
    server_tls_context,
    text_of,
)

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@pytest.fixture(autouse=True)
def _fresh_token_cache() -> Iterator[None]:
    transports._tokens.clear()
    # Attempts are driven by hand here; the retry task a failure schedules is not sent to a broker.
    with mock.patch.object(notification_deliver, "apply_async"):
        yield
    transports._tokens.clear()


@pytest.fixture
def tokens() -> Iterator[TokenEndpoint]:
    endpoint = TokenEndpoint().start()
    yield endpoint
    endpoint.stop()


@pytest.fixture
def smtp(tokens: TokenEndpoint) -> Iterator[SmtpServer]:
    server = SmtpServer(tokens).start()
    yield server
    server.stop()


@pytest.fixture
def sms_endpoint() -> Iterator[SmsEndpoint]:
    endpoint = SmsEndpoint().start()
    yield endpoint
    endpoint.stop()


def oauth_sender(org, admin, *, port: int, tokens: TokenEndpoint, secret: str | None = None):
    return email_sender_save(
        actor=admin,
        organization=org,
        host="127.0.0.1",
        port=port,
        security="none",
        from_address="no-reply@root.example",
        from_name="Root IAM",
        auth_type="CLIENT_CREDENTIAL",
        token_endpoint=tokens.url,
        client_id=tokens.client_id,
        client_secret=secret or tokens.client_secret,
        scopes="https://outlook.office365.com/.default",
    )


def make_due(message: Message) -> None:
    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


@pytest.mark.django_db
def test_email_otp_through_xoauth2_is_received_and_validates_once(alice, admin_user, smtp, tokens):
    oauth_sender(alice.organization, admin_user, port=smtp.port, tokens=tokens)
    issued = otp_issue(user=alice, purpose="email_verification", channel="email")
    assert message_deliver(str(issued.message.pk)) == Message.Status.SENT

    assert smtp.handler.logins == ["no-reply@root.example"]
    assert len(tokens.requests) == 1
    assert tokens.requests[0]["scope"] == ["https://outlook.office365.com/.default"]
    mime = smtp.handler.messages[0]
    assert mime["To"] == "alice@example.org"
    assert "Root IAM" in mime["From"]
    code = re.search(r"code is (\w+)\.", text_of(mime)).group(1)

    message = Message.objects.get(pk=issued.message.pk)
    assert message.status == Message.Status.SENT
    assert message.attempts == 1
    assert message.sent_at
    assert message.payload_sealed == ""  # the real body is gone once sent
    assert otp_verify(user=alice, purpose="email_verification", code=code).ok
    assert otp_verify(user=alice, purpose="email_verification", code=code).reason == "used"

    # The token is cached: a second email makes no second token request.
    second = notification_send(
        organization=alice.organization, channel="email", template_type="test", recipient="b@example.org", context={}
    )
    assert message_deliver(str(second.pk)) == Message.Status.SENT
    assert len(tokens.requests) == 1
    assert len(smtp.handler.messages) == 2


@pytest.mark.django_db
def test_rejected_client_credentials_fail_with_reason_then_succeed_after_fix(alice, admin_user, smtp, tokens):
    sender = oauth_sender(alice.organization, admin_user, port=smtp.port, tokens=tokens, secret="wrong")
    issued = otp_issue(user=alice, purpose="login", channel="email")
    assert message_deliver(str(issued.message.pk)) == Message.Status.FAILED
    message = Message.objects.get(pk=issued.message.pk)
    assert "Token endpoint refused the client credentials (HTTP 401 invalid_client)" in message.last_error
    assert message.next_attempt_at > timezone.now()
    assert message_deliver(str(message.pk)) == ""  # not due yet: nothing is sent twice
    assert message.pk in [m.pk for m in Message.objects.filter(status="failed")]

    email_sender_save(
        actor=admin_user,
        organization=alice.organization,
        sender=sender,
        host=sender.host,
        port=sender.port,
        security="none",
        from_address=sender.from_address,
        auth_type="CLIENT_CREDENTIAL",
        token_endpoint=tokens.url,
        client_id=tokens.client_id,
        client_secret=tokens.client_secret,
    )
    make_due(message)
    assert str(message.pk) in messages_due()
    assert message_deliver(str(message.pk)) == Message.Status.SENT
    assert len(smtp.handler.messages) == 1


@pytest.mark.django_db
def test_smtp_rejecting_the_token_refreshes_once_then_reports_535(alice, admin_user, tokens):
    strict = SmtpServer(TokenEndpoint()).start()  # accepts only tokens of another endpoint
    try:
        oauth_sender(alice.organization, admin_user, port=strict.port, tokens=tokens)
        message = notification_send(
            organization=alice.organization,
            channel="email",
            template_type="test",
            recipient="x@example.org",
            context={},
        )
        assert message_deliver(str(message.pk)) == Message.Status.FAILED
    finally:
        strict.stop()
    assert len(tokens.requests) == 2  # fetched, rejected, fetched again once
    assert len(strict.handler.rejected) == 2
    # The decoded XOAUTH2 payload carried the from address and the bearer token.
    assert strict.handler.rejected == tokens.issued
    assert "SMTP authentication failed (535)" in Message.objects.get(pk=message.pk).last_error


@pytest.mark.django_db
def test_smtp_down_keeps_the_message_until_it_is_back_and_gives_up_after_max_attempts(
    alice, admin_user, tokens, settings
):
    port = free_port()
    oauth_sender(alice.organization, admin_user, port=port, tokens=tokens)
    message = notification_send(
        organization=alice.organization, channel="email", template_type="test", recipient="x@example.org", context={}
    )
    assert message_deliver(str(message.pk)) == Message.Status.FAILED
    assert "SMTP server unreachable" in Message.objects.get(pk=message.pk).last_error

    server = SmtpServer(tokens, port=port).start()
    try:
        make_due(message)
        assert message_deliver(str(message.pk)) == Message.Status.SENT
    finally:
        server.stop()
    assert len(server.handler.messages) == 1
    row = Message.objects.get(pk=message.pk)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, "")

    # With the server gone for good the message ends "dead" after max_attempts, keeping the reason.
    settings.IAM_NOTIFICATION_MAX_ATTEMPTS = 2
    doomed = notification_send(
        organization=alice.organization, channel="email", template_type="test", recipient="y@example.org", context={}
    )
    statuses = []
    for _attempt in range(2):
        make_due(doomed)
        statuses.append(message_deliver(str(doomed.pk)))
    assert statuses == ["failed", "dead"]
    make_due(doomed)
    assert message_deliver(str(doomed.pk)) == ""


@pytest.mark.django_db
def test_no_provider_configured_is_a_visible_failure(alice):
    issued = otp_issue(user=alice, purpose="login", channel="sms")
    assert message_deliver(str(issued.message.pk)) == Message.Status.FAILED
    assert "No SMS provider is configured" in Message.objects.get(pk=issued.message.pk).last_error


@pytest.mark.django_db
def test_sms_otp_reaches_the_http_endpoint_with_json_escaping_and_api_key(alice, admin_user, sms_endpoint):
    sms_sender_save(
        actor=admin_user,
        organization=alice.organization,
        url=sms_endpoint.url,
        sender_id='Ro"ot',
        auth_type="API_KEY",
        auth_header="X-Api-Key",
        secret="k-123",
    )
    issued = otp_issue(user=alice, purpose="login", channel="sms")
    assert message_deliver(str(issued.message.pk)) == Message.Status.SENT
    request = sms_endpoint.received[0]
    assert request["method"] == "POST"
    assert request["headers"]["X-Api-Key"] == "k-123"
    body = json.loads(request["body"])
    assert body["to"] == "+15550001111"
    assert body["from"] == 'Ro"ot'
    code = re.match(r"(\d{6}) is your Root code", body["message"]).group(1)
    assert otp_verify(user=alice, purpose="login", code=code).ok


@pytest.mark.django_db
def test_sms_twilio_preset_sends_a_form_with_basic_auth(alice, admin_user, sms_endpoint):
    sms_sender_save(
        actor=admin_user,
        organization=alice.organization,
        provider="twilio",
        url=sms_endpoint.url,
        sender_id="+15550009999",
        auth_type="BASIC",
        auth_username="AC123",
        secret="twilio-token",
    )
    message = notification_send(
        organization=alice.organization,
        channel="sms",
        template_type="sms_otp",
        recipient="+1 555 000 1111",
        context={"otp": "12&34=", "expiry_minutes": 5},
    )
    assert message_deliver(str(message.pk)) == Message.Status.SENT
    request = sms_endpoint.received[0]
    form = parse_qs(request["body"].decode())
    assert form["To"] == ["+15550001111"]
    assert form["From"] == ["+15550009999"]
    assert form["Body"][0].startswith("12&34= is your Root code")
    assert request["headers"]["Authorization"] == "Basic " + base64.b64encode(b"AC123:twilio-token").decode()


@pytest.mark.django_db
def test_sms_provider_error_status_is_recorded(alice, admin_user, sms_endpoint):
    sms_endpoint.status = 503
    sms_sender_save(actor=admin_user, organization=alice.organization, url=sms_endpoint.url)
    issued = otp_issue(user=alice, purpose="login", channel="sms")
    assert message_deliver(str(issued.message.pk)) == Message.Status.FAILED
    assert "SMS provider answered HTTP 503" in Message.objects.get(pk=issued.message.pk).last_error


@pytest.mark.django_db
@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_starttls_and_implicit_tls_verify_the_server_certificate(
    alice, admin_user, tokens, tmp_path, settings, security
):
    cert, key = self_signed_certificate(tmp_path)
    context = server_tls_context(cert, key)
    tls = {"tls_context": context, "require_starttls": True} if security == "starttls" else {"ssl_context": context}
    server = SmtpServer(tokens, **tls).start()
    try:
        sender = oauth_sender(alice.organization, admin_user, port=server.port, tokens=tokens)
        EmailSender.objects.filter(pk=sender.pk).update(security=security)
        message = notification_send(
            organization=alice.organization,
            channel="email",
            template_type="test",
            recipient="x@example.org",
            context={},
        )
        # Without trusting the server's certificate nothing is sent...
        assert message_deliver(str(message.pk)) == Message.Status.FAILED
        assert "CERTIFICATE_VERIFY_FAILED" in Message.objects.get(pk=message.pk).last_error
        # ...and with it, the XOAUTH2 login happens inside TLS.
        settings.IAM_NOTIFICATION_SMTP_CA_FILE = str(cert)
        make_due(message)
        assert message_deliver(str(message.pk)) == Message.Status.SENT
    finally:
        server.stop()
    assert server.handler.logins == ["no-reply@root.example"]


@pytest.mark.django_db
def test_sweep_sends_messages_whose_task_never_ran_and_recovers_stale_claims(alice, admin_user, smtp, tokens):
    oauth_sender(alice.organization, admin_user, port=smtp.port, tokens=tokens)
    lost = notification_send(
        organization=alice.organization, channel="email", template_type="test", recipient="a@example.org", context={}
    )
    stale = notification_send(
        organization=alice.organization, channel="email", template_type="test", recipient="b@example.org", context={}
    )
    # A worker claimed ``stale`` and died before finishing.
    Message.objects.filter(pk=stale.pk).update(
        status="sending", attempts=1, claimed_at=timezone.now() - timedelta(hours=1)
    )
    assert notification_sweep() == 2
    assert sorted(rcpt[0] for _from, rcpt in smtp.handler.envelopes) == ["a@example.org", "b@example.org"]
    assert set(Message.objects.values_list("status", flat=True)) == {"sent"}
    assert notification_sweep() == 0
    assert lost.pk


@pytest.mark.django_db
def test_sub_organization_users_use_the_root_provider_but_cannot_configure_one(alice, admin_user, smtp, tokens):
    from apps.core.errors import Forbidden
    from apps.orgs.services import organization_create
    from apps.users.services import user_create

    oauth_sender(alice.organization, admin_user, port=smtp.port, tokens=tokens)
    branch = organization_create(actor=None, parent=alice.organization, name="Branch")
    member = user_create(actor=None, organization=branch, username="dora", email="dora@example.org")
    issued = otp_issue(user=member, purpose="login", channel="email")
    assert message_deliver(str(issued.message.pk)) == Message.Status.SENT
    assert smtp.handler.envelopes[0][1] == ["dora@example.org"]
    with pytest.raises(Forbidden):
        sms_sender_save(actor=admin_user, organization=branch, url="https://sms.example/send")


@pytest.mark.django_db
def test_a_code_that_expired_while_undelivered_is_not_sent_late(alice, admin_user, smtp, tokens):
    oauth_sender(alice.organization, admin_user, port=smtp.port, tokens=tokens)
    issued = otp_issue(user=alice, purpose="login", channel="email", ttl=60)
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() + timedelta(seconds=61)):
        assert message_deliver(str(issued.message.pk)) == Message.Status.DEAD
    row = Message.objects.get(pk=issued.message.pk)
    assert row.last_error == "The code or link expired before it could be delivered."
    assert row.payload_sealed == ""
    assert smtp.handler.messages == []


@pytest.mark.django_db
def test_purge_forgets_old_codes_links_and_dead_bodies_but_keeps_live_ones(alice):
    from apps.notifications.delivery import notifications_purge
    from apps.notifications.models import LinkToken, OneTimeCode
    from apps.notifications.services import link_issue

    old_code = otp_issue(user=alice, purpose="login", channel="email", ttl=60)
    link_issue(user=alice, purpose="magic", ttl=60)
    Message.objects.filter(pk=old_code.message.pk).update(status="dead")
    week_ago = timezone.now() - timedelta(days=8)
    OneTimeCode.objects.update(expires_at=week_ago)
    LinkToken.objects.update(expires_at=week_ago)
    Message.objects.update(created=week_ago)
    live = otp_issue(user=alice, purpose="password_reset", channel="email", deliver=False)

    assert notifications_purge() == 3
    assert list(OneTimeCode.objects.values_list("pk", flat=True)) == [uuid.UUID(live.code_id)]
    assert not LinkToken.objects.exists()
    assert Message.objects.get(pk=old_code.message.pk).payload_sealed == ""
    assert otp_verify(user=alice, purpose="password_reset", code=live.code).ok
