"""One SSO session per root organization: a browser signed in at root (``/``) and at acme
(``/t/acme/``) keeps both, each with its own user, AuthSession row and logout."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from apps.authn.models import AuthSession
from apps.authn.services.backchannel import app_login_settings_update
from apps.authn.services.sessions import session_revoke
from tests.authn.conftest import LOGIN, PASSWORD, authorize_params, flow_id, is_code, is_portal
from tests.authn.logout_receiver import logout_receiver
from tests.conftest import ADMIN_PASSWORD

pytestmark = pytest.mark.django_db

ACME = "/t/acme"


@pytest.fixture
def acme_app(other_tenant: Any, make_app: Any) -> Any:
    return make_app(other_tenant, name="acme-web")


def sign_in_at(browser: Client, prefix: str, app: Any, username: str, password: str) -> None:
    """Authorize ``app`` under ``prefix`` through that tenant's portal and get a code."""
    response = browser.get(f"{prefix}/oauth2/authorize", authorize_params(app))
    assert response.status_code == 302
    assert response["Location"].startswith(f"{prefix}{LOGIN}")
    page = browser.get(response["Location"])
    done = browser.post(f"{prefix}{LOGIN}", {"flow": flow_id(page), "username": username, "password": password})
    assert done.status_code == 302, done.content.decode()[:500]
    assert is_code(browser.get(done["Location"]))


def signed_in_as(browser: Client, prefix: str) -> str | None:
    """The username My Account under ``prefix`` shows, or None when it sends the browser to sign in."""
    response = browser.get(f"{prefix}/myaccount/")
    if response.status_code == 302:
        return None
    assert response.status_code == 200
    page = response.content.decode()
    return page.split("<dd>", 1)[1].split("</dd>", 1)[0]


def test_a_browser_is_signed_in_at_two_root_organizations_at_once(
    alice: Any, other_admin: Any, app_a: Any, acme_app: Any
) -> None:
    browser = Client()
    sign_in_at(browser, "", app_a, "alice", PASSWORD)
    sign_in_at(browser, ACME, acme_app, "admin", ADMIN_PASSWORD)

    assert signed_in_as(browser, "") == "alice"
    assert signed_in_as(browser, ACME) == "admin"
    assert browser.get(f"{ACME}/console/").status_code == 200  # acme's admin, in acme's Console
    root_console = browser.get("/console/")
    assert root_console.status_code == 403  # alice in root's Console: signed in, no permission
    rows = AuthSession.objects.filter(revoked_at__isnull=True)
    assert sorted((row.organization.handle, row.user.username) for row in rows) == [
        ("acme", "admin"),
        ("root", "alice"),
    ]
    assert not AuthSession.objects.filter(ended_reason="replaced").exists()
    # single sign-on still works at each root, each with its own user
    assert is_code(browser.get("/oauth2/authorize", authorize_params(app_a)))
    assert is_code(browser.get(f"{ACME}/oauth2/authorize", authorize_params(acme_app)))


def test_logout_at_one_root_leaves_the_other_signed_in_and_notifies_only_its_applications(
    alice: Any, other_admin: Any, app_a: Any, acme_app: Any, django_capture_on_commit_callbacks: Any, eager_celery: Any
) -> None:
    with logout_receiver() as receiver:
        for app, path in ((app_a, "/root-app"), (acme_app, "/acme-app")):
            app_login_settings_update(
                actor=None, application=app.application, backchannel_logout_uri=receiver.url(path)
            )
        browser = Client()
        sign_in_at(browser, "", app_a, "alice", PASSWORD)
        sign_in_at(browser, ACME, acme_app, "admin", ADMIN_PASSWORD)
        with django_capture_on_commit_callbacks(execute=True):
            assert browser.post(LOGIN.replace("login", "logout")).status_code == 200
        assert len(receiver.tokens_for("/root-app")) == 1
        assert receiver.tokens_for("/acme-app") == []

    assert signed_in_as(browser, "") is None
    assert signed_in_as(browser, ACME) == "admin"
    assert AuthSession.objects.get(user=alice).ended_reason == "logout"
    assert AuthSession.objects.get(user=other_admin).revoked_at is None
    assert is_portal(browser.get("/oauth2/authorize", authorize_params(app_a)))
    assert is_code(browser.get(f"{ACME}/oauth2/authorize", authorize_params(acme_app)))

    # logging out of the last root organization ends the Django session
    browser.post(f"{ACME}{LOGIN.replace('login', 'logout')}")
    assert signed_in_as(browser, ACME) is None
    assert "sessionid" not in browser.cookies or not browser.cookies["sessionid"].value


def test_revoking_the_session_at_one_root_signs_out_only_there(
    alice: Any, other_admin: Any, app_a: Any, acme_app: Any
) -> None:
    browser = Client()
    sign_in_at(browser, "", app_a, "alice", PASSWORD)
    sign_in_at(browser, ACME, acme_app, "admin", ADMIN_PASSWORD)
    session_revoke(actor=other_admin, session=AuthSession.objects.get(user=other_admin))
    assert signed_in_as(browser, ACME) is None
    assert signed_in_as(browser, "") == "alice"


def test_another_user_of_the_same_root_replaces_the_session_there_only(
    alice: Any, make_user: Any, root_org: Any, other_admin: Any, app_a: Any, acme_app: Any
) -> None:
    make_user(root_org, "bob")
    browser = Client()
    sign_in_at(browser, "", app_a, "alice", PASSWORD)
    sign_in_at(browser, ACME, acme_app, "admin", ADMIN_PASSWORD)
    first = browser.get("/authenticationendpoint/login", {"fresh": "1"})
    browser.post(LOGIN, {"flow": flow_id(first), "username": "bob", "password": PASSWORD})
    assert signed_in_as(browser, "") == "bob"
    assert signed_in_as(browser, ACME) == "admin"
    assert AuthSession.objects.get(user=alice).ended_reason == "replaced"
    assert AuthSession.objects.get(user=other_admin).revoked_at is None


def test_an_old_style_session_counts_only_in_its_users_root_and_survives_a_sign_in_elsewhere(
    alice: Any, other_admin: Any, acme_app: Any
) -> None:
    browser = Client()
    browser.force_login(alice)  # django.contrib.auth's session keys, no per-root entry
    assert signed_in_as(browser, ACME) is None
    sign_in_at(browser, ACME, acme_app, "admin", ADMIN_PASSWORD)
    assert signed_in_as(browser, "") == "alice"
    assert signed_in_as(browser, ACME) == "admin"
