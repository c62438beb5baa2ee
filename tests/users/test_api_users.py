"""The users API as a client uses it: CRUD, search, account states, passwords and
offset pagination."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.orgs.models import Organization
from apps.orgs.services import organization_create
from apps.users.models import User
from apps.users.services import user_create, user_set_state
from tests.api_helpers import assert_error, links_of

USERS = "/api/server/v1/users"
PASSWORD = "Str0ng-passw0rd"


def usernames(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [u["username"] for u in response.json()["users"]]


@pytest.fixture
def alice(root_org: Organization, admin_user: User) -> User:
    return user_create(
        actor=admin_user,
        organization=root_org,
        username="alice",
        password=PASSWORD,
        email="alice@example.com",
        given_name="Alice",
        family_name="Perera",
    )


@pytest.fixture
def basic_client(basic_auth: Callable[[str, str], str]) -> Callable[[str, str], APIClient]:
    def make(username: str, password: str) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=basic_auth(username, password))
        return client

    return make


def can_authenticate(client: APIClient) -> bool:
    """True when the credentials authenticate (the user may still lack scopes)."""
    return client.get(USERS).status_code != 401


# --- CRUD -----------------------------------------------------------------------------------


def test_create_user_returns_201_with_location(admin_api: APIClient, root_org: Organization) -> None:
    response = admin_api.post(
        USERS,
        {
            "username": "bob",
            "password": PASSWORD,
            "email": "bob@example.com",
            "givenName": "Bob",
            "familyName": "Silva",
            "phone": "+94 77 123 4567",
            "attributes": {"department": "sales"},
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert response["Location"] == f"{USERS}/{body['id']}"
    assert {k: body[k] for k in ("username", "email", "givenName", "familyName", "phone", "state", "kind")} == {
        "username": "bob",
        "email": "bob@example.com",
        "givenName": "Bob",
        "familyName": "Silva",
        "phone": "+94 77 123 4567",
        "state": "active",
        "kind": "user",
    }
    assert body["attributes"] == {"department": "sales"}
    assert body["organizationId"] == str(root_org.id)
    assert "password" not in body
    assert admin_api.get(response["Location"]).json() == body


def test_create_agent_without_password(admin_api: APIClient, basic_client: Callable[..., APIClient]) -> None:
    response = admin_api.post(USERS, {"username": "build-bot", "kind": "agent"}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["kind"] == "agent"
    assert not can_authenticate(basic_client("build-bot", ""))


def test_usernames_are_unique_ignoring_case(admin_api: APIClient, alice: User) -> None:
    before = User.objects.count()

    response = admin_api.post(USERS, {"username": "ALICE", "password": PASSWORD}, format="json")

    assert_error(response, 409, "UMG-60009")
    assert User.objects.count() == before


def test_get_unknown_user_is_404(admin_api: APIClient, root_org: Organization) -> None:
    assert_error(admin_api.get(f"{USERS}/11111111-2222-3333-4444-555555555555"), 404, "UMG-60015")


def test_patch_updates_profile_fields(admin_api: APIClient, alice: User) -> None:
    response = admin_api.patch(
        f"{USERS}/{alice.id}",
        {"givenName": "Alicia", "email": "alicia@example.com", "attributes": {"team": "blue"}},
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["givenName"], body["familyName"], body["email"]) == ("Alicia", "Perera", "alicia@example.com")
    assert body["attributes"] == {"team": "blue"}
    alice.refresh_from_db()
    assert alice.given_name == "Alicia"


def test_rename_to_a_taken_username_is_a_conflict(admin_api: APIClient, alice: User) -> None:
    response = admin_api.patch(f"{USERS}/{alice.id}", {"username": "Admin"}, format="json")

    assert_error(response, 409, "UMG-60009")
    alice.refresh_from_db()
    assert alice.username == "alice"


def test_rename_keeps_the_password(admin_api: APIClient, alice: User, basic_client: Callable[..., APIClient]) -> None:
    assert admin_api.patch(f"{USERS}/{alice.id}", {"username": "alice.p"}, format="json").status_code == 200

    assert can_authenticate(basic_client("alice.p", PASSWORD))
    assert not can_authenticate(basic_client("alice", PASSWORD))


def test_delete_user(admin_api: APIClient, alice: User) -> None:
    assert admin_api.delete(f"{USERS}/{alice.id}").status_code == 204

    assert_error(admin_api.get(f"{USERS}/{alice.id}"), 404, "UMG-60015")
    assert_error(admin_api.delete(f"{USERS}/{alice.id}"), 404, "UMG-60015")
    assert not User.objects.filter(pk=alice.pk).exists()


def test_admin_cannot_delete_themself(admin_api: APIClient, admin_user: User) -> None:
    assert_error(admin_api.delete(f"{USERS}/{admin_user.id}"), 400, "UMG-60010")
    assert User.objects.filter(pk=admin_user.pk).exists()


# --- search ---------------------------------------------------------------------------------


def test_search_matches_username_email_and_names(
    admin_api: APIClient, root_org: Organization, admin_user: User, alice: User
) -> None:
    user_create(
        actor=admin_user, organization=root_org, username="bob", email="bob@corp.example", family_name="Fernando"
    )

    assert usernames(admin_api.get(USERS, {"search": "ali"})) == ["alice"]
    assert usernames(admin_api.get(USERS, {"search": "corp.example"})) == ["bob"]
    assert usernames(admin_api.get(USERS, {"search": "FERN"})) == ["bob"]
    assert usernames(admin_api.get(USERS, {"search": "nobody"})) == []
    assert usernames(admin_api.get(USERS)) == ["admin", "alice", "bob"]


def test_filter_by_state(admin_api: APIClient, admin_user: User, alice: User) -> None:
    user_set_state(actor=admin_user, user=alice, state=User.State.LOCKED)

    assert usernames(admin_api.get(USERS, {"state": "locked"})) == ["alice"]
    assert usernames(admin_api.get(USERS, {"state": "active"})) == ["admin"]


# --- account states and passwords -----------------------------------------------------------


def test_lock_and_unlock(admin_api: APIClient, alice: User, basic_client: Callable[..., APIClient]) -> None:
    url = f"{USERS}/{alice.id}/state"

    locked = admin_api.put(url, {"state": "locked", "lockMinutes": 15}, format="json")
    assert locked.status_code == 200, locked.content
    assert locked.json()["state"] == "locked"
    assert locked.json()["lockedUntil"] is not None
    assert not can_authenticate(basic_client("alice", PASSWORD))

    unlocked = admin_api.put(url, {"state": "active"}, format="json")
    assert unlocked.json()["state"] == "active"
    assert unlocked.json()["lockedUntil"] is None
    assert can_authenticate(basic_client("alice", PASSWORD))


def test_disable_blocks_sign_in_and_tokens(
    admin_api: APIClient, alice: User, basic_client: Callable[..., APIClient], mint_token: Callable[..., str]
) -> None:
    token = mint_token(alice)

    response = admin_api.put(f"{USERS}/{alice.id}/state", {"state": "disabled"}, format="json")

    assert response.status_code == 200
    assert response.json()["state"] == "disabled"
    assert not can_authenticate(basic_client("alice", PASSWORD))
    bearer = APIClient()
    bearer.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert_error(bearer.get(USERS), 401, "AUT-60001")


def test_set_password(admin_api: APIClient, alice: User, basic_client: Callable[..., APIClient]) -> None:
    response = admin_api.put(f"{USERS}/{alice.id}/password", {"password": "An0ther-secret!"}, format="json")

    assert response.status_code == 204, response.content
    assert can_authenticate(basic_client("alice", "An0ther-secret!"))
    assert not can_authenticate(basic_client("alice", PASSWORD))


@pytest.mark.parametrize("password", ["short", "12345678901", "", "p" * 300])
def test_weak_or_oversized_password_is_refused(
    admin_api: APIClient, alice: User, basic_client: Callable[..., APIClient], password: str
) -> None:
    response = admin_api.put(f"{USERS}/{alice.id}/password", {"password": password}, format="json")

    assert response.status_code == 400, response.content
    assert response.json()["code"] in {"UMG-60001", "UMG-60002", "UMG-60004"}
    assert can_authenticate(basic_client("alice", PASSWORD))


def test_create_with_weak_password_creates_nothing(admin_api: APIClient, root_org: Organization) -> None:
    before = User.objects.count()

    assert_error(admin_api.post(USERS, {"username": "weak", "password": "123"}, format="json"), 400, "UMG-60004")
    assert User.objects.count() == before


# --- pagination -----------------------------------------------------------------------------


def test_offset_pagination_with_links(admin_api: APIClient, root_org: Organization, admin_user: User) -> None:
    for i in range(7):
        user_create(actor=admin_user, organization=root_org, username=f"user{i}")

    first = admin_api.get(USERS, {"limit": 3})
    assert first.status_code == 200
    body = first.json()
    assert (body["totalResults"], body["startIndex"], body["count"]) == (8, 1, 3)
    assert "previous" not in links_of(first)

    seen: list[str] = []
    responses = []
    url: str | None = f"{USERS}?limit=3"
    while url is not None:
        assert len(responses) < 5, "pagination does not terminate"
        response = admin_api.get(url)
        responses.append(response)
        seen += usernames(response)
        url = links_of(response).get("next")

    assert [r.json()["count"] for r in responses] == [3, 3, 2]
    assert sorted(seen) == sorted({"admin", *(f"user{i}" for i in range(7))})
    assert len(seen) == len(set(seen))
    assert responses[2].json()["startIndex"] == 7
    back = admin_api.get(links_of(responses[2])["previous"])
    assert usernames(back) == usernames(responses[1])


def test_pagination_links_keep_the_search(admin_api: APIClient, root_org: Organization, admin_user: User) -> None:
    for name in ("team-a", "team-b", "team-c", "other"):
        user_create(actor=admin_user, organization=root_org, username=name)

    first = admin_api.get(USERS, {"search": "team", "limit": 2})
    second = admin_api.get(links_of(first)["next"])

    assert first.json()["totalResults"] == 3
    assert usernames(second) == ["team-c"]


def test_offset_past_the_end_is_an_empty_page(admin_api: APIClient, alice: User) -> None:
    for offset in ("50", "9" * 30):
        response = admin_api.get(USERS, {"offset": offset})
        assert response.status_code == 200, response.content
        assert response.json()["users"] == []
        assert response.json()["totalResults"] == 2


def test_users_api_in_a_sub_org_context(
    admin_api: APIClient, root_org: Organization, admin_user: User, alice: User
) -> None:
    org = organization_create(actor=admin_user, parent=root_org, name="Branch")
    url = f"/t/root/o/{org.id}{USERS}"

    created = admin_api.post(url, {"username": "alice", "password": PASSWORD}, format="json")

    assert created.status_code == 201, created.content
    assert created.json()["organizationId"] == str(org.id)
    assert usernames(admin_api.get(url)) == ["alice"]
    assert_error(admin_api.get(f"{url}/{alice.id}"), 404, "UMG-60015")
    assert usernames(admin_api.get(USERS)) == ["admin", "alice"]
