"""The webhooks management API: WSO2's shapes, validation, scopes and tenant isolation."""

from __future__ import annotations

from typing import Any

import pytest

from apps.webhooks import channels as ch
from apps.webhooks.models import Webhook
from tests.api_helpers import assert_error
from tests.webhooks.receiver import Receiver

BASE = "/api/server/v1/webhooks"
LOGIN = ch.channel_uri("login")
CREDENTIAL = ch.channel_uri("credential")
PROFILE = {"name": "WSO2", "uri": "https://schemas.identity.wso2.org/events"}

pytestmark = pytest.mark.django_db


def _body(receiver: Receiver, **overrides: Any) -> dict[str, Any]:
    return {
        "name": "CRM sync",
        "endpoint": receiver.url(),
        "eventProfile": PROFILE,
        "channelsSubscribed": [LOGIN],
        "secret": "top-secret",
        **overrides,
    }


def test_create_is_inactive_by_default_then_activate(admin_api, receiver):
    response = admin_api.post(BASE, _body(receiver), format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["status"] == "INACTIVE"
    assert created["channelsSubscribed"] == [{"channelUri": LOGIN, "status": "SUBSCRIPTION_ACCEPTED"}]
    assert created["eventProfile"] == PROFILE
    assert "secret" not in created
    assert response["Location"].endswith(f"/webhooks/{created['id']}")

    activated = admin_api.post(f"{BASE}/{created['id']}/activate")
    assert activated.status_code == 200
    assert activated.json()["status"] == "ACTIVE"
    deactivated = admin_api.post(f"{BASE}/{created['id']}/deactivate")
    assert deactivated.json()["status"] == "INACTIVE"


def test_get_never_returns_the_secret_and_it_is_encrypted_at_rest(admin_api, receiver):
    created = admin_api.post(BASE, _body(receiver, status="ACTIVE"), format="json").json()
    fetched = admin_api.get(f"{BASE}/{created['id']}")
    assert fetched.status_code == 200
    assert "secret" not in fetched.json()
    assert "top-secret" not in fetched.content.decode()
    stored = Webhook.objects.get(pk=created["id"])
    assert stored.secret_encrypted
    assert "top-secret" not in stored.secret_encrypted

    listed = admin_api.get(BASE).json()["webhooks"]
    assert [(w["id"], w["status"]) for w in listed] == [(created["id"], "ACTIVE")]
    assert set(listed[0]) == {"id", "name", "endpoint", "status", "createdAt", "updatedAt", "self"}


def test_unknown_channel_is_400(admin_api, receiver):
    response = admin_api.post(
        BASE, _body(receiver, channelsSubscribed=["https://schemas.identity.wso2.org/events/unknown"]), format="json"
    )
    body = assert_error(response, 400, "WEBHOOK-60005")
    assert "unknown" in body["message"]
    assert not Webhook.objects.exists()


@pytest.mark.parametrize(
    ("endpoint", "code"),
    [
        ("not a url", "WEBHOOK-60003"),
        ("ftp://127.0.0.1/hook", "WEBHOOK-60003"),
        ("/relative/path", "WEBHOOK-60003"),
        ("http://user:pw@127.0.0.1/hook", "WEBHOOK-60003"),
        ("http://[::1/hook", "WEBHOOK-60003"),
        ("", "WEBHOOK-60002"),
    ],
)
def test_endpoint_that_is_not_a_url_is_400(admin_api, endpoint, code):
    response = admin_api.post(
        BASE, {"name": "x", "endpoint": endpoint, "eventProfile": PROFILE, "channelsSubscribed": [LOGIN]}, format="json"
    )
    assert_error(response, 400, code)


def test_http_endpoint_refused_in_production_but_https_accepted(admin_api, settings):
    settings.IAM_WEBHOOK_REQUIRE_HTTPS = True
    settings.IAM_WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    body = {"name": "x", "eventProfile": PROFILE, "channelsSubscribed": [LOGIN]}
    refused = admin_api.post(BASE, {**body, "endpoint": "http://10.1.2.3/hook"}, format="json")
    assert_error(refused, 400, "WEBHOOK-60004")
    assert "HTTPS" in refused.json()["message"]
    accepted = admin_api.post(BASE, {**body, "endpoint": "https://10.1.2.3/hook"}, format="json")
    assert accepted.status_code == 201


def test_private_and_loopback_targets_refused_unless_allowed(admin_api, settings):
    settings.IAM_WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    body = {"name": "x", "eventProfile": PROFILE, "channelsSubscribed": [LOGIN]}
    for endpoint in (
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://10.0.0.8/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
    ):
        response = admin_api.post(BASE, {**body, "endpoint": endpoint}, format="json")
        assert_error(response, 400, "WEBHOOK-60004")
    assert not Webhook.objects.exists()


def test_missing_fields_and_wrong_types(admin_api, receiver):
    assert_error(admin_api.post(BASE, {"endpoint": receiver.url()}, format="json"), 400, "WEBHOOK-60002")
    assert_error(admin_api.post(BASE, _body(receiver, channelsSubscribed="login"), format="json"), 400)
    assert_error(admin_api.post(BASE, _body(receiver, channelsSubscribed=[]), format="json"), 400, "WEBHOOK-60002")
    assert_error(admin_api.post(BASE, _body(receiver, status="ON"), format="json"), 400, "WEBHOOK-60010")
    assert_error(
        admin_api.post(BASE, _body(receiver, eventProfile={"name": "CAEP"}), format="json"), 400, "WEBHOOK-60006"
    )
    assert_error(admin_api.post(BASE, _body(receiver, extra=1), format="json"), 400, "WEBHOOK-60001")
    assert_error(admin_api.post(BASE, b"{not json", content_type="application/json"), 400, "WEBHOOK-60001")


def test_duplicate_endpoint_is_409(admin_api, receiver):
    assert admin_api.post(BASE, _body(receiver), format="json").status_code == 201
    assert_error(admin_api.post(BASE, _body(receiver, name="again"), format="json"), 409, "WEBHOOK-60008")


def test_put_replaces_and_delete_removes(admin_api, receiver):
    created = admin_api.post(BASE, _body(receiver), format="json").json()
    url = f"{BASE}/{created['id']}"
    replaced = admin_api.put(
        url, _body(receiver, name="SIEM", channelsSubscribed=[CREDENTIAL, LOGIN], status="ACTIVE"), format="json"
    )
    assert replaced.status_code == 200, replaced.content
    data = replaced.json()
    assert data["name"] == "SIEM"
    assert data["status"] == "ACTIVE"
    assert [c["channelUri"] for c in data["channelsSubscribed"]] == [LOGIN, CREDENTIAL]  # profile order
    assert admin_api.delete(url).status_code == 204
    assert_error(admin_api.get(url), 404, "WEBHOOK-60015")
    assert_error(admin_api.get(f"{BASE}/not-a-uuid"), 404, "WEBHOOK-60015")


def test_put_without_secret_keeps_it(admin_api, receiver):
    created = admin_api.post(BASE, _body(receiver), format="json").json()
    sealed = Webhook.objects.get(pk=created["id"]).secret_encrypted
    body = _body(receiver)
    del body["secret"]
    assert admin_api.put(f"{BASE}/{created['id']}", body, format="json").status_code == 200
    assert Webhook.objects.get(pk=created["id"]).secret_encrypted == sealed


def test_metadata_and_event_profile(admin_api):
    meta = admin_api.get(f"{BASE}/metadata")
    assert meta.status_code == 200
    assert meta.json()["organizationPolicy"] == {"policyName": "NO_SHARING"}
    assert meta.json()["profiles"] == [PROFILE]

    patched = admin_api.patch(
        f"{BASE}/metadata", {"organizationPolicy": {"policyName": "IMMEDIATE_EXISTING_AND_FUTURE_ORGS"}}, format="json"
    )
    assert patched.status_code == 200
    assert admin_api.get(f"{BASE}/metadata").json()["organizationPolicy"]["policyName"] == (
        "IMMEDIATE_EXISTING_AND_FUTURE_ORGS"
    )
    bad = admin_api.patch(f"{BASE}/metadata", {"organizationPolicy": {"policyName": "ALL"}}, format="json")
    assert_error(bad, 400, "WEBHOOK-METADATA-60001")

    profile = admin_api.get(f"{BASE}/metadata/event-profiles/WSO2")
    assert profile.status_code == 200
    channels = {c["uri"]: c for c in profile.json()["channels"]}
    assert set(channels) == {
        ch.channel_uri(k) for k in ("login", "registration", "credential", "user", "token", "session")
    }
    login_events = [e["eventUri"] for e in channels[LOGIN]["events"]]
    assert login_events == [
        "https://schemas.identity.wso2.org/events/login/event-type/loginSuccess",
        "https://schemas.identity.wso2.org/events/login/event-type/loginFailed",
    ]
    assert_error(admin_api.get(f"{BASE}/metadata/event-profiles/CAEP"), 404, "WEBHOOK-METADATA-60015")


def test_scopes_are_enforced(api_client, root_org, make_user, mint_token, receiver):
    viewer = make_user(root_org, "viewer", scopes=["internal_webhook_view"])
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {mint_token(viewer, scopes=['internal_webhook_view'])}")
    assert api_client.get(BASE).status_code == 200
    assert_error(api_client.post(BASE, _body(receiver), format="json"), 403)
    assert_error(api_client.get(f"{BASE}/metadata"), 403)
    api_client.credentials()
    assert_error(api_client.get(BASE), 401)


def test_another_tenant_cannot_see_or_touch_a_webhook(admin_api, api_client, other_admin, mint_token, receiver):
    created = admin_api.post(BASE, _body(receiver), format="json").json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {mint_token(other_admin)}")
    assert api_client.get("/t/acme/api/server/v1/webhooks").json() == {"webhooks": []}
    for method, suffix in (("get", ""), ("delete", ""), ("post", "/activate"), ("get", "/deliveries")):
        response = getattr(api_client, method)(f"/t/acme/api/server/v1/webhooks/{created['id']}{suffix}")
        assert_error(response, 404, "WEBHOOK-60015")
    assert Webhook.objects.filter(pk=created["id"]).exists()


def test_delivery_log_redeliver_test_event_and_health(
    admin_api, receiver, settings, django_capture_on_commit_callbacks
):
    from iam.celery import app as celery_app

    settings.IAM_WEBHOOK_MAX_ATTEMPTS = 1
    created = admin_api.post(BASE, _body(receiver, secret="k"), format="json").json()
    url = f"{BASE}/{created['id']}"
    receiver.behaviour.status = 500
    previous, celery_app.conf.task_always_eager = celery_app.conf.task_always_eager, True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            sent = admin_api.post(f"{url}/test")  # also while INACTIVE
        assert sent.status_code == 202
        assert sent.json()["eventType"] == ch.TEST_EVENT_URI

        log = admin_api.get(f"{url}/deliveries", {"state": "failed"})
        assert log.status_code == 200
        (entry,) = log.json()["deliveries"]
        assert (entry["state"], entry["attempts"], entry["statusCode"], entry["nextAttemptAt"]) == (
            "DEAD",
            1,
            500,
            None,
        )
        assert log.json()["totalResults"] == 1
        assert_error(admin_api.get(f"{url}/deliveries", {"state": "weird"}), 400, "WEBHOOK-60012")

        health = admin_api.get(f"{url}/health").json()
        assert (health["deadLettered"], health["failed"], health["state"]) == (1, 1, "inactive")

        receiver.behaviour.status = 200
        with django_capture_on_commit_callbacks(execute=True):
            again = admin_api.post(f"{url}/deliveries/redeliver", {"deliveryIds": [entry["id"]]}, format="json")
        assert again.status_code == 202
        assert again.json() == {"scheduled": 1}
    finally:
        celery_app.conf.task_always_eager = previous
    (entry,) = admin_api.get(f"{url}/deliveries").json()["deliveries"]
    assert (entry["state"], entry["attempts"], entry["statusCode"]) == ("DELIVERED", 2, 200)
    assert admin_api.get(f"{url}/health").json()["delivered"] == 1
    assert len({item.jti for item in receiver.received}) == 1

    bad = admin_api.post(f"{url}/deliveries/redeliver", {"deliveryIds": ["not-an-id"]}, format="json")
    assert_error(bad, 400, "WEBHOOK-60011")
    unknown = admin_api.post(
        f"{url}/deliveries/redeliver", {"deliveryIds": ["8d3c1c0e-0000-4000-8000-000000000000"]}, format="json"
    )
    assert_error(unknown, 400, "WEBHOOK-60011")
