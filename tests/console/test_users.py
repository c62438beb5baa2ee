"""Users pages: search (full page and htmx fragment), pagination, create, edit, state, password, delete."""

from __future__ import annotations

import pytest
from django.test import Client

from apps.orgs.models import Organization
from apps.users.models import User
from tests.console.conftest import PASSWORD, html

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(root_org: Organization, make_user) -> dict[str, User]:
    return {
        "alice": make_user(root_org, "alice", email="alice@example.com", given_name="Alice", family_name="Liddell"),
        "bob": make_user(root_org, "bob", email="bob@example.org", given_name="Bob"),
    }


def test_list_full_page_and_htmx_fragment(console: Client, people: dict[str, User]) -> None:
    full = console.get("/console/users/?q=alice")
    assert full.status_code == 200
    assert "<html" in html(full)
    assert 'id="results"' in html(full)
    assert "alice@example.com" in html(full)
    assert "bob@example.org" not in html(full)
    fragment = console.get("/console/users/?q=alice", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    body = html(fragment)
    assert "<html" not in body
    assert 'class="sidebar"' not in body
    assert "alice@example.com" in body
    assert "bob@example.org" not in body
    assert "HX-Request" in fragment["Vary"]


def test_history_restore_gets_the_full_page(console: Client, people: dict[str, User]) -> None:
    response = console.get("/console/users/", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in html(response)


def test_search_by_name_and_state_filter(console: Client, people: dict[str, User]) -> None:
    from apps.users.services import user_set_state

    user_set_state(actor=None, user=people["bob"], state=User.State.LOCKED)
    body = html(console.get("/console/users/?q=Liddell", headers={"HX-Request": "true"}))
    assert "alice" in body
    assert "bob@" not in body
    body = html(console.get("/console/users/?state=locked", headers={"HX-Request": "true"}))
    assert "bob@example.org" in body
    assert "alice@" not in body
    assert "No user matches" in html(console.get("/console/users/?q=nobody-here"))


def test_pagination(console: Client, root_org: Organization) -> None:
    from apps.users.services import user_create

    for i in range(25):
        user_create(actor=None, organization=root_org, username=f"user{i:02d}")
    first = html(console.get("/console/users/"))
    assert "user18" in first
    assert "user24" not in first
    assert 'href="?page=2"' in first
    second = html(console.get("/console/users/?page=2"))
    assert "user24" in second
    assert "user00" not in second
    assert "Page 2 of 2" in second
    assert console.get("/console/users/?page=99").status_code == 200


def test_create_user(console: Client, root_org: Organization) -> None:
    assert console.get("/console/users/new/").status_code == 200
    response = console.post(
        "/console/users/new/",
        {"username": "carol", "email": "carol@example.com", "given_name": "Carol", "password": PASSWORD},
    )
    carol = User.objects.get(organization=root_org, username="carol")
    assert response["Location"] == f"/console/users/{carol.pk}/"
    assert carol.check_password(PASSWORD)
    assert carol.given_name == "Carol"
    assert "User “carol” created." in html(console.get(response["Location"]))


def test_create_user_without_password(console: Client, root_org: Organization) -> None:
    console.post("/console/users/new/", {"username": "nopass"})
    assert not User.objects.get(organization=root_org, username="nopass").has_usable_password()


def test_duplicate_username_is_inline(console: Client, people: dict[str, User]) -> None:
    response = console.post("/console/users/new/", {"username": "ALICE"})
    assert response.status_code == 400
    assert (
        '<ul class="errorlist" id="id_username_error"><li>A user with this username already exists.</li></ul>'
        in html(response)
    )


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"username": "dave", "email": "not-an-email"}, "email"),
        ({"username": "dave", "phone": "call me"}, "phone"),
        ({"username": "dave", "given_name": "x" * 151}, "given_name"),
        ({"username": "d" * 151}, "username"),
        ({"username": "has space"}, "username"),
        ({"username": "dave", "password": "short"}, "password"),
        ({"username": ""}, "username"),
    ],
)
def test_bad_input_is_inline(console: Client, root_org: Organization, data: dict[str, str], field: str) -> None:
    response = console.post("/console/users/new/", data)
    assert response.status_code == 400
    assert f'id="id_{field}_error"' in html(response)
    assert 'aria-invalid="true"' in html(response)
    assert not User.objects.filter(username="dave").exists()


