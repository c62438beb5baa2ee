"""Console pages for webhooks: list with health and counters, create/edit with inline errors,
the delivery log (filter, redeliver one or many, send a test event), settings, permissions."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from apps.webhooks import channels as ch
from apps.webhooks import deliveries
from apps.webhooks.models import Webhook, WebhookDelivery, WebhookSettings
from tests.console.conftest import html, results

pytestmark = pytest.mark.django_db
LOGIN = ch.channel_uri("login")


@pytest.fixture
def console(admin_user: Any) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def test_nav_and_empty_list(console):
    page = console.get("/console/webhooks/")
    assert page.status_code == 200
    assert 'href="/console/webhooks/"' in html(page)
    assert "No webhooks yet." in html(page)


def test_create_with_inline_errors_then_success(console, receiver):
    bad = console.post(
        "/console/webhooks/new/",
        {"name": "CRM", "endpoint": "nonsense", "channels": [LOGIN], "secret": "k"},
    )
    assert bad.status_code == 400
    assert 'id="id_endpoint_error"' in html(bad)
    no_channel = console.post("/console/webhooks/new/", {"name": "CRM", "endpoint": receiver.url()})
    assert no_channel.status_code == 400
    assert "Subscribe to at least one channel." in html(no_channel)

    response = console.post(
        "/console/webhooks/new/",
        {"name": "CRM", "endpoint": receiver.url(), "channels": [LOGIN], "secret": "k", "active": "on"},
    )
    webhook = Webhook.objects.get(name="CRM")
    assert response["Location"] == f"/console/webhooks/{webhook.pk}/"
    assert webhook.is_active
    assert webhook.channels == [LOGIN]
    detail = html(console.get(response["Location"]))
    assert "Webhook “CRM” created." in detail
    assert "k" not in detail.split('id="id_secret"')[1].split(">")[0]  # the secret is never echoed


def test_edit_keeps_secret_when_blank_and_toggles_status(console, make_webhook, receiver):
    webhook = make_webhook(name="SIEM")
    sealed = webhook.secret_encrypted
    response = console.post(
        f"/console/webhooks/{webhook.pk}/",
        {"name": "SIEM 2", "endpoint": webhook.endpoint, "channels": [LOGIN, ch.channel_uri("user")], "secret": ""},
    )
    assert response.status_code == 302
    webhook.refresh_from_db()
    assert (webhook.name, webhook.secret_encrypted) == ("SIEM 2", sealed)
    console.post(f"/console/webhooks/{webhook.pk}/status/", {"status": "INACTIVE"})
    webhook.refresh_from_db()
    assert not webhook.is_active
    assert "deactivated" in html(console.get(f"/console/webhooks/{webhook.pk}/"))


def test_delivery_log_shows_failure_and_redeliver_delivers(console, make_webhook, receiver, committed, settings):
    settings.IAM_WEBHOOK_MAX_ATTEMPTS = 1
    webhook = make_webhook(name="Flaky")
    receiver.behaviour.status = 503
    receiver.behaviour.body = b"maintenance"
    with committed():
        console.post(f"/console/webhooks/{webhook.pk}/test/")
    delivery = WebhookDelivery.objects.get(webhook=webhook)
    assert delivery.state == "DEAD"

    log = html(console.get(f"/console/webhooks/{webhook.pk}/deliveries/?state=failed"))
    assert "Failed" in log
    assert "503" in log
    assert "maintenance" in log
    assert str(delivery.event_id) in log
    assert 'data-counter="dead-lettered">1<' in log

    receiver.behaviour.status = 200
    with committed():
        response = console.post(f"/console/webhooks/{webhook.pk}/redeliver/", {"delivery": [str(delivery.pk)]})
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("DELIVERED", 2)
    page = html(console.get(response["Location"]))
    assert "1 event(s) scheduled for redelivery." in page
    assert 'data-counter="delivered">1<' in page
    assert len(receiver.received) == 2


def test_redeliver_all_failed_and_bad_ids(console, make_webhook, receiver, settings):
    settings.IAM_WEBHOOK_MAX_ATTEMPTS = 1
    webhook = make_webhook()
    receiver.behaviour.status = 500
    for _ in range(3):
        deliveries.delivery_process(deliveries.webhook_send_test(actor=None, webhook=webhook).pk)
    assert WebhookDelivery.objects.filter(webhook=webhook, state="DEAD").count() == 3
    response = console.post(f"/console/webhooks/{webhook.pk}/redeliver/", {"all_failed": "1"}, follow=True)
    assert "3 event(s) scheduled for redelivery." in html(response)
    assert WebhookDelivery.objects.filter(webhook=webhook, state="PENDING", round_attempts=0).count() == 3
    response = console.post(f"/console/webhooks/{webhook.pk}/redeliver/", {"delivery": ["nope"]}, follow=True)
    assert "Give the ids of the deliveries to send again." in html(response)


def test_filter_fragment_and_delivery_detail(console, make_webhook, receiver):
    webhook = make_webhook()
    delivery = deliveries.webhook_send_test(actor=None, webhook=webhook)
    deliveries.delivery_process(delivery.pk)
    fragment = results(console, f"/console/webhooks/{webhook.pk}/deliveries/?state=delivered")
    assert "<html" not in fragment
    assert "Delivered" in fragment
    assert "No delivery in this state." in results(console, f"/console/webhooks/{webhook.pk}/deliveries/?state=failed")
    detail = html(console.get(f"/console/webhooks/{webhook.pk}/deliveries/{delivery.pk}/"))
    assert ch.TEST_EVENT_URI in detail
    assert str(delivery.event_id) in detail


def test_list_shows_health_and_counters(console, make_webhook, receiver):
    webhook = make_webhook(name="Healthy one")
    deliveries.delivery_process(deliveries.webhook_send_test(actor=None, webhook=webhook).pk)
    page = html(console.get("/console/webhooks/"))
    assert "Healthy one" in page
    assert "Healthy" in page


def test_settings_and_delete(console, root_org, make_webhook):
    response = console.post(
        "/console/webhooks/settings/", {"organization_policy": "IMMEDIATE_EXISTING_AND_FUTURE_ORGS"}
    )
    assert response.status_code == 302
    assert WebhookSettings.objects.get(organization=root_org).organization_policy.startswith("IMMEDIATE")
    webhook = make_webhook()
    assert console.get(f"/console/webhooks/{webhook.pk}/delete/").status_code == 200
    console.post(f"/console/webhooks/{webhook.pk}/delete/")
    assert not Webhook.objects.exists()


def test_permissions(root_org, make_user, signed_in, make_webhook, other_admin):
    viewer = make_user(root_org, "viewer", scopes=["internal_webhook_view"])
    client = signed_in(viewer)
    webhook = make_webhook()
    assert client.get("/console/webhooks/").status_code == 200
    assert client.get(f"/console/webhooks/{webhook.pk}/deliveries/").status_code == 200
    assert client.post(f"/console/webhooks/{webhook.pk}/test/").status_code == 403
    assert client.post(f"/console/webhooks/{webhook.pk}/redeliver/", {"all_failed": "1"}).status_code == 403
    assert client.get("/console/webhooks/new/").status_code == 403
    stranger = signed_in(other_admin)
    assert stranger.get(f"/t/acme/console/webhooks/{webhook.pk}/").status_code == 404
