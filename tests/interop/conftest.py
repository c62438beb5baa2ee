"""Interop fixtures: a live server whose issuer is its own URL, and the OAuth test data fixtures."""

from __future__ import annotations

from typing import Any

import pytest

from tests.oauth.conftest import (  # noqa: F401  (fixtures shared with the in-process tests)
    _fresh_client_cache,
    make_app,
    orders_api,
)


@pytest.fixture
def server(live_server: Any, settings: Any, transactional_db: Any) -> str:
    settings.IAM_BASE_URL = live_server.url
    return live_server.url
