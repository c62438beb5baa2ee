"""Every API write leaves an audit row and an outbox event carrying the request
id the response echoes in ``X-Request-ID``; a refused write leaves neither."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.core.models import AuditLog, OutboxEvent
from apps.orgs.models import Organization
from apps.orgs.services import organization_create
from apps.users.models import User
from apps.users.services import group_create, role_create, user_create
from tests.conftest import ADMIN_PASSWORD

API = "/api/server/v1"


def new_rows(model: type, since: int | set[Any]) -> list[Any]:
    if isinstance(since, set):
        return list(model.objects.exclude(pk__in=since))
    return list(model.objects.filter(pk__gt=since).order_by("id"))


def last_audit_id() -> int:
    latest = AuditLog.objects.order_by("-id").first()
    return latest.id if latest else 0


def outbox_ids() -> set[Any]:
    return set(OutboxEvent.objects.values_list("id", flat=True))


def test_user_create_is_audited_with_the_request_id(
    admin_api: APIClient, root_org: Organization, admin_user: User
) -> None:
    audit_mark, outbox_mark = last_audit_id(), outbox_ids()

    response = admin_api.post(f"{API}/users", {"username": "bob"}, format="json")

    assert response.status_code == 201
    request_id = response["X-Request-ID"]
    assert request_id
    [row] = new_rows(AuditLog, audit_mark)
    assert (row.actor_type, row.actor_id, row.actor_name) == ("user", str(admin_user.id), "admin")
    assert (row.action, row.target_type, row.target_id) == ("user.create", "user", response.json()["id"])
    assert row.organization_id == root_org.id
    assert row.request_id == request_id
    [event] = new_rows(OutboxEvent, outbox_mark)
    assert event.event_type == "user.created"
    assert event.organization_id == root_org.id
    assert event.request_id == request_id
    assert event.payload["id"] == response.json()["id"]
    assert event.dispatched_at is None


def test_a_sane_incoming_request_id_is_honoured(admin_api: APIClient, root_org: Organization) -> None:
    audit_mark = last_audit_id()

    response = admin_api.post(f"{API}/groups", {"name": "Ops"}, format="json", HTTP_X_REQUEST_ID="trace-1234-abcd")

    assert response["X-Request-ID"] == "trace-1234-abcd"
    [row] = new_rows(AuditLog, audit_mark)
    assert row.request_id == "trace-1234-abcd"


def test_an_unsafe_incoming_request_id_is_replaced(admin_api: APIClient, root_org: Organization) -> None:
    response = admin_api.post(f"{API}/groups", {"name": "Ops"}, format="json", HTTP_X_REQUEST_ID="<script>")

    assert response["X-Request-ID"] != "<script>"
    assert AuditLog.objects.filter(action="group.create").get().request_id == response["X-Request-ID"]


def test_error_trace_id_matches_the_request_id(admin_api: APIClient, root_org: Organization) -> None:
    response = admin_api.post(f"{API}/users", {}, format="json", HTTP_X_REQUEST_ID="trace-error-0001")

    assert response.status_code == 400
    assert response.json()["traceId"] == response["X-Request-ID"] == "trace-error-0001"


@pytest.fixture
def objects(root_org: Organization, admin_user: User) -> dict[str, Any]:
    alice = user_create(actor=admin_user, organization=root_org, username="alice")
    group = group_create(actor=admin_user, organization=root_org, name="Staff")
    role = role_create(actor=admin_user, organization=root_org, name="Viewer")
    org = organization_create(actor=admin_user, parent=root_org, name="Leaf")
    return {"user": alice, "group": group, "role": role, "org": org}


WRITES: list[tuple[str, str, Callable[[dict[str, Any]], Any], str, str, str]] = [
    ("patch", "users/{user}", lambda o: {"givenName": "Al"}, "user.update", "user.updated", "user"),
    ("put", "users/{user}/state", lambda o: {"state": "locked"}, "user.state.locked", "user.state_changed", "user"),
    (
        "put",
        "users/{user}/password",
        lambda o: {"password": "N3w-password!"},
        "user.password.set",
        "user.password_updated",
        "user",
    ),
    ("delete", "users/{user}", lambda o: None, "user.delete", "user.deleted", "user"),
    (
        "post",
        "groups",
        lambda o: {"name": "New", "members": [str(o["user"].id)]},
        "group.create",
        "group.created",
        None,
    ),
    ("patch", "groups/{group}", lambda o: {"description": "d"}, "group.update", "group.updated", "group"),
    ("delete", "groups/{group}", lambda o: None, "group.delete", "group.deleted", "group"),
    (
        "post",
        "roles",
        lambda o: {"name": "New", "permissions": ["internal_user_mgt_view"]},
        "role.create",
        "role.created",
        None,
    ),
    ("patch", "roles/{role}", lambda o: {"name": "Renamed"}, "role.update", "role.updated", "role"),
    ("delete", "roles/{role}", lambda o: None, "role.delete", "role.deleted", "role"),
    ("post", "organizations", lambda o: {"name": "New"}, "organization.create", "organization.created", None),
    (
        "patch",
        "organizations/{org}",
        lambda o: [{"operation": "REPLACE", "path": "/name", "value": "Leafy"}],
        "organization.update",
        "organization.updated",
        "org",
    ),
    (
        "put",
        "organizations/{org}",
        lambda o: {"name": "Leaf", "status": "DISABLED"},
        "organization.update",
        "organization.updated",
        "org",
    ),
    ("delete", "organizations/{org}", lambda o: None, "organization.delete", "organization.deleted", "org"),
]


@pytest.mark.parametrize(("method", "path", "body", "action", "event_type", "target"), WRITES)
def test_every_api_write_leaves_an_audit_row_and_an_outbox_event(
    admin_api: APIClient,
    admin_user: User,
    objects: dict[str, Any],
    method: str,
    path: str,
    body: Callable[[dict[str, Any]], Any],
    action: str,
    event_type: str,
    target: str | None,
) -> None:
    audit_mark, outbox_mark = last_audit_id(), outbox_ids()
    url = f"{API}/" + path.format(**{k: v.id for k, v in objects.items()})
    payload = body(objects)

    response = (
        getattr(admin_api, method)(url, payload, format="json")
        if payload is not None
        else getattr(admin_api, method)(url)
    )

    assert response.status_code in {200, 201, 204}, response.content
    request_id = response["X-Request-ID"]
    rows = new_rows(AuditLog, audit_mark)
    assert [r.action for r in rows] == [action]
    assert rows[0].actor_id == str(admin_user.id)
    assert rows[0].request_id == request_id
    assert rows[0].organization_id is not None
    if target is not None:
        assert rows[0].target_id == str(objects[target].id)
    events = new_rows(OutboxEvent, outbox_mark)
    assert [e.event_type for e in events] == [event_type]
    assert events[0].request_id == request_id


@pytest.mark.parametrize(
    ("method", "path", "payload"),
    [
        ("post", "users", {"username": "alice"}),
        ("post", "users", {"username": "x", "password": "1"}),
        ("patch", "users/{user}", {"email": "broken"}),
        ("post", "groups", {"name": "G", "members": ["11111111-2222-3333-4444-555555555555"]}),
        ("post", "roles", {"name": "R", "permissions": ["internal_user_mgt_view", "internal_nope"]}),
        ("patch", "roles/{role}", {"name": "Renamed", "permissions": ["internal_nope"]}),
        ("post", "organizations", {"name": "Leaf"}),
        ("patch", "organizations/{org}", [{"operation": "REPLACE", "path": "/orgHandle", "value": "x"}]),
    ],
)
def test_a_refused_write_leaves_no_audit_row_or_event(
    admin_api: APIClient, objects: dict[str, Any], method: str, path: str, payload: Any
) -> None:
    audit_mark, outbox_mark = last_audit_id(), outbox_ids()
    url = f"{API}/" + path.format(**{k: v.id for k, v in objects.items()})

    response = getattr(admin_api, method)(url, payload, format="json")

    assert 400 <= response.status_code < 500, response.content
    assert new_rows(AuditLog, audit_mark) == []
    assert new_rows(OutboxEvent, outbox_mark) == []


def test_sub_org_write_is_audited_against_that_org(
    admin_api: APIClient, objects: dict[str, Any], admin_user: User
) -> None:
    audit_mark = last_audit_id()
    org = objects["org"]

    response = admin_api.post(f"/t/root/o/{org.id}{API}/users", {"username": "leaf-user"}, format="json")

    assert response.status_code == 201
    [row] = new_rows(AuditLog, audit_mark)
    assert row.organization_id == org.id
    assert row.actor_id == str(admin_user.id)
    assert OutboxEvent.objects.get(request_id=response["X-Request-ID"]).organization_id == org.id


def test_basic_auth_writes_are_attributed_to_the_user(
    root_org: Organization, admin_user: User, basic_auth: Callable[[str, str], str]
) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=basic_auth("admin", ADMIN_PASSWORD))
    audit_mark = last_audit_id()

    response = client.post(f"{API}/roles", {"name": "Via Basic"}, format="json")

    assert response.status_code == 201
    [row] = new_rows(AuditLog, audit_mark)
    assert (row.actor_id, row.action, row.request_id) == (str(admin_user.id), "role.create", response["X-Request-ID"])
