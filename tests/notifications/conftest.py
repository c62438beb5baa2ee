"""Fixtures for notification tests: a user with email and mobile, and reading a queued message."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from apps.notifications.models import Message
from apps.notifications.secrets import open_secret
from apps.notifications.services.messages import payload_context
from apps.orgs.models import Organization
from apps.users.models import User


@pytest.fixture
def alice(root_org: Organization, make_user: Callable[..., User]) -> User:
    return make_user(root_org, "alice", email="alice@example.org", phone="+15550001111", given_name="Alice")


def sealed_text(message: Message) -> dict[str, Any]:
    """What the worker will send (subject, html, text), opened from the sealed payload."""
    return json.loads(open_secret(message.payload_sealed, context=payload_context(message.id)))
