"""Assertions shared by the management API tests."""

from __future__ import annotations

from typing import Any


def assert_error(response: Any, status: int | None = None, code: str | None = None) -> dict[str, Any]:
    """A 4xx (or exactly ``status``) in the documented error shape, with ``code`` when given."""
    if status is None:
        assert 400 <= response.status_code < 500, response.content
    else:
        assert response.status_code == status, response.content
    body = response.json()
    for key in ("code", "message", "description", "traceId"):
        assert body.get(key), f"{key} missing in {body}"
    assert body["traceId"] == response["X-Request-ID"]
    if code is not None:
        assert body["code"] == code, body
    return body


def links_of(response: Any) -> dict[str, str]:
    return {link["rel"]: link["href"] for link in response.json()["links"]}
