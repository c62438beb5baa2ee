"""One test per channel: the event is triggered through the real feature (sign-in pages,
management API, My Account, token endpoint) and arrives at a real loopback receiver
in WSO2's envelope, signed with the webhook's secret."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client

from apps.applications.models import Application
from apps.applications.services import access_token_issue, application_create
from apps.core.models import OutboxEvent
from apps.users.models import User
from apps.webhooks import channels as ch
from apps.webhooks import signing
from tests.conftest import ADMIN_PASSWORD, USER_PASSWORD
from tests.oauth.helpers import basic, form_post
from tests.webhooks.conftest import SECRET
from tests.webhooks.receiver import Received

pytestmark = pytest.mark.django_db
EVENTS = "https://schemas.identity.wso2.org/events"
CLAIM_USERNAME = "http://wso2.org/claims/username"


def assert_envelope(item: Received, event_uri: str, root_org: Any) -> dict[str, Any]:
    """The documented envelope, exactly one event, both signatures valid; returns the event body."""
    document = item.json
    assert set(document) == {"iss", "jti", "iat", "rci", "events"}
    assert document["iss"] == "http://127.0.0.1:8000/t/root"
    assert list(document["events"]) == [event_uri]
    assert abs(document["iat"] / 1000 - time.time()) < 60
    assert OutboxEvent.objects.filter(pk=document["jti"]).exists()  # jti is the event's id
    assert item.headers["content-type"] == "application/json"
    assert item.headers["x-iam-event-id"] == document["jti"]
    assert item.signed_with(SECRET)
    assert signing.timestamped_signature_valid(
        SECRET, item.body, item.headers["x-iam-event-signature"], now=int(time.time())
    )
    assert item.headers["x-iam-event-timestamp"] == item.headers["x-iam-event-signature"].split(",")[0][2:]
    event = document["events"][event_uri]
    assert event["tenant"] == {"id": str(root_org.id), "name": "root"}
    assert event["organization"] == {"id": str(root_org.id), "name": "Root", "orgHandle": "root", "depth": 0}
    assert event["userStore"] == {"id": "UFJJTUFSWQ==", "name": "PRIMARY"}
    return event


def claims_of(user_part: dict[str, Any]) -> dict[str, str]:
    return {claim["uri"]: claim["value"] for claim in user_part["claims"]}


# --- login ------------------------------------------------------------------------------------------


def test_console_login_success_and_failure(root_org, admin_user, make_webhook, receiver, committed):
    make_webhook(channels=[ch.channel_uri("login")])
    with committed():
        ok = Client().post("/console/login/", {"username": "admin", "password": ADMIN_PASSWORD})
    assert ok.status_code == 302
    (item,) = receiver.wait_for(1)
    event = assert_envelope(item, f"{EVENTS}/login/event-type/loginSuccess", root_org)
    assert event["initiatorType"] == "USER"
    assert "BasicAuthenticator" in event["authenticationMethods"]
    assert event["user"]["id"] == str(admin_user.id)
    assert claims_of(event["user"])[CLAIM_USERNAME] == "admin"
    assert event["user"]["ref"] == f"http://127.0.0.1:8000/t/root/scim2/Users/{admin_user.id}"

    with committed():
        Client().post("/console/login/", {"username": "admin", "password": "wrong-password"})
        Client().post("/console/login/", {"username": "nobody-here", "password": "wrong-password"})
    failures = receiver.wait_for(2, predicate=lambda r: r.event_type.endswith("loginFailed"))
    bodies = [assert_envelope(f, f"{EVENTS}/login/event-type/loginFailed", root_org) for f in failures]
    existing, unknown = bodies
    # Nothing tells an existing account from an unknown one: same shape, only what was typed.
    assert set(existing) == set(unknown)
    assert set(existing["user"]) == set(unknown["user"]) == {"claims"}
    assert existing["user"]["claims"] == [{"uri": CLAIM_USERNAME, "value": "admin"}]
    assert unknown["user"]["claims"] == [{"uri": CLAIM_USERNAME, "value": "nobody-here"}]
    assert existing["reason"] == unknown["reason"]
    assert existing["reason"]["context"]["failedStep"]["authenticator"] == "BasicAuthenticator"


def test_oauth_login_page_names_the_application(root_org, make_user, make_webhook, receiver, committed):
    alice = make_user(root_org, "alice")
    application, _secret = application_create(
        actor=None,
        organization=root_org,
        template_id="oidc-web-application",
        name="Shop",
        redirect_uris=["https://rp.example.com/cb"],
    )
    make_webhook(channels=[ch.channel_uri("login")])
    next_url = f"/oauth2/authorize?client_id={application.client_id}&response_type=code"
    with committed():
        response = Client().post(
            f"/oauth2/login?next={quote(next_url)}", {"username": "alice", "password": USER_PASSWORD}
        )
    assert response.status_code == 302
    (item,) = receiver.wait_for(1)
    event = assert_envelope(item, f"{EVENTS}/login/event-type/loginSuccess", root_org)
    assert event["application"] == {"id": str(application.uuid), "name": "Shop"}
    assert event["user"]["id"] == str(alice.id)


def test_no_login_events_recorded_when_nobody_subscribed(root_org, admin_user, make_webhook, committed):
    make_webhook(channels=[ch.channel_uri("credential")])
    make_webhook(channels=[ch.channel_uri("login")], active=False, name="Off")
    with committed():
        Client().post("/console/login/", {"username": "admin", "password": ADMIN_PASSWORD})
    assert not OutboxEvent.objects.filter(event_type__startswith="login.").exists()


# --- credential -------------------------------------------------------------------------------------


def test_admin_password_update_via_api_is_admin_update(
    root_org, admin_api, make_user, make_webhook, receiver, committed
):
    bob = make_user(root_org, "bob")
    make_webhook(channels=[ch.channel_uri("credential")])
    with committed():
        response = admin_api.put(f"/api/server/v1/users/{bob.id}/password", {"password": "New-pass-789"}, format="json")
    assert response.status_code == 204
    (item,) = receiver.wait_for(1)
    event = assert_envelope(item, f"{EVENTS}/credential/event-type/credentialUpdated", root_org)
    assert (event["initiatorType"], event["action"], event["credentialType"]) == ("ADMIN", "UPDATE", "PASSWORD")
    assert event["user"]["id"] == str(bob.id)


def test_self_service_password_change_is_user_update(root_org, make_user, signed_in, make_webhook, receiver, committed):
    carol = make_user(root_org, "carol")
    make_webhook(channels=[ch.channel_uri("credential")])
    client = signed_in(carol)
    with committed():
        response = client.post(
            "/myaccount/password/",
            {"current_password": USER_PASSWORD, "password": "New-pass-789", "confirm": "New-pass-789"},
        )
    assert response.status_code == 302
    (item,) = receiver.wait_for(1)
    event = assert_envelope(item, f"{EVENTS}/credential/event-type/credentialUpdated", root_org)
    assert (event["initiatorType"], event["action"]) == ("USER", "UPDATE")


def test_application_and_forced_reset_initiators(root_org, make_user, make_webhook, receiver, committed):
    dave = make_user(root_org, "dave")
    app = Application.objects.create(
        organization=root_org,
        name="provisioner",
        client_type="confidential",
        authorization_grant_type="client-credentials",
    )
    token = access_token_issue(application=app, scopes=["internal_user_mgt_update"])
    make_webhook(channels=[ch.channel_uri("credential")])
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    with committed():
        response = client.put(
            f"/api/server/v1/users/{dave.id}/password", {"password": "App-set-789"}, content_type="application/json"
        )
    assert response.status_code == 204
    User.objects.filter(pk=dave.pk).update(state=User.State.PENDING_PASSWORD_RESET)
    from apps.users.services import user_set_password

    with committed():
        user_set_password(actor=dave, user=dave, password="Reset-pass-789")
    first, second = receiver.wait_for(2)
    by_app = assert_envelope(first, f"{EVENTS}/credential/event-type/credentialUpdated", root_org)
    assert (by_app["initiatorType"], by_app["action"]) == ("APPLICATION", "UPDATE")
    reset = assert_envelope(second, f"{EVENTS}/credential/event-type/credentialUpdated", root_org)
    assert (reset["initiatorType"], reset["action"]) == ("ADMIN", "RESET")


# --- user account management -----------------------------------------------------------------------


def test_user_lifecycle_through_the_api(root_org, admin_api, make_webhook, receiver, committed):
    make_webhook(channels=[ch.channel_uri("user")])
    with committed():
        created = admin_api.post(
            "/api/server/v1/users",
            {"username": "erin", "password": USER_PASSWORD, "email": "erin@example.com", "phone": "+94 77 1234567"},
            format="json",
        ).json()
    with committed():
        admin_api.patch(
            f"/api/server/v1/users/{created['id']}",
            {"givenName": "Erin", "email": "erin@example.org", "phone": ""},
            format="json",
        )
    for state in ("locked", "active", "disabled", "active"):
        with committed():
            response = admin_api.put(f"/api/server/v1/users/{created['id']}/state", {"state": state}, format="json")
        assert response.status_code == 200
    with committed():
        assert admin_api.delete(f"/api/server/v1/users/{created['id']}").status_code == 204

    items = receiver.wait_for(7)
    names = [item.event_type.rsplit("/", 1)[1] for item in items]
    assert (
        names
        == [
            "userCreated",
            "userProfileUpdated",
            "userAccountLocked",
            "userAccountUnlocked",
            "userDisabled",
            "userEnabled",
            "userDeleted",
        ]
        + names[7:]
    )
    bodies = [assert_envelope(item, item.event_type, root_org) for item in items]
    assert all(body["initiatorType"] == "ADMIN" for body in bodies)
    assert claims_of(bodies[0]["user"])["http://wso2.org/claims/emailaddress"] == "erin@example.com"
    profile = bodies[1]["user"]
    assert profile["addedClaims"] == [{"uri": "http://wso2.org/claims/givenname", "value": "Erin"}]
    assert profile["updatedClaims"] == [{"uri": "http://wso2.org/claims/emailaddress", "value": "erin@example.org"}]
    assert profile["removedClaims"] == [{"uri": "http://wso2.org/claims/mobile", "value": "+94 77 1234567"}]
    assert bodies[1]["action"] == "UPDATE"
    assert bodies[6]["user"]["id"] == created["id"]


def test_lock_expiry_is_a_system_unlock(root_org, make_user, make_webhook, receiver, committed):
    from datetime import timedelta

    from django.utils import timezone

    from apps.users.services import user_check_password, user_set_state

    frank = make_user(root_org, "frank")
    user_set_state(actor=None, user=frank, state=User.State.LOCKED, lock_minutes=5)
    User.objects.filter(pk=frank.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
    make_webhook(channels=[ch.channel_uri("user")])
    with committed():
        assert user_check_password(organization=root_org, username="frank", password=USER_PASSWORD) is not None
    (item,) = receiver.wait_for(1)
    event = assert_envelope(item, f"{EVENTS}/user/event-type/userAccountUnlocked", root_org)
    assert event["initiatorType"] == "SYSTEM"


# --- token --------------------------------------------------------------------------------------------


def test_client_credentials_token_issue(root_org, make_webhook, receiver, committed):
    from apps.applications.services import api_resource_create, application_authorize_api

    api = api_resource_create(
        actor=None,
        organization=root_org,
        name="Orders",
        identifier="https://api.example.com/orders",
        scopes=[{"name": "orders:read"}],
    )
    application, secret = application_create(
        actor=None, organization=root_org, template_id="m2m-application", name="Batch"
    )
    application_authorize_api(actor=None, application=application, api_resource=api, scopes=["orders:read"])
    make_webhook(channels=[ch.channel_uri("token")])
    with committed():
        response = form_post(
            Client(),
            "/oauth2/token",
            {"grant_type": "client_credentials", "scope": "orders:read"},
            HTTP_AUTHORIZATION=basic(application.client_id, secret),
        )
    assert response.status_code == 200, response.content
    (item,) = receiver.wait_for(1)
    event = assert_envelope(item, f"{EVENTS}/token/event-type/accessTokenIssued", root_org)
    assert event["initiatorType"] == "APPLICATION"
    assert event["application"]["name"] == "Batch"
    assert event["application"]["consumerKey"] == application.client_id
    assert event["accessToken"]["grantType"] == "client_credentials"
    assert event["accessToken"]["tokenType"] in {"JWT", "Opaque"}
    assert event["accessToken"]["scopes"] == ["orders:read"]
    assert "user" not in event


def test_token_issue_costs_no_outbox_row_without_subscribers(root_org, committed, django_assert_num_queries):
    from apps.webhooks.services import channel_subscribed, publish_token_issued

    assert channel_subscribed(root_org.pk, "token") is False  # warms the per-process cache
    with django_assert_num_queries(0):
        for _ in range(100):
            assert not publish_token_issued(
                organization=root_org,
                application=None,
                user=None,
                grant_type="client_credentials",
                token_type="JWT",
                scopes=[],
            )
    assert not OutboxEvent.objects.filter(event_type="token.issued").exists()
