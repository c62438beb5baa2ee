"""The Console's OTP settings page in a sub-organization: each value says where it is inherited
from; changing a value (or ticking "Override") makes it the organization's own, and "Revert to
inherited" follows the parent again. Root → Alpha (depth 1) → Alpha One (depth 2)."""

from __future__ import annotations

import re

import pytest

from apps.notifications.services import notification_settings_get, notification_settings_update
from apps.notifications.services.settings import notification_settings_resolve
from apps.orgs.services import organization_create

pytestmark = pytest.mark.django_db
PAGE = "/console/notifications/settings/"


@pytest.fixture
def branch(root_org):
    alpha = organization_create(actor=None, parent=root_org, name="Alpha", handle="alpha")
    alpha_one = organization_create(actor=None, parent=alpha, name="Alpha One", handle="alpha-one")
    return alpha, alpha_one


@pytest.fixture
def console(signed_in, admin_user):
    return signed_in(admin_user)


def _url(org) -> str:
    return f"/t/root/o/{org.id}{PAGE}"


def _source_line(page: str, field: str) -> str:
    """The "Inherited from …" / "Overridden …" line under ``field``, as the administrator reads it."""
    match = re.search(rf'data-inheritance="{field}">(.*?)</p>', page, re.S)
    assert match, f"no inheritance line for {field}"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def _form_data(org, **changes):
    current = notification_settings_get(organization=org)
    data = {
        "otp_length": current.otp_length,
        "otp_ttl_seconds": current.otp_ttl_seconds,
        "otp_max_attempts": current.otp_max_attempts,
        "otp_resend_cooldown_seconds": current.otp_resend_cooldown_seconds,
        "link_ttl_seconds": current.link_ttl_seconds,
        "default_locale": current.default_locale,
    }
    for flag in ("otp_use_digits", "otp_use_uppercase", "otp_use_lowercase"):
        if getattr(current, flag):
            data[flag] = "on"
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_sub_organization_page_shows_sources_override_and_revert(console, root_org, branch):
    alpha, alpha_one = branch
    notification_settings_update(actor=None, organization=root_org, otp_length=8)

    page = console.get(_url(alpha)).content.decode()
    assert _source_line(page, "otp_length").startswith("Inherited from Root")
    assert 'name="override" value="otp_length"' in page
    assert 'value="8"' in page

    # Changing one value at depth 1 makes only that value Alpha's own.
    saved = console.post(_url(alpha), _form_data(alpha, otp_length=6))
    assert saved.status_code == 302
    assert notification_settings_get(organization=alpha_one).otp_length == 6
    resolution = notification_settings_resolve(organization=alpha_one)
    assert resolution.source("otp_length") == alpha.id
    assert resolution.source("otp_ttl_seconds") == root_org.id  # untouched values stay inherited
    page = console.get(_url(alpha)).content.decode()
    assert _source_line(page, "otp_length").startswith("Overridden in this organization")
    assert 'name="revert" value="otp_length"' in page
    assert _source_line(page, "otp_ttl_seconds").startswith("Inherited from Root")
    deep = console.get(_url(alpha_one)).content.decode()
    assert _source_line(deep, "otp_length").startswith("Inherited from Alpha")

    # "Override" without changing the value pins the current value here.
    pinned = console.post(_url(alpha), {**_form_data(alpha), "override": "otp_ttl_seconds"})
    assert pinned.status_code == 302
    assert notification_settings_resolve(organization=alpha).source("otp_ttl_seconds") == alpha.id
    notification_settings_update(actor=None, organization=root_org, otp_ttl_seconds=900)
    assert notification_settings_get(organization=alpha).otp_ttl_seconds != 900

    # Revert: Alpha and Alpha One follow the root again.
    reverted = console.post(_url(alpha), {**_form_data(alpha), "revert": "otp_length"}, follow=True)
    assert "The setting is inherited again." in reverted.content.decode()
    assert notification_settings_get(organization=alpha_one).otp_length == 8
    assert _source_line(console.get(_url(alpha)).content.decode(), "otp_length").startswith("Inherited from Root")


def test_an_invalid_override_is_refused_inline(console, root_org, branch):
    alpha, _alpha_one = branch
    response = console.post(_url(alpha), _form_data(alpha, otp_length=3))
    assert response.status_code == 400
    assert "OTP length must be between 4 and 10." in response.content.decode()
    assert notification_settings_resolve(organization=alpha).inherited("otp_length")


def test_root_page_has_no_inheritance_controls(console, root_org, branch):
    page = console.get(PAGE).content.decode()
    assert "data-inheritance" not in page
    assert 'name="override"' not in page
    assert console.post(PAGE, _form_data(root_org, otp_length=7)).status_code == 302
    assert notification_settings_get(organization=branch[1]).otp_length == 7


def test_viewer_sees_sources_but_cannot_save(signed_in, root_org, branch, make_user):
    alpha, _alpha_one = branch
    viewer = make_user(root_org, "viewer", scopes=["internal_notification_sender_mgt_view"])
    client = signed_in(viewer)
    page = client.get(_url(alpha)).content.decode()
    assert _source_line(page, "otp_length").startswith("Inherited")
    assert 'name="override"' not in page
    assert client.post(_url(alpha), _form_data(alpha, otp_length=6)).status_code == 403
    assert notification_settings_resolve(organization=alpha).inherited("otp_length")
