"""Payload builders for channels whose sources arrive with later issues (registration flows,
SSO sessions) and for token revocation: the publishers put the event on the outbox, the
builder turns it into WSO2's envelope."""

from __future__ import annotations

import json
from typing import Any

import pytest

from apps.core.models import OutboxEvent
from apps.webhooks import channels as ch
from apps.webhooks.payloads import initiator_type, webhook_payload_build
from apps.webhooks.services import publish_registration, publish_session, publish_token_revoked

pytestmark = pytest.mark.django_db
EVENTS = "https://schemas.identity.wso2.org/events"


def _built(event_type: str, root_org: Any) -> tuple[str, dict[str, Any]]:
    event = OutboxEvent.objects.filter(event_type=event_type).latest("created")
    uri, body = webhook_payload_build(event, root_org)
    document = json.loads(body)
    assert document["jti"] == str(event.id)
    assert list(document["events"]) == [uri]
    return uri, document["events"][uri]


def test_nothing_is_published_without_a_subscriber(root_org, admin_user):
    assert not publish_registration(organization=root_org, succeeded=True, username="x", user=admin_user)
    assert not publish_session(organization=root_org, kind="established", user=admin_user)
    assert not OutboxEvent.objects.filter(event_type__in=["registration.succeeded", "session.established"]).exists()


def test_registration_success_and_failure(root_org, admin_user, make_webhook):
    make_webhook(channels=[ch.channel_uri("registration")])
    assert publish_registration(
        organization=root_org,
        succeeded=True,
        username="admin",
        user=admin_user,
        action="INVITE",
        initiator_type="ADMIN",
    )
    uri, event = _built("registration.succeeded", root_org)
    assert uri == f"{EVENTS}/registration/event-type/registrationSuccess"
    assert (event["initiatorType"], event["action"]) == ("ADMIN", "INVITE")
    assert event["user"]["id"] == str(admin_user.id)

    assert publish_registration(
        organization=root_org, succeeded=False, username="newbie", reason="The username is taken."
    )
    uri, event = _built("registration.failed", root_org)
    assert uri == f"{EVENTS}/registration/event-type/registrationFailed"
    assert (event["initiatorType"], event["action"]) == ("USER", "REGISTER")
    assert event["reason"] == {"description": "The username is taken."}
    assert set(event["user"]) == {"claims", "organization"}
    assert event["user"]["claims"] == [{"uri": "http://wso2.org/claims/username", "value": "newbie"}]


def test_session_events(root_org, admin_user, make_webhook):
    make_webhook(channels=[ch.channel_uri("session")])
    apps = [{"id": "a1", "name": "Shop"}]
    publish_session(
        organization=root_org,
        kind="established",
        user=admin_user,
        session_id="s-1",
        login_time=1751705149,
        applications=apps,
    )
    uri, event = _built("session.established", root_org)
    assert uri == f"{EVENTS}/session/event-type/sessionEstablished"
    assert event["session"] == {"id": "s-1", "loginTime": 1751705149, "applications": apps}
    assert event["user"]["id"] == str(admin_user.id)

    publish_session(organization=root_org, kind="presented", user=admin_user, session_id="s-1", applications=apps)
    assert _built("session.presented", root_org)[0] == f"{EVENTS}/session/event-type/sessionPresented"

    publish_session(
        organization=root_org,
        kind="revoked",
        user=admin_user,
        sessions=[{"id": "s-1", "loginTime": 1751705149, "applications": apps}],
        initiator_type="ADMIN",
    )
    uri, event = _built("session.revoked", root_org)
    assert uri == f"{EVENTS}/session/event-type/sessionRevoked"
    assert event["initiatorType"] == "ADMIN"
    assert event["sessions"] == [{"id": "s-1", "loginTime": 1751705149, "applications": apps}]
    with pytest.raises(ValueError, match="unknown session event"):
        publish_session(organization=root_org, kind="expired", user=admin_user)


def test_token_revoked(root_org, admin_user, make_webhook):
    make_webhook(channels=[ch.channel_uri("token")])

    class App:
        id, name, client_id = 7, "Shop", "shop-client"

    publish_token_revoked(organization=root_org, applications=[App()], user=admin_user)
    uri, event = _built("token.revoked", root_org)
    assert uri == f"{EVENTS}/token/event-type/accessTokenRevoked"
    assert event["applications"] == [{"id": "7", "name": "Shop", "consumerKey": "shop-client"}]
    assert event["initiatorType"] == "USER"


@pytest.mark.parametrize(
    ("payload", "subject", "expected"),
    [
        ({"actorType": "user", "actorId": "u1"}, "u1", "USER"),
        ({"actorType": "user", "actorId": "admin"}, "u1", "ADMIN"),
        ({"actorType": "agent", "actorId": "bot"}, "u1", "ADMIN"),
        ({"actorType": "application", "actorId": "3"}, "u1", "APPLICATION"),
        ({"actorType": "system", "actorId": ""}, "u1", "SYSTEM"),
        ({}, "u1", "SYSTEM"),
        ({"initiatorType": "ADMIN", "actorType": "user", "actorId": "u1"}, "u1", "ADMIN"),
    ],
)
def test_initiator_type_mapping(payload, subject, expected):
    assert initiator_type(payload, subject_id=subject) == expected


def test_login_portal_session_events(root_org, admin_user, make_user, make_webhook):
    """The login portal's own outbox events (apps.authn) become WSO2 session events."""
    from apps.authn.services.events import auth_event

    bob = make_user(root_org, "bob")
    make_webhook(channels=[ch.channel_uri("session")])
    auth_event(
        "authentication.succeeded",
        user=bob,
        organization=root_org,
        data={"methods": ["BasicAuthenticator"], "sessionId": "s-9", "rememberMe": False},
    )
    uri, event = _built("authentication.succeeded", root_org)
    assert uri == f"{EVENTS}/session/event-type/sessionEstablished"
    assert event["session"]["id"] == "s-9"
    assert isinstance(event["session"]["loginTime"], int)
    assert event["authenticationMethods"] == ["BasicAuthenticator"]
    assert (event["initiatorType"], event["user"]["id"]) == ("USER", str(bob.id))

    auth_event("session.revoked", user=bob, organization=root_org, actor=admin_user, data={"sessionId": "s-9"})
    uri, event = _built("session.revoked", root_org)
    assert uri == f"{EVENTS}/session/event-type/sessionRevoked"
    assert event["initiatorType"] == "ADMIN"
    assert event["sessions"] == [{"id": "s-9", "loginTime": None, "applications": []}]

    auth_event("session.terminated", user=bob, organization=root_org, data={"sessionId": "s-9", "reason": "logout"})
    uri, event = _built("session.terminated", root_org)
    assert uri == f"{EVENTS}/session/event-type/sessionRevoked"
    assert event["initiatorType"] == "USER"
