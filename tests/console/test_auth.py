"""Console sign-in, sign-out and page security."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from apps.orgs.models import Organization
from apps.users.models import User
from tests.conftest import ADMIN_PASSWORD
from tests.console.conftest import PASSWORD, html

pytestmark = pytest.mark.django_db


def test_login_page_renders_with_csrf_token(root_org: Organization) -> None:
    response = Client().get("/console/login/", follow=True)  # the login portal
    assert response.redirect_chain[-1][0] == "/authenticationendpoint/login?next=%2Fconsole%2F"
    assert response.status_code == 200
    assert 'name="csrfmiddlewaretoken"' in html(response)
    assert "Sign in" in html(response)


def test_anonymous_dashboard_redirects_to_login(root_org: Organization) -> None:
    response = Client().get("/console/users/")
    assert response.status_code == 302
    assert response["Location"] == "/console/login/?next=/console/users/"


def test_login_with_password_then_next(admin_user: User) -> None:
    client = Client()
    response = client.post(
        "/console/login/", {"username": "admin", "password": ADMIN_PASSWORD, "next": "/console/users/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/console/users/"
    assert client.get("/console/").status_code == 200


def test_login_ignores_offsite_next(admin_user: User) -> None:
    response = Client().post(
        "/console/login/", {"username": "admin", "password": ADMIN_PASSWORD, "next": "https://evil.example/"}
    )
    assert response["Location"] == "/console/"


def test_wrong_password_shows_inline_error(admin_user: User) -> None:
    client = Client()
    response = client.post("/console/login/", {"username": "admin", "password": "nope"})
    assert response.status_code == 400
    assert "Incorrect username or password." in html(response)
    assert client.get("/console/").status_code == 302


def test_empty_login_form_shows_field_errors(root_org: Organization) -> None:
    response = Client().post("/console/login/", {"username": "", "password": ""})
    assert response.status_code == 400
    assert 'id="id_username_error"' in html(response)


def test_user_without_roles_cannot_sign_in(root_org: Organization, make_user) -> None:
    make_user(root_org, "plain")
    client = Client()
    response = client.post("/console/login/", {"username": "plain", "password": PASSWORD})
    # the login portal signs the user in (SSO for My Account and apps), but the Console stays closed
    assert response["Location"] == "/console/"
    assert client.get("/console/").status_code == 403


def test_user_without_roles_is_forbidden_even_with_a_session(root_org: Organization, make_user, signed_in) -> None:
    client = signed_in(make_user(root_org, "plain"))
    assert client.get("/console/").status_code == 403
    assert client.get("/console/users/").status_code == 403


def test_locked_admin_session_no_longer_opens_the_console(admin_user: User, console: Client) -> None:
    from apps.users.services import user_set_state

    user_set_state(actor=None, user=admin_user, state=User.State.LOCKED)
    assert console.get("/console/").status_code == 302


def test_logout_is_post_only(console: Client) -> None:
    assert console.get("/console/logout/").status_code == 405
    response = console.post("/console/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/console/login/"
    assert console.get("/console/").status_code == 302


def test_tenant_login_stays_in_tenant(other_admin: User) -> None:
    client = Client()
    response = client.post("/t/acme/console/login/", {"username": "admin", "password": ADMIN_PASSWORD})
    assert response["Location"] == "/t/acme/console/"
    page = client.get("/t/acme/console/")
    assert page.status_code == 200
    assert "Acme Corp" in html(page)
    assert 'href="/t/acme/console/users/"' in html(page)


def test_csrf_enforced_on_console_forms(admin_user: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    response = client.post("/console/users/new/", {"username": "csrf-victim"})
    assert response.status_code == 403
    assert not User.objects.filter(username="csrf-victim").exists()


@pytest.mark.parametrize(
    "path",
    [
        "/console/",
        "/console/organizations/",
        "/console/organizations/new/",
        "/console/users/",
        "/console/users/new/",
        "/console/groups/",
        "/console/groups/new/",
        "/console/roles/",
        "/console/roles/new/",
    ],
)
def test_pages_render_with_strict_csp_and_no_inline_code(console: Client, path: str) -> None:
    response = console.get(path)
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]*)", csp).group(1)
    assert "'unsafe-inline'" not in script_src
    assert "'unsafe-inline'" not in re.search(r"style-src ([^;]*)", csp).group(1)
    body = html(response)
    assert " style=" not in body
    assert "<style" not in body
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body) is None, "inline <script>"
    assert re.search(r"\son[a-z]+=", body) is None, "inline event handler"
    for form in re.findall(r"<form[^>]*method=\"post\"[^>]*>.*?</form>", body, flags=re.S):
        assert "csrfmiddlewaretoken" in form


def test_expired_session_during_htmx_search_reloads_to_login(root_org: Organization) -> None:
    response = Client().get("/console/users/?q=a", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/console/login/?next=/console/users/%3Fq%3Da"


def test_console_pages_are_not_cached(console: Client) -> None:
    assert "no-store" in console.get("/console/users/")["Cache-Control"]
