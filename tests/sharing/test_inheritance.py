"""Acceptance (issue 8): inheritance with override and revert through one resolver.

Root → A (depth 1) → A1 (depth 2); B is A's sibling. A password change at depth 2 is the proof."""

from __future__ import annotations

import re

import pytest
from rest_framework.test import APIClient

from apps.authn.services.settings import login_settings_for, login_settings_revert, login_settings_update
from apps.core.errors import InvalidInput
from apps.notifications.services import notification_settings_get, notification_settings_update
from apps.orgs.inheritance import _cache, settings_resolve
from apps.users.services import user_set_password
from tests.conftest import USER_PASSWORD

ADMIN_SCOPES = ["internal_org_organization_view", "internal_org_organization_update"]


def _password_change(user, new: str) -> bool:
    """What the user sees: the new password is accepted (True) or refused by the policy (False)."""
    try:
        user_set_password(actor=user, user=user, password=new, current_password=USER_PASSWORD)
    except InvalidInput:
        return False
    user.set_password(USER_PASSWORD)  # back, for the next attempt
    user.save(update_fields=["password"])
    return True


def test_root_policy_flows_down_override_at_depth_1_and_revert(tree, root_org, make_user):
    gina = make_user(tree.a1, "gina")
    assert settings_resolve(tree.a1, "login").source("password_min_length") is None  # the system default
    assert _password_change(gina, "ten-chars!")  # default minimum: 8

    login_settings_update(actor=None, organization=root_org, password_min_length=12)
    assert login_settings_for(tree.a1).password_min_length == 12  # visible at once
    assert not _password_change(gina, "ten-chars!")
    assert _password_change(gina, "twelve-chars!")

    # A overrides: A and A1 follow A, the root and B keep the root's value.
    login_settings_update(actor=None, organization=tree.a, password_min_length=9)
    assert [login_settings_for(org).password_min_length for org in (root_org, tree.a, tree.a1, tree.b)] == [
        12,
        9,
        9,
        12,
    ]
    assert _password_change(gina, "ten-chars!")
    resolution = settings_resolve(tree.a1, "login")
    assert resolution.source("password_min_length") == tree.a.id
    assert resolution.source("lockout_max_failures") == root_org.id  # the root's row holds every value
    assert resolution.source("password_max_length") == root_org.id  # the root's row holds every value

    # A root change of another property still reaches A1 while A's override stays.
    login_settings_update(actor=None, organization=root_org, password_min_digits=2)
    assert not _password_change(gina, "ten-chars!")
    assert _password_change(gina, "nine-ch12")

    # Revert at A: inheritance from the root again, for A and A1.
    login_settings_revert(actor=None, organization=tree.a, names=["password_min_length"])
    assert login_settings_for(tree.a).password_min_length == 12
    assert not _password_change(gina, "nine-ch12")
    assert settings_resolve(tree.a1, "login").source("password_min_length") == root_org.id


def test_cached_resolutions_follow_changes_made_elsewhere(tree, root_org):
    assert login_settings_for(tree.a1).lockout_max_failures == 5
    assert (tree.a1.pk, "login") in _cache._entries
    # Another process changes the root: it bumps the tree's stamp; our cached entry is then stale.
    from apps.authn.models import LoginSettings
    from apps.orgs.inheritance import inheritance_changed

    LoginSettings.objects.create(organization=root_org, lockout_max_failures=3)
    saved = dict(_cache._entries)
    inheritance_changed(root_org)
    _cache._entries.update(saved)  # as if this process had not seen the change locally
    assert login_settings_for(tree.a1).lockout_max_failures == 3


def test_invalid_overrides_are_refused_with_the_root_rules(tree, root_org):
    for fields, code in (
        ({"password_min_length": 0}, "ALS-60002"),
        ({"lockout_enabled": "yes"}, "ALS-60001"),
        ({"no_such_setting": 1}, "ALS-60003"),
        ({"password_max_length": 6}, "ALS-60004"),  # below the inherited minimum of 8
        ({"session_hours": 2}, "ALS-60005"),  # WSO2: always inherited from the root
    ):
        with pytest.raises(InvalidInput) as refused:
            login_settings_update(actor=None, organization=tree.a, **fields)
        assert refused.value.code == code
    assert not settings_resolve(tree.a, "login").values["password_max_length"] == 6
    with pytest.raises(InvalidInput):
        notification_settings_update(actor=None, organization=tree.a, otp_length=99)


def test_notification_settings_inherit_override_and_revert(tree, root_org):
    from apps.notifications.services.settings import notification_settings_revert

    notification_settings_update(actor=None, organization=root_org, otp_length=8)
    assert notification_settings_get(organization=tree.a1).otp_length == 8
    notification_settings_update(actor=None, organization=tree.a, otp_length=5)
    assert [notification_settings_get(organization=o).otp_length for o in (root_org, tree.a, tree.a1, tree.b)] == [
        8,
        5,
        5,
        8,
    ]
    notification_settings_revert(actor=None, organization=tree.a, names=["otp_length"])
    assert notification_settings_get(organization=tree.a1).otp_length == 8


@pytest.fixture
def alpha_admin(tree, make_user):
    return make_user(tree.a, "alpha-admin", ADMIN_SCOPES)


