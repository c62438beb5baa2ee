"""Login portal fixtures: two applications of root, users, and helpers that drive the portal over HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.test import Client

from apps.notifications.models import Message
from tests.notifications.conftest import sealed_text
from tests.oauth.conftest import (  # noqa: F401  (fixtures)
    App,
    _fresh_client_cache,
    billing_api,
    make_app,
    orders_api,
)
from tests.oauth.helpers import pkce_pair, query_of

PASSWORD = "Secret-pass-456"
REDIRECT = "https://rp.example.com/callback"
LOGIN = "/authenticationendpoint/login"


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterable[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def alice(root_org: Any, make_user: Any) -> Any:
    return make_user(root_org, "alice", email="alice@example.org", phone="+15550100")


@pytest.fixture
def app_a(root_org: Any, make_app: Any) -> App:  # noqa: F811
    return make_app(root_org, name="app-a")


@pytest.fixture
def app_b(root_org: Any, make_app: Any) -> App:  # noqa: F811
    return make_app(root_org, name="app-b")


def authorize_params(app: App, **more: str) -> dict[str, str]:
    _verifier, challenge = pkce_pair()
    return {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": REDIRECT,
        "scope": "openid",
        "state": "s1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **more,
    }


def authorize(browser: Client, app: App, **more: str) -> Any:
    return browser.get("/oauth2/authorize", authorize_params(app, **more))


def is_portal(response: Any) -> bool:
    return response.status_code == 302 and urlsplit(response["Location"]).path == LOGIN


def is_code(response: Any) -> bool:
    return response.status_code == 302 and response["Location"].startswith(REDIRECT + "?code=")


def flow_id(page: Any) -> str:
    return re.search(r'name="flow" value="([^"]+)"', page.content.decode()).group(1)


def sign_in_password(browser: Client, location: str, username: str = "alice", password: str = PASSWORD, **extra: str):
    """Open the portal at ``location`` and submit the password step; returns the POST's response."""
    page = browser.get(location)
    assert page.status_code == 200, page.status_code
    return browser.post(LOGIN, {"flow": flow_id(page), "username": username, "password": password, **extra})


def email_code(user: Any) -> str:
    message = Message.objects.filter(recipient=user.email).order_by("-created").first()
    return re.search(r"\b([0-9]{6})\b", sealed_text(message)["text"]).group(1)


__all__ = ["query_of"]
