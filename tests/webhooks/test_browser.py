"""In a real browser: the delivery log shows a failed event; once the receiver is up,
"Redeliver selected" delivers it (same jti)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from apps.orgs.models import Organization
from apps.webhooks import channels as ch
from apps.webhooks.models import WebhookDelivery
from apps.webhooks.services import webhook_create
from tests.browser_fixtures import E2E_ADMIN_PASSWORD
from tests.webhooks.conftest import SECRET

pytestmark = pytest.mark.browser


def test_failed_event_is_redelivered_from_the_delivery_log(
    live_server: Any, bootstrapped: None, page: Any, artifacts: Path, receiver: Any, eager: None, settings: Any
) -> None:
    from playwright.sync_api import expect

    settings.IAM_WEBHOOK_MAX_ATTEMPTS = 1  # the first failure is final: only a redelivery can send it
    root = Organization.objects.get(handle="root")
    webhook = webhook_create(
        actor=None,
        organization=root,
        name="CRM sync",
        endpoint=receiver.url(),
        channels=[ch.channel_uri("login")],
        secret=SECRET,
        status="ACTIVE",
    )
    receiver.down()

    # Signing in is itself a login event: it fails to reach the receiver, which is down.
    page.goto(f"{live_server.url}/console/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(E2E_ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Webhooks", exact=True).click()
    expect(page.locator("#webhook-table")).to_contain_text("CRM sync")
    page.get_by_role("link", name="CRM sync").click()
    page.get_by_role("link", name="Delivery log").click()

    row = page.locator("#delivery-table tbody tr").first
    expect(row).to_contain_text("loginSuccess")
    expect(row).to_contain_text("Failed")
    expect(row).to_contain_text("connection refused")
    page.screenshot(path=str(artifacts / "delivery-log-failed.png"), full_page=True)
    delivery = WebhookDelivery.objects.get(webhook=webhook)
    assert delivery.state == "DEAD"

    receiver.up()
    row.get_by_role("checkbox").check()
    page.get_by_role("button", name="Redeliver selected").click()
    expect(page.get_by_role("status")).to_contain_text("1 event(s) scheduled for redelivery.")
    row = page.locator(f'#delivery-table tr[data-delivery="{delivery.pk}"]')
    expect(row).to_contain_text("Delivered")
    expect(row).to_contain_text("200")
    page.screenshot(path=str(artifacts / "delivery-log-redelivered.png"), full_page=True)

    (item,) = receiver.received
    assert item.jti == str(delivery.event_id)
    assert item.signed_with(SECRET)
    assert item.event_type.endswith("/login/event-type/loginSuccess")
