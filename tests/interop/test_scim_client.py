"""scim2-client (with scim2-models) against a live server: an independent implementation of RFC 7643/7644
discovers the server, then creates, filters, patches, replaces and deletes users and groups; every
response must parse as scim2-models resources."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_models import (
    Error,
    Group,
    GroupMember,
    ListResponse,
    PatchOp,
    PatchOperation,
    SearchRequest,
    User,
)

from apps.users.models import User as UserModel

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def client(server: str, admin_user: Any, mint_token: Any) -> SyncSCIMClient:
    http = httpx2.Client(
        base_url=f"{server}/t/root/scim2/", headers={"Authorization": f"Bearer {mint_token(admin_user)}"}, timeout=20
    )
    scim = SyncSCIMClient(http)
    scim.discover()
    return scim


def _user_model(scim: SyncSCIMClient) -> type[User]:
    return scim.get_resource_model("User")


def test_discovery_documents_parse(client: SyncSCIMClient) -> None:
    assert client.service_provider_config.patch.supported
    assert client.service_provider_config.bulk.max_operations == 1000
    assert {r.name for r in client.resource_types} >= {"User", "Group"}


def test_user_lifecycle(client: SyncSCIMClient) -> None:
    user_model = _user_model(client)
    # The discovered model is built from our /Schemas: nested values are given as SCIM JSON.
    created = client.create(
        user_model.model_validate(
            {
                "userName": "bjensen",
                "name": {"givenName": "Barbara", "familyName": "ジェンセン"},
                "emails": [{"value": "bjensen@example.com", "type": "work", "primary": True}],
                "password": "Interop-secret-123",
            }
        )
    )
    assert isinstance(created, user_model)
    assert created.id
    assert created.meta.version
    assert created.name.family_name == "ジェンセン"

    fetched = client.query(user_model, created.id)
    assert fetched.user_name == "bjensen"
    assert fetched.emails[0].value == "bjensen@example.com"

    for expression in (
        'userName eq "BJENSEN"',
        'userName co "jens"',
        'emails[type eq "work" and value co "@example.com"]',
        'name.familyName eq "ジェンセン"',
    ):
        found = client.query(user_model, query_parameters=SearchRequest(filter=expression))
        assert isinstance(found, ListResponse), found
        assert [r.id for r in found.resources] == [created.id], expression

    patch = PatchOp[user_model](
        operations=[
            PatchOperation[user_model](op="replace", path="name.givenName", value="Babs"),
            PatchOperation[user_model](op="add", path="displayName", value="Babs J"),
        ]
    )
    patched = client.modify(user_model, created.id, patch)
    assert patched.name.given_name == "Babs"
    assert patched.display_name == "Babs J"

    current = client.query(user_model, created.id).model_dump(scim_ctx=None, by_alias=True, exclude_none=True)
    current["name"] = {"givenName": "Barbara", "familyName": "Jensen"}
    current["emails"] = [{"value": "barbara@example.com", "type": "home", "primary": True}]
    replaced = client.replace(user_model.model_validate(current))
    assert replaced.name.family_name == "Jensen"
    assert replaced.emails[0].value == "barbara@example.com"

    error = client.query(
        user_model, query_parameters=SearchRequest(filter='nosuchattr eq "x"'), raise_scim_errors=False
    )
    assert isinstance(error, Error)
    assert error.scim_type == "invalidFilter"

    client.delete(user_model, created.id)
    assert not UserModel.objects.filter(pk=created.id).exists()
    gone = client.query(user_model, created.id, raise_scim_errors=False)
    assert isinstance(gone, Error)
    assert gone.status == 404


def test_group_lifecycle(client: SyncSCIMClient) -> None:
    user_model = _user_model(client)
    group_model = client.get_resource_model("Group")
    alice = client.create(user_model(user_name="alice"))
    bob = client.create(user_model(user_name="bob"))
    group = client.create(Group(display_name="Crew", members=[GroupMember(value=alice.id)]))
    assert isinstance(group, group_model)
    assert [m.value for m in group.members] == [alice.id]

    add = PatchOp[Group](
        operations=[PatchOperation[Group](op="add", path="members", value=[GroupMember(value=bob.id)])]
    )
    client.modify(Group, group.id, add)
    remove = PatchOp[Group](operations=[PatchOperation[Group](op="remove", path=f'members[value eq "{alice.id}"]')])
    client.modify(Group, group.id, remove)
    current = client.query(Group, group.id)
    assert [m.value for m in current.members] == [bob.id]

    found = client.query(Group, query_parameters=SearchRequest(filter=f'members.value eq "{bob.id}"'))
    assert [g.display_name for g in found.resources] == ["Crew"]

    current.display_name = "Crew 2"
    assert client.replace(current).display_name == "Crew 2"
    client.delete(Group, group.id)
    assert client.query(Group, query_parameters=SearchRequest(filter='displayName eq "Crew 2"')).total_results == 0
