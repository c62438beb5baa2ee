"""Who may call the management API: bearer tokens, HTTP Basic, scopes, and the
401/403 answers in the error shape."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from oauth2_provider.models import get_access_token_model
from rest_framework.test import APIClient

from apps.orgs.models import Organization
from apps.users.models import User
from apps.users.selectors import user_scope_names
from apps.users.services import role_create, user_create, user_set_state
from tests.api_helpers import assert_error
from tests.conftest import ADMIN_PASSWORD

USERS = "/api/server/v1/users"
ORGS = "/api/server/v1/organizations"
PASSWORD = "Str0ng-passw0rd"


def client_with(authorization: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=authorization)
    return client


def assert_unauthenticated(response: Any) -> None:
    assert_error(response, 401, "AUT-60001")
    assert response.has_header("WWW-Authenticate")


# --- no or broken credentials ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [("get", USERS), ("post", USERS), ("get", ORGS), ("delete", f"{USERS}/x"), ("get", "/api/server/v1/roles")],
)
def test_no_credentials_is_401_with_www_authenticate(root_org: Organization, method: str, url: str) -> None:
    response = getattr(APIClient(), method)(url)

    assert_unauthenticated(response)
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer not-a-real-token",
        "Bearer",
        "Bearer a b",
        "Bearer \u00e9t\u00e9",
        "Basic",
        "Basic !!!not-base64!!!",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode(),
        "Basic " + base64.b64encode(b"admin:").decode(),
        "Basic " + base64.b64encode(b":" + ADMIN_PASSWORD.encode()).decode(),
        "Basic " + base64.b64encode(b"admin\x00:" + ADMIN_PASSWORD.encode()).decode(),
        "Basic " + base64.b64encode(b"admin:" + ADMIN_PASSWORD.encode()).decode() + " extra",
    ],
)
def test_malformed_or_invalid_credentials_are_401(root_org: Organization, authorization: str) -> None:
    assert_unauthenticated(client_with(authorization).get(USERS))


def test_unknown_scheme_is_treated_as_no_credentials(root_org: Organization) -> None:
    assert_unauthenticated(client_with("Digest username=admin").get(USERS))


def test_expired_token_is_401(admin_user: User, mint_token: Callable[..., str]) -> None:
    token = mint_token(admin_user)
    get_access_token_model().objects.filter(user=admin_user).update(expires=timezone.now() - timedelta(seconds=1))

    assert_unauthenticated(client_with(f"Bearer {token}").get(USERS))


def test_token_of_a_deleted_user_is_401(
    admin_api: APIClient, root_org: Organization, admin_user: User, mint_token: Callable[..., str]
) -> None:
    bob = user_create(actor=admin_user, organization=root_org, username="bob", password=PASSWORD)
    token = mint_token(bob)
    assert admin_api.delete(f"{USERS}/{bob.id}").status_code == 204

    assert_unauthenticated(client_with(f"Bearer {token}").get(USERS))


@pytest.mark.parametrize("state", [User.State.LOCKED, User.State.DISABLED])
def test_token_of_a_locked_or_disabled_user_is_401(
    root_org: Organization, admin_user: User, mint_token: Callable[..., str], state: str
) -> None:
    token = mint_token(admin_user)
    user_set_state(actor=None, user=admin_user, state=state)

    assert_unauthenticated(client_with(f"Bearer {token}").get(USERS))


# --- scopes ---------------------------------------------------------------------------------


def test_token_without_the_needed_scope_is_403(admin_user: User, mint_token: Callable[..., str]) -> None:
    client = client_with(f"Bearer {mint_token(admin_user, scopes=['internal_user_mgt_list'])}")

    assert client.get(USERS).status_code == 200
    before = User.objects.count()
    assert_error(client.post(USERS, {"username": "nope"}, format="json"), 403, "AUT-60003")
    assert_error(client.get(ORGS), 403, "AUT-60003")
    assert User.objects.count() == before


def test_token_with_no_scopes_is_403_everywhere(admin_user: User, mint_token: Callable[..., str]) -> None:
    client = client_with(f"Bearer {mint_token(admin_user, scopes=[])}")

    for url in (USERS, ORGS, "/api/server/v1/groups", "/api/server/v1/roles", f"{ORGS}/self"):
        assert_error(client.get(url), 403, "AUT-60003")


def test_view_scope_does_not_allow_writes(
    admin_user: User, root_org: Organization, mint_token: Callable[..., str]
) -> None:
    client = client_with(f"Bearer {mint_token(admin_user, scopes=['internal_organization_view'])}")

    assert client.get(ORGS).status_code == 200
    assert_error(client.post(ORGS, {"name": "X"}, format="json"), 403, "AUT-60003")
    assert_error(
        client.patch(f"{ORGS}/self", [{"operation": "REPLACE", "path": "/name", "value": "x"}], format="json"),
        403,
        "AUT-60003",
    )
    assert Organization.objects.count() == 1


def test_org_twin_scope_counts_inside_sub_organizations_only(admin_user: User, mint_token: Callable[..., str]) -> None:
    from apps.orgs.services import organization_create

    child = organization_create(actor=None, parent=admin_user.organization, name="Twin child")
    client = client_with(f"Bearer {mint_token(admin_user, scopes=['internal_org_user_mgt_list'])}")

    assert client.get(f"/t/root/o/{child.id}{USERS}").status_code == 200
    assert_error(client.get(USERS), 403, "AUT-60003")


# --- HTTP Basic -----------------------------------------------------------------------------


def test_basic_auth_with_the_admins_password_works(root_org: Organization, basic_auth: Callable[..., str]) -> None:
    client = client_with(basic_auth("admin", ADMIN_PASSWORD))

    response = client.get(USERS)

    assert response.status_code == 200, response.content
    assert [u["username"] for u in response.json()["users"]] == ["admin"]
    assert client.post(USERS, {"username": "via-basic"}, format="json").status_code == 201


def test_basic_auth_usernames_ignore_case(root_org: Organization, basic_auth: Callable[..., str]) -> None:
    assert client_with(basic_auth("ADMIN", ADMIN_PASSWORD)).get(USERS).status_code == 200


@pytest.mark.parametrize(
    ("username", "password"),
    [("admin", "wrong-password"), ("admin", ADMIN_PASSWORD.upper()), ("nobody", ADMIN_PASSWORD), ("admin", "")],
)
def test_basic_auth_with_wrong_credentials_is_401(
    root_org: Organization, basic_auth: Callable[..., str], username: str, password: str
) -> None:
    assert_unauthenticated(client_with(basic_auth(username, password)).get(USERS))


def test_basic_auth_can_be_turned_off(root_org: Organization, basic_auth: Callable[..., str], settings: Any) -> None:
    settings.IAM_API_BASIC_AUTH = False

    assert_unauthenticated(client_with(basic_auth("admin", ADMIN_PASSWORD)).get(USERS))


def test_bearer_still_works_with_basic_turned_off(admin_api: APIClient, settings: Any) -> None:
    settings.IAM_API_BASIC_AUTH = False

    assert admin_api.get(USERS).status_code == 200


def test_basic_auth_of_a_disabled_org_user_is_401(
    root_org: Organization, admin_user: User, basic_auth: Callable[..., str]
) -> None:
    user_create(actor=admin_user, organization=root_org, username="carol", password=PASSWORD)
    user_set_state(actor=admin_user, user=User.objects.get(username="carol"), state=User.State.DISABLED)

    assert_unauthenticated(client_with(basic_auth("carol", PASSWORD)).get(USERS))


# --- users without roles --------------------------------------------------------------------


def test_user_with_no_roles_is_403(
    root_org: Organization, admin_user: User, basic_auth: Callable[..., str], mint_token: Callable[..., str]
) -> None:
    dave = user_create(actor=admin_user, organization=root_org, username="dave", password=PASSWORD)
    assert user_scope_names(user=dave) == frozenset()

    basic = client_with(basic_auth("dave", PASSWORD))
    for url in (USERS, ORGS, "/api/server/v1/groups", "/api/server/v1/roles"):
        assert_error(basic.get(url), 403, "AUT-60003")
    assert_error(basic.post(USERS, {"username": "x"}, format="json"), 403, "AUT-60003")
    # A token carries what the user was granted when it was issued: nothing.
    bearer = client_with(f"Bearer {mint_token(dave, scopes=user_scope_names(user=dave))}")
    assert_error(bearer.get(USERS), 403, "AUT-60003")


def test_basic_auth_scopes_follow_the_users_roles(
    root_org: Organization, admin_user: User, basic_auth: Callable[..., str]
) -> None:
    erin = user_create(actor=admin_user, organization=root_org, username="erin", password=PASSWORD)
    role_create(
        actor=admin_user,
        organization=root_org,
        name="Org Viewer",
        permissions=["internal_organization_view"],
        user_ids=[erin.id],
    )
    client = client_with(basic_auth("erin", PASSWORD))

    assert client.get(ORGS).status_code == 200
    assert_error(client.get(USERS), 403, "AUT-60003")


def test_unknown_api_path_is_404_in_the_error_shape(admin_api: APIClient) -> None:
    response = admin_api.get("/api/server/v1/no-such-thing")

    assert response.status_code == 404
    assert set(response.json()) >= {"code", "message", "description", "traceId"}


def test_unsupported_method_is_refused_in_the_error_shape(admin_api: APIClient) -> None:
    response = admin_api.put("/api/server/v1/users", {}, format="json")

    assert response.status_code in {403, 405}
    assert set(response.json()) >= {"code", "message", "description", "traceId"}


def test_an_admin_cannot_lock_themselves_out_through_the_api(admin_user, basic_auth):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=basic_auth("admin", "Admin-pass-123"))
    response = client.put(f"/api/server/v1/users/{admin_user.pk}/state", {"state": "locked"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "UMG-60010"
    admin_user.refresh_from_db()
    assert admin_user.state == "active"
