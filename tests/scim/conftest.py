"""SCIM test helpers: a client speaking application/scim+json with a bearer token."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from django.test import Client

from apps.orgs.models import Organization
from apps.users.models import User

SCIM = "application/scim+json"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ROLE_SCHEMA = "urn:ietf:params:scim:schemas:extension:2.0:Role"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
WSO2 = "urn:scim:wso2:schema"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CUSTOM = "urn:scim:schemas:extension:custom:User"


class ScimClient:
    """Requests to /t/<handle>/scim2/... with an Authorization header."""

    def __init__(self, handle: str, authorization: str | None) -> None:
        self.client = Client()
        self.base = f"/t/{handle}/scim2"
        self.headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}

    def _url(self, path: str) -> str:
        return path if path.startswith("/t/") else f"{self.base}{path}"

    def get(self, path: str, params: dict[str, Any] | None = None, **headers: Any) -> Any:
        return self.client.get(self._url(path), params or {}, **self.headers, **headers)

    def send(self, method: str, path: str, body: Any = None, *, raw: str | bytes | None = None, **headers: Any) -> Any:
        data = raw if raw is not None else ("" if body is None else json.dumps(body))
        call = getattr(self.client, method.lower())
        return call(self._url(path), data=data, content_type=SCIM, **self.headers, **headers)

    def post(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.send("POST", path, body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.send("PUT", path, body, **kw)

    def patch(self, path: str, operations: list[dict[str, Any]], **kw: Any) -> Any:
        return self.send("PATCH", path, {"schemas": [PATCH_OP], "Operations": operations}, **kw)

    def delete(self, path: str, **headers: Any) -> Any:
        return self.client.delete(self._url(path), **self.headers, **headers)


def assert_scim_error(response: Any, status: int, scim_type: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(SCIM)
    body = response.json()
    assert body["schemas"] == [ERROR_SCHEMA]
    assert body["status"] == str(status)
    assert body.get("detail")
    if scim_type is not None:
        assert body.get("scimType") == scim_type, body
    return body


@pytest.fixture
def scim_as(mint_token: Callable[..., str]) -> Callable[..., ScimClient]:
    """``scim_as(user, scopes=None)``: a SCIM client with a bearer token of ``user`` (all scopes by default)."""

    def make(user: User, scopes: Iterable[str] | None = None) -> ScimClient:
        return ScimClient(user.organization.handle, f"Bearer {mint_token(user, scopes)}")

    return make


@pytest.fixture
def scim(admin_user: User, scim_as: Callable[..., ScimClient]) -> ScimClient:
    return scim_as(admin_user)


@pytest.fixture
def create_user(scim: ScimClient) -> Callable[..., dict[str, Any]]:
    def create(user_name: str, **attributes: Any) -> dict[str, Any]:
        response = scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": user_name, **attributes})
        assert response.status_code == 201, response.content
        return response.json()

    return create


def org_of(user: User) -> Organization:
    return user.organization