def test_governance_api_in_a_sub_organization_shows_sources_and_reverts(tree, root_org, alpha_admin, mint_token):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {mint_token(alpha_admin, ADMIN_SCOPES)}")
    base = f"/t/root/o/{tree.a.id}/api/server/v1/identity-governance"
    category = api.get(base).json()[0]
    connector = next(c for c in category["connectors"] if c["name"] == "passwordPolicy")
    url = f"{base}/{category['id']}/connectors/{connector['id']}"
    login_settings_update(actor=None, organization=root_org, password_min_length=10)

    props = {p["name"]: p for p in api.get(url).json()["properties"]}
    assert props["passwordPolicy.min.length"]["value"] == "10"
    assert props["passwordPolicy.min.length"]["inherited"] is True
    assert props["passwordPolicy.min.length"]["source"]["name"] == "Root"

    patch = {"operation": "UPDATE", "properties": [{"name": "passwordPolicy.min.length", "value": "14"}]}
    changed = api.patch(url, patch, format="json")
    assert changed.status_code == 200, changed.content
    props = {p["name"]: p for p in changed.json()["properties"]}
    assert props["passwordPolicy.min.length"]["value"] == "14"
    assert props["passwordPolicy.min.length"]["inherited"] is False
    assert login_settings_for(tree.a1).password_min_length == 14

    bad = {"operation": "UPDATE", "properties": [{"name": "passwordPolicy.min.length", "value": "0"}]}
    assert api.patch(url, bad, format="json").status_code == 400

    reverted = api.post(
        f"{base}/{category['id']}/connectors/revert?connectorId={connector['id']}",
        {"properties": ["passwordPolicy.min.length"]},
        format="json",
    )
    assert reverted.status_code == 200, reverted.content
    props = {p["name"]: p for p in reverted.json()["properties"]}
    assert props["passwordPolicy.min.length"]["value"] == "10"
    assert props["passwordPolicy.min.length"]["inherited"] is True
    empty = api.post(
        f"{base}/{category['id']}/connectors/revert?connectorId={connector['id']}", {"properties": []}, format="json"
    )
    assert empty.status_code == 400
    # Without a token: refused.
    assert APIClient().get(url).status_code == 401


def test_console_shows_inherited_values_with_override_and_revert(tree, root_org, alpha_admin, signed_in):
    login_settings_update(actor=None, organization=root_org, password_min_length=11)
    console = signed_in(alpha_admin)
    url = f"/t/root/o/{tree.a.id}/console/login-settings/"
    page = console.get(url)
    assert page.status_code == 200, page.status_code
    html = page.content.decode()
    block = re.search(r'data-inheritance="password_min_length">(.*?)</p>', html, re.S).group(1)
    assert "Inherited from Root" in block
    assert 'name="override" value="password_min_length"' in block
    assert "Always inherited from" in re.search(r'data-inheritance="session_hours">(.*?)</p>', html, re.S).group(1)

    form = {
        name: value
        for name, value in re.findall(r'<input[^>]*name="([a-z_]+)"[^>]*value="([^"]*)"', html)
        if name not in ("csrfmiddlewaretoken", "override")
    }
    form.update({"password_min_length": "11", "override": "lockout_max_failures", "lockout_enabled": "on"})
    saved = console.post(url, form)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    resolution = settings_resolve(tree.a, "login")
    assert not resolution.inherited("lockout_max_failures")  # ticked "Override"
    assert resolution.inherited("password_min_length")  # unchanged and not ticked: still inherited
    html = console.get(url).content.decode()
    block = re.search(r'data-inheritance="lockout_max_failures">(.*?)</p>', html, re.S).group(1)
    assert "Overridden in this organization" in block
    assert 'name="revert" value="lockout_max_failures"' in block

    assert console.post(url, {"revert": "lockout_max_failures"}).status_code == 302
    assert settings_resolve(tree.a, "login").inherited("lockout_max_failures")


def test_a_custom_attribute_of_the_root_is_usable_in_a_sub_organization(
    tree, root_org, make_user, mint_token, signed_in
):
    """Without sharing anything: SCIM in A1 and My Account of an A1 user know the root's attribute."""
    from apps.attributes.services import local_claim_create
    from apps.users.models import User
    from tests.scim.conftest import CUSTOM, ScimClient

    local_claim_create(
        actor=None,
        organization=root_org,
        claim_uri="http://wso2.org/claims/salesregion",
        display_name="Sales region",
        supported_by_default=True,
    )
    scopes = ["internal_org_user_mgt_create", "internal_org_user_mgt_view", "internal_org_user_mgt_list"]
    admin = make_user(tree.a1, "a1-admin", scopes)
    scim = ScimClient("root", f"Bearer {mint_token(admin, scopes)}")
    base = f"/t/root/o/{tree.a1.id}/scim2"
    created = scim.post(
        f"{base}/Users",
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "hana",
            "password": USER_PASSWORD,
            CUSTOM: {"salesregion": "Kansai"},
        },
    )
    assert created.status_code == 201, created.content
    assert created.json()[CUSTOM]["salesregion"] == "Kansai"
    found = scim.get(f"{base}/Users", {"filter": f'{CUSTOM}:salesregion eq "Kansai"'}).json()
    assert [r["userName"] for r in found["Resources"]] == ["hana"]
    schema = scim.get(f"{base}/Schemas/{CUSTOM}")
    assert schema.status_code == 200
    assert "salesregion" in schema.content.decode()

    hana = User.objects.get(organization=tree.a1, username="hana")
    page = signed_in(hana).get(f"/t/root/o/{tree.a1.id}/myaccount/profile/")
    assert page.status_code == 200, page.status_code
    assert "Sales region" in page.content.decode()
    assert "Kansai" in page.content.decode()
