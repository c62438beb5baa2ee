"""The credential channel, triggered by real SCIM 2.0 password changes: an administrator's PATCH and PUT
of /scim2/Users/{id} (ADMIN / UPDATE), and the user's own PATCH and PUT of /scim2/Me (USER / UPDATE).
Each arrives at the loopback receiver in WSO2's envelope with both signatures valid."""

from __future__ import annotations

import time
from typing import Any

import pytest

from apps.webhooks import channels as ch
from apps.webhooks import signing
from tests.conftest import USER_PASSWORD
from tests.scim.conftest import USER_SCHEMA, ScimClient
from tests.webhooks.conftest import SECRET
from tests.webhooks.test_channels import EVENTS, assert_envelope

pytestmark = pytest.mark.django_db
CREDENTIAL_UPDATED = f"{EVENTS}/credential/event-type/credentialUpdated"


@pytest.fixture
def scim_for(mint_token: Any) -> Any:
    """``scim_for(user, scopes=None)``: a SCIM client with a bearer token of ``user``."""

    def make(user: Any, scopes: list[str] | None = None) -> ScimClient:
        return ScimClient(user.organization.handle, f"Bearer {mint_token(user, scopes)}")

    return make


def assert_password_event(item: Any, root_org: Any, *, user: Any, initiator: str) -> dict[str, Any]:
    event = assert_envelope(item, CREDENTIAL_UPDATED, root_org)  # envelope, HMAC and timestamped signature
    assert item.signed_with(SECRET)
    assert signing.timestamped_signature_valid(
        SECRET, item.body, item.headers["x-iam-event-signature"], now=int(time.time())
    )
    assert not item.signed_with("another-secret")
    assert (event["initiatorType"], event["action"], event["credentialType"]) == (initiator, "UPDATE", "PASSWORD")
    assert event["user"]["id"] == str(user.id)
    assert event["user"]["ref"] == f"http://127.0.0.1:8000/t/root/scim2/Users/{user.id}"
    assert b"-pass-789" not in item.body  # never the password itself
    return event


@pytest.mark.parametrize("method", ["PATCH", "PUT"])
def test_admin_sets_a_password_through_scim_users(
    root_org,
    admin_user,
    make_user,
    make_webhook,
    receiver,
    committed,
    scim_for,
    method,
):
    bob = make_user(root_org, "bob")
    make_webhook(channels=[ch.channel_uri("credential")])
    scim = scim_for(admin_user)
    with committed():
        if method == "PATCH":
            response = scim.patch(f"/Users/{bob.id}", [{"op": "replace", "path": "password", "value": "Scim-pass-789"}])
        else:
            body = {"schemas": [USER_SCHEMA], "userName": "bob", "password": "Scim-pass-789"}
            response = scim.put(f"/Users/{bob.id}", body)
    assert response.status_code == 200, response.content
    bob.refresh_from_db()
    assert bob.check_password("Scim-pass-789")
    (item,) = receiver.wait_for(1, predicate=lambda r: r.event_type == CREDENTIAL_UPDATED)
    assert_password_event(item, root_org, user=bob, initiator="ADMIN")


@pytest.mark.parametrize("method", ["PATCH", "PUT"])
def test_user_changes_their_own_password_through_scim_me(
    root_org,
    make_user,
    make_webhook,
    receiver,
    committed,
    scim_for,
    method,
):
    carol = make_user(root_org, "carol")
    make_webhook(channels=[ch.channel_uri("credential")])
    me = scim_for(carol, ["internal_login"])
    with committed():
        if method == "PATCH":
            response = me.patch("/Me", [{"op": "replace", "value": {"password": "Mine-pass-789"}}])
        else:
            response = me.put("/Me", {"schemas": [USER_SCHEMA], "userName": "carol", "password": "Mine-pass-789"})
    assert response.status_code == 200, response.content
    carol.refresh_from_db()
    assert carol.check_password("Mine-pass-789")
    assert not carol.check_password(USER_PASSWORD)
    (item,) = receiver.wait_for(1, predicate=lambda r: r.event_type == CREDENTIAL_UPDATED)
    assert_password_event(item, root_org, user=carol, initiator="USER")


def test_a_scim_profile_change_without_a_password_sends_no_credential_event(
    root_org,
    admin_user,
    make_user,
    make_webhook,
    receiver,
    committed,
    scim_for,
):
    dave = make_user(root_org, "dave")
    make_webhook(channels=[ch.channel_uri("credential")])
    with committed():
        response = scim_for(admin_user).patch(
            f"/Users/{dave.id}", [{"op": "replace", "path": "name.givenName", "value": "Dave"}]
        )
    assert response.status_code == 200
    assert receiver.received == []
