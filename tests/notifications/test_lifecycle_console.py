"""Console: pending states visible and filterable in the user list (and the same through SCIM
filters), bulk resend from the list, invite / force reset / resend on the user page, and the
"invite" option when creating a user."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.cache import cache

from apps.notifications.models import Message, OneTimeCode
from apps.notifications.services import notification_settings_update
from apps.notifications.services.lifecycle import password_reset_force, user_invite
from apps.notifications.services.verification import email_verification_start, profile_update_by_owner
from apps.users.models import User
from apps.users.services import user_set_state
from tests.scim.conftest import WSO2, ScimClient


@pytest.fixture(autouse=True)
def _no_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def population(root_org, make_user) -> dict[str, User]:
    """One user per state the Console filters by (codes only queued: nothing to deliver here)."""
    notification_settings_update(actor=None, organization=root_org, otp_resend_cooldown_seconds=0)
    users = {
        name: make_user(root_org, name, email=f"{name}@example.org", phone="+15550007777")
        for name in ("reset", "invited", "unverified", "newmobile", "locked", "disabled", "plain")
    }
    password_reset_force(actor=None, user=users["reset"])
    user_invite(actor=None, user=users["invited"], method="email_otp")
    user_set_state(actor=None, user=users["unverified"], state=User.State.PENDING_EMAIL_VERIFICATION)
    email_verification_start(actor=None, user=users["unverified"])
    profile_update_by_owner(user=users["newmobile"], changes={"phone": "+15550008888"})
    user_set_state(actor=None, user=users["locked"], state=User.State.LOCKED)
    user_set_state(actor=None, user=users["disabled"], state=User.State.DISABLED)
    return users


def listed(page: Any) -> list[str]:
    table = page.content.decode().split('id="user-table"', 1)
    return re.findall(r'/console/users/[0-9a-f-]{36}/">([^<]+)</a>', table[1]) if len(table) == 2 else []


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("pending_password_reset", ["reset"]),
        ("pending_ask_password", ["invited"]),
        ("pending_email_verification", ["unverified"]),
        ("pending_mobile_verification", ["newmobile"]),
        ("locked", ["locked"]),
        ("disabled", ["disabled"]),
    ],
)
def test_console_user_list_filters_by_each_pending_state(population, admin_user, signed_in, state, expected):
    console = signed_in(admin_user)
    page = console.get("/console/users/", {"state": state})
    assert page.status_code == 200
    assert listed(page) == expected
    fragment = console.get("/console/users/", {"state": state}, HTTP_HX_REQUEST="true")
    assert listed(fragment) == expected


def test_the_same_states_filter_through_scim(population, admin_user, mint_token):
    scim = ScimClient("root", f"Bearer {mint_token(admin_user)}")

    def names(filter_: str) -> list[str]:
        response = scim.get("/Users", {"filter": filter_})
        assert response.status_code == 200, response.content
        return sorted(r["userName"] for r in response.json()["Resources"])

    assert names(f'{WSO2}:accountState eq "PENDING_FUPR"') == ["reset"]
    assert names(f'{WSO2}:accountState eq "PENDING_AP"') == ["invited"]
    assert names(f'{WSO2}:accountState eq "PENDING_EV"') == ["unverified"]
    assert names(f"{WSO2}:accountLocked eq true") == ["locked"]
    assert names(f"{WSO2}:accountDisabled eq true") == ["disabled"]
    assert names(f'{WSO2}:accountState eq "PENDING_AP" or {WSO2}:accountState eq "PENDING_FUPR"') == [
        "invited",
        "reset",
    ]
    assert names(f"{WSO2}:pendingMobileNumber pr") == ["newmobile"]
    assert names(f'{WSO2}:pendingMobileNumber eq "+15550008888"') == ["newmobile"]
    assert names(f"{WSO2}:emailVerified eq false") == ["unverified"]


def test_bulk_resend_from_the_list_sends_to_the_pending_users_only(population, admin_user, signed_in):
    console = signed_in(admin_user)
    before = Message.objects.count()
    picked = [population[name].pk for name in ("reset", "invited", "plain", "newmobile")]
    response = console.post("/console/users/resend/", {"user": picked, "back": "?state="}, follow=True)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Sent again to 3 users." in text
    assert "1 selected user was not waiting for anything." in text
    assert Message.objects.count() == before + 3
    # A resend replaces the invitation code (the first one no longer works).
    codes = OneTimeCode.objects.filter(user=population["invited"], purpose="ask_password").order_by("created")
    assert codes.count() == 2
    assert codes[0].invalidated_at is not None
    assert codes[1].resend_count == 1


def test_user_page_shows_the_pending_state_and_forces_an_offline_reset(root_org, make_user, admin_user, signed_in):
    hugo = make_user(root_org, "hugo", email="hugo@example.org")
    console = signed_in(admin_user)
    page = console.get(f"/console/users/{hugo.pk}/")
    assert b"Force password reset" in page.content
    done = console.post(f"/console/users/{hugo.pk}/force-reset/", {"method": "offline"}, follow=True)
    text = done.content.decode()
    code = re.search(r"One-time code for “hugo”: ([0-9]{6})", text).group(1)
    assert "the old one no longer works" in text  # the pending banner
    hugo.refresh_from_db()
    assert hugo.state == User.State.PENDING_PASSWORD_RESET
    assert Message.objects.filter(recipient="hugo@example.org").count() == 0  # offline: nothing sent
    from apps.authn.services.lockout import password_authenticate

    assert not password_authenticate(organization=root_org, username="hugo", password="Secret-pass-456").ok
    assert password_authenticate(organization=root_org, username="hugo", password=code).ok


def test_new_user_with_an_invitation(root_org, admin_user, signed_in):
    console = signed_in(admin_user)
    response = console.post(
        "/console/users/new/",
        {"username": "june", "email": "june@example.org", "password": "", "invite": "email_link"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    june = User.objects.get(organization=root_org, username="june")
    assert june.state == User.State.PENDING_ASK_PASSWORD
    assert not june.has_usable_password()
    assert Message.objects.filter(recipient="june@example.org", template_type="ask_password_link").exists()

    refused = console.post("/console/users/new/", {"username": "kim", "invite": "email_otp"})
    assert refused.status_code == 400  # no email address to invite: and no half-made user
    assert not User.objects.filter(organization=root_org, username="kim").exists()
