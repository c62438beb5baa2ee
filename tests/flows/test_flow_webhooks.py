"""Live webhooks from flows: a registration through the execution API reaches a loopback receiver
subscribed to the registration channel (signed), a refused registration sends registrationFailed,
and a recovery sends credentialUpdated with action RESET."""

from __future__ import annotations

import pytest

from apps.webhooks import channels as ch
from tests.flows.conftest import STRONG_PASSWORD, C, last_code
from tests.webhooks import conftest as webhook_fixtures
from tests.webhooks.conftest import SECRET

# The webhook tests' fixtures: the loopback receiver, webhooks made through the services, and
# "run what the commit would run" (outbox dispatch and delivery, eagerly).
webhook_settings = webhook_fixtures.webhook_settings
receiver = webhook_fixtures.receiver
eager = webhook_fixtures.eager
committed = webhook_fixtures.committed
make_webhook = webhook_fixtures.make_webhook

pytestmark = pytest.mark.django_db
EVENTS = "https://schemas.identity.wso2.org/events"


def _register(execute, username: str, email: str):
    first = execute.start("REGISTRATION")
    return execute.submit(
        first,
        "registration-continue",
        {C + "username": username, C + "emailaddress": email, "password": STRONG_PASSWORD},
    )


def test_registration_through_the_execute_api_reaches_the_registration_webhook(
    flows_enabled, execute, make_webhook, receiver, committed, make_user
):
    make_webhook(channels=[ch.channel_uri(ch.REGISTRATION)])
    code_view = _register(execute, "hooked", "hooked@example.org").json()
    with committed():
        done = execute.submit(code_view, "registration-verify", {"otp": last_code("hooked@example.org")}).json()
    assert done["flowStatus"] == "COMPLETE"
    (item,) = receiver.wait_for(1)
    assert item.event_type == f"{EVENTS}/registration/event-type/registrationSuccess"
    assert item.signed_with(SECRET)
    event = item.event
    assert (event["initiatorType"], event["action"]) == ("USER", "REGISTER")
    assert event["user"]["id"] == done["data"]["additionalData"]["userId"]
    assert {"uri": C + "username", "value": "hooked"} in event["user"]["claims"]

    make_user(flows_enabled, "taken")
    with committed():
        refused = _register(execute, "taken", "t@example.org")
    assert refused.json()["code"] == "FE-60003"
    failed = receiver.wait_for(2)[1]
    assert failed.event_type == f"{EVENTS}/registration/event-type/registrationFailed"
    assert failed.event["user"]["claims"] == [{"uri": C + "username", "value": "taken"}]


def test_recovery_sends_credential_updated_reset(flows_enabled, execute, make_webhook, receiver, committed, make_user):
    make_webhook(channels=[ch.channel_uri(ch.CREDENTIAL)])
    alice = make_user(flows_enabled, "alice", email="alice@example.org")
    first = execute.start("PASSWORD_RECOVERY")
    code_view = execute.submit(first, "recovery-continue", {C + "username": "alice"}).json()
    password_view = execute.submit(code_view, "recovery-verify", {"otp": last_code("alice@example.org")}).json()
    with committed():
        execute.submit(password_view, "recovery-reset", {"password": "Brand-new-Passw0rd!"})
    (item,) = receiver.wait_for(1)
    assert item.event_type == f"{EVENTS}/credential/event-type/credentialUpdated"
    assert (item.event["initiatorType"], item.event["action"]) == ("USER", "RESET")
    assert item.event["user"]["id"] == str(alice.pk)
