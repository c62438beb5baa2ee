"""Keystore fixtures: a clean per-process key cache, signed-in clients, users holding chosen scopes."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any
from unittest import mock

import pytest
from jwcrypto import jwk, jwt

from apps.keystores import cache
from apps.orgs.models import Organization
from apps.orgs.services import organization_create
from tests.conftest import USER_PASSWORD

PASSWORD = USER_PASSWORD


@pytest.fixture(autouse=True)
def _cold_key_cache() -> Iterator[None]:
    """Each test starts (and leaves) with an empty per-process key cache."""
    cache.clear_all()
    yield
    cache.clear_all()


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Any) -> Callable[[], Any]:
    """``with committed():`` runs the block's on-commit callbacks, as a real commit would
    (outbox events are not sent to the broker)."""

    @contextlib.contextmanager
    def run() -> Iterator[None]:
        from apps.core.tasks import outbox_dispatch

        with mock.patch.object(outbox_dispatch, "delay"), django_capture_on_commit_callbacks(execute=True):
            yield

    return run


@pytest.fixture
def engineering(root_org: Organization) -> Organization:
    return organization_create(actor=None, parent=root_org, name="Engineering", handle="engineering")


def sign(key: jwk.JWK, *, kid: str, algorithm: str, claims: dict[str, Any] | None = None) -> str:
    token = jwt.JWT(header={"alg": algorithm, "kid": kid, "typ": "at+jwt"}, claims=claims or {"sub": "alice"})
    token.make_signed_token(key)
    return token.serialize()


def verify_with_jwks(token: str, jwks: dict[str, Any]) -> dict[str, Any]:
    """What a resource server does: pick the key by ``kid`` from the published JWKS."""
    import json

    keyset = jwk.JWKSet.from_json(json.dumps(jwks))
    return json.loads(jwt.JWT(jwt=token, key=keyset, algs=["RS256", "ES256"]).claims)