def test_edit_profile(console: Client, people: dict[str, User]) -> None:
    bob = people["bob"]
    url = f"/console/users/{bob.pk}/"
    assert 'value="bob@example.org"' in html(console.get(url))
    response = console.post(
        url, {"username": "bobby", "email": "bobby@example.org", "given_name": "Bob", "family_name": "B", "phone": ""}
    )
    assert response.status_code == 302
    bob.refresh_from_db()
    assert (bob.username, bob.email, bob.family_name) == ("bobby", "bobby@example.org", "B")


def test_edit_profile_errors_are_inline(console: Client, people: dict[str, User]) -> None:
    bob = people["bob"]
    response = console.post(f"/console/users/{bob.pk}/", {"username": "alice", "email": "bob@example.org"})
    assert response.status_code == 400
    assert 'id="id_username_error"' in html(response)
    response = console.post(f"/console/users/{bob.pk}/", {"username": "bob", "email": "nope@"})
    assert 'id="id_email_error"' in html(response)


@pytest.mark.parametrize(
    ("action", "state"),
    [("lock", "locked"), ("disable", "disabled")],
)
def test_state_changes(console: Client, people: dict[str, User], action: str, state: str) -> None:
    bob = people["bob"]
    url = f"/console/users/{bob.pk}/state/"
    assert console.get(url).status_code == 405
    assert console.post(url, {"action": action})["Location"] == f"/console/users/{bob.pk}/"
    bob.refresh_from_db()
    assert bob.state == state
    undo = "unlock" if action == "lock" else "enable"
    assert f'value="{undo}"' in html(console.get(f"/console/users/{bob.pk}/"))
    console.post(url, {"action": undo})
    bob.refresh_from_db()
    assert bob.state == User.State.ACTIVE


def test_unknown_state_action_and_self_lock_are_refused(console: Client, admin_user: User, people) -> None:
    bob = people["bob"]
    console.post(f"/console/users/{bob.pk}/state/", {"action": "explode"})
    bob.refresh_from_db()
    assert bob.state == User.State.ACTIVE
    response = console.post(f"/console/users/{admin_user.pk}/state/", {"action": "lock"}, follow=True)
    assert "You cannot lock or disable your own account." in html(response)
    admin_user.refresh_from_db()
    assert admin_user.state == User.State.ACTIVE


def test_set_password(console: Client, people: dict[str, User]) -> None:
    bob = people["bob"]
    url = f"/console/users/{bob.pk}/password/"
    assert console.get(url).status_code == 200
    response = console.post(url, {"password": "New-pass-789", "confirm": "Other-pass-789"})
    assert response.status_code == 400
    assert 'id="id_confirm_error"' in html(response)
    response = console.post(url, {"password": "1234", "confirm": "1234"})
    assert response.status_code == 400
    assert 'id="id_password_error"' in html(response)
    assert console.post(url, {"password": "New-pass-789", "confirm": "New-pass-789"}).status_code == 302
    bob.refresh_from_db()
    assert bob.check_password("New-pass-789")


def test_delete_user_with_confirmation(console: Client, people: dict[str, User]) -> None:
    bob = people["bob"]
    page = console.get(f"/console/users/{bob.pk}/delete/")
    assert page.status_code == 200
    assert "Delete user “bob”?" in html(page)
    assert User.objects.filter(pk=bob.pk).exists()
    response = console.post(f"/console/users/{bob.pk}/delete/")
    assert response["Location"] == "/console/users/"
    assert not User.objects.filter(pk=bob.pk).exists()


def test_cannot_delete_yourself(console: Client, admin_user: User) -> None:
    response = console.post(f"/console/users/{admin_user.pk}/delete/")
    assert response.status_code == 400
    assert "You cannot delete your own account here." in html(response)
    assert User.objects.filter(pk=admin_user.pk).exists()


@pytest.mark.parametrize("path", ["/console/users/", "/console/groups/", "/console/roles/", "/console/organizations/"])
def test_hostile_search_input_never_errors(console: Client, people: dict[str, User], path: str) -> None:
    for query in ["%00", "a%00b", "%27%22--", "x" * 2000, "name eq x) or (1", "%E2%80%AE"]:
        response = console.get(f"{path}?q={query}&page=-1&state=bogus")
        assert response.status_code == 200, query


def test_nul_characters_in_forms_are_inline_errors(console: Client, people: dict[str, User]) -> None:
    bob = people["bob"]
    response = console.post(f"/console/users/{bob.pk}/", {"username": "bob", "given_name": "B\x00b"})
    assert response.status_code == 400
    assert 'id="id_given_name_error"' in html(response)
