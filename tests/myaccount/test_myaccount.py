"""My Account: sign-in within exactly one organization, profile, password."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from apps.orgs.models import Organization
from apps.orgs.services import organization_create
from apps.users.models import User
from apps.users.services import user_create
from tests.conftest import ADMIN_PASSWORD

pytestmark = pytest.mark.django_db
PASSWORD = "Secret-pass-456"


def html(response) -> str:
    return response.content.decode()


@pytest.fixture
def alice(root_org: Organization) -> User:
    return user_create(
        actor=None, organization=root_org, username="alice", password=PASSWORD, email="alice@example.com"
    )


@pytest.fixture
def alice_client(alice: User) -> Client:
    client = Client()
    client.force_login(alice)
    return client


def test_site_root_leads_to_my_account_login(root_org: Organization) -> None:
    client = Client()
    response = client.get("/", follow=True)
    assert ("/myaccount/login/?next=/myaccount/", 302) in response.redirect_chain
    assert response.redirect_chain[-1][0] == "/authenticationendpoint/login?next=%2Fmyaccount%2F"
    assert response.status_code == 200


def test_login_and_logout(alice: User) -> None:
    client = Client()
    assert client.get("/myaccount/login/", follow=True).status_code == 200
    response = client.post("/myaccount/login/", {"username": "alice", "password": PASSWORD})
    assert response["Location"] == "/myaccount/"
    page = client.get("/myaccount/")
    assert page.status_code == 200
    assert "alice@example.com" in html(page)
    assert client.get("/myaccount/logout/").status_code == 405
    assert client.post("/myaccount/logout/")["Location"] == "/myaccount/login/"
    assert client.get("/myaccount/").status_code == 302


def test_any_active_user_may_sign_in_without_roles(alice: User) -> None:
    client = Client()
    client.post("/myaccount/login/", {"username": "alice", "password": PASSWORD})
    assert client.get("/myaccount/").status_code == 200
    assert client.get("/console/").status_code == 403  # but the Console stays closed


def test_wrong_password_is_inline(alice: User) -> None:
    response = Client().post("/myaccount/login/", {"username": "alice", "password": "wrong"})
    assert response.status_code == 400
    assert "Incorrect username or password." in html(response)


def test_disabled_user_cannot_sign_in(alice: User) -> None:
    from apps.users.services import user_set_state

    user_set_state(actor=None, user=alice, state=User.State.DISABLED)
    response = Client().post("/myaccount/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 400


def test_tenant_portal_signs_in_the_tenants_user(root_org: Organization, other_admin: User) -> None:
    client = Client()
    response = client.post("/t/acme/myaccount/login/", {"username": "admin", "password": ADMIN_PASSWORD})
    assert response["Location"] == "/t/acme/myaccount/"
    # signed in at acme's root organization (one SSO entry per root, docs/authn.md "SSO sessions")
    assert client.session["iam_sso"][str(other_admin.organization.root_id)]["user"] == str(other_admin.pk)
    page = client.get("/t/acme/myaccount/")
    assert page.status_code == 200
    assert "Acme Corp" in html(page)
    # acme's session does not open root's portal, and root's users do not exist in acme.
    assert client.get("/myaccount/").status_code == 302


def test_root_user_cannot_sign_in_to_another_tenant(alice: User, other_tenant: Organization) -> None:
    response = Client().post("/t/acme/myaccount/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 400


def test_parent_session_does_not_open_a_sub_organization_portal(alice_client: Client, root_org: Organization):
    sub = organization_create(actor=None, parent=root_org, name="Sub", handle="sub")
    response = alice_client.get(f"/t/root/o/{sub.pk}/myaccount/")
    assert response.status_code == 302
    assert response["Location"].startswith(f"/t/root/o/{sub.pk}/myaccount/login/")


def test_edit_profile(alice_client: Client, alice: User) -> None:
    page = alice_client.get("/myaccount/profile/")
    assert page.status_code == 200
    assert 'value="alice@example.com"' in html(page)
    response = alice_client.post(
        "/myaccount/profile/",
        {"given_name": "Alice", "family_name": "Liddell", "email": "a@example.org", "phone": "+94 77 123 4567"},
    )
    assert response["Location"] == "/myaccount/"
    alice.refresh_from_db()
    # names change at once; a new email address and mobile number wait until they are verified
    assert (alice.given_name, alice.family_name, alice.email, alice.phone) == (
        "Alice",
        "Liddell",
        "alice@example.com",
        "",
    )
    assert alice.attributes["pendingEmail"] == "a@example.org"
    assert alice.attributes["pendingMobile"] == "+94 77 123 4567"
    home = html(alice_client.get("/myaccount/"))
    assert "Your profile was saved." in home
    assert 'id="email-verification-banner"' in home


@pytest.mark.parametrize(
    ("data", "field"),
    [({"email": "nope"}, "email"), ({"phone": "letters"}, "phone"), ({"given_name": "x" * 151}, "given_name")],
)
def test_profile_errors_are_inline(alice_client: Client, alice: User, data: dict[str, str], field: str) -> None:
    response = alice_client.post("/myaccount/profile/", data)
    assert response.status_code == 400
    assert f'id="id_{field}_error"' in html(response)
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"


def test_change_password(alice_client: Client, alice: User) -> None:
    assert alice_client.get("/myaccount/password/").status_code == 200
    response = alice_client.post(
        "/myaccount/password/", {"current_password": "wrong", "password": "New-pass-789", "confirm": "New-pass-789"}
    )
    assert response.status_code == 400
    assert (
        '<ul class="errorlist" id="id_current_password_error"><li>The current password is incorrect.</li></ul>'
        in html(response)
    )
    response = alice_client.post(
        "/myaccount/password/", {"current_password": PASSWORD, "password": "New-pass-789", "confirm": "typo"}
    )
    assert response.status_code == 400
    assert 'id="id_confirm_error"' in html(response)
    response = alice_client.post(
        "/myaccount/password/", {"current_password": PASSWORD, "password": "123", "confirm": "123"}
    )
    assert response.status_code == 400
    assert 'id="id_password_error"' in html(response)
    response = alice_client.post(
        "/myaccount/password/", {"current_password": PASSWORD, "password": "New-pass-789", "confirm": "New-pass-789"}
    )
    assert response["Location"] == "/myaccount/"
    alice.refresh_from_db()
    assert alice.check_password("New-pass-789")
    assert alice_client.get("/myaccount/").status_code == 200  # this session survives the change


def test_password_change_ends_other_sessions(alice: User) -> None:
    other = Client()
    other.force_login(alice)
    mine = Client()
    mine.force_login(alice)
    mine.post(
        "/myaccount/password/", {"current_password": PASSWORD, "password": "New-pass-789", "confirm": "New-pass-789"}
    )
    assert other.get("/myaccount/").status_code == 302


@pytest.mark.parametrize("path", ["/myaccount/", "/myaccount/profile/", "/myaccount/password/"])
def test_pages_have_strict_csp_and_csrf(alice_client: Client, path: str) -> None:
    response = alice_client.get(path)
    assert response.status_code == 200
    assert "'unsafe-inline'" not in re.search(r"script-src ([^;]*)", response["Content-Security-Policy"]).group(1)
    body = html(response)
    assert " style=" not in body
    assert "<style" not in body
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body) is None
    for form in re.findall(r"<form[^>]*method=\"post\"[^>]*>.*?</form>", body, flags=re.S):
        assert "csrfmiddlewaretoken" in form
