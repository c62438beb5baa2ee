"""Flow fixtures: flow types enabled through the service, an execution API client, and reading the
codes the flows send (from the sealed message, or from a real loopback SMTP server)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.flows.services import flow_config_update
from apps.notifications.models import Message
from apps.orgs.models import Organization
from tests.notifications.conftest import sealed_text
from tests.notifications.servers import SmtpServer, text_of

EXECUTE = "/api/server/v1/flow/execute"
C = "http://wso2.org/claims/"
STRONG_PASSWORD = "Corr3ct-horse-battery"


@pytest.fixture(autouse=True)
def _no_rate_limit_leftovers() -> Iterator[None]:
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def flows_enabled(root_org: Organization) -> Organization:
    for flow_type in ("REGISTRATION", "PASSWORD_RECOVERY", "INVITED_USER_REGISTRATION"):
        flow_config_update(actor=None, organization=root_org, data={"flowType": flow_type, "isEnabled": True})
    return root_org


class Executor:
    """Drives ``POST /flow/execute`` like a mobile app would (no Authorization header)."""

    def __init__(self, prefix: str = "") -> None:
        self.client = APIClient(REMOTE_ADDR="127.0.0.1")
        self.prefix = prefix

    def call(self, body: dict[str, Any]) -> Any:
        return self.client.post(self.prefix + EXECUTE, body, format="json")

    def start(self, flow_type: str, **extra: Any) -> dict[str, Any]:
        response = self.call({"flowType": flow_type, **extra})
        assert response.status_code == 200, response.json()
        return response.json()

    def submit(self, previous: dict[str, Any], action_id: str, inputs: dict[str, Any] | None = None) -> Any:
        return self.call({"flowId": previous["flowId"], "actionId": action_id, "inputs": inputs or {}})


@pytest.fixture
def execute() -> Executor:
    return Executor()


def action_ids(response: dict[str, Any]) -> list[str]:
    found: list[str] = []

    def walk(items: list[dict[str, Any]]) -> None:
        for item in items:
            if "actionId" in item:
                found.append(item["actionId"])
            walk(item.get("components") or [])

    walk(response["data"]["components"])
    return found


def messages_of(response: dict[str, Any], kind: str | None = None) -> list[str]:
    return [m["message"] for m in response["data"].get("messages", []) if kind is None or m["type"] == kind]


def last_code(recipient: str) -> str:
    """The code in the newest message to ``recipient`` (read from its sealed payload)."""
    message = Message.objects.filter(recipient=recipient).order_by("-created").first()
    assert message is not None, f"no message to {recipient}"
    return re.search(r"\b([0-9]{6})\b", sealed_text(message)["text"]).group(1)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer(None).start()
    yield server
    server.stop()


@pytest.fixture
def smtp_sender(root_org: Organization, smtp_server: SmtpServer) -> SmtpServer:
    from apps.notifications.services import email_sender_save

    email_sender_save(
        actor=None,
        organization=root_org,
        host="127.0.0.1",
        port=smtp_server.port,
        security="none",
        from_address="no-reply@root.example",
        auth_type="NONE",
    )
    return smtp_server


def smtp_code(server: SmtpServer, recipient: str) -> str:
    for mime in reversed(server.handler.messages):
        if mime["To"] == recipient:
            return re.search(r"\b([0-9]{6})\b", text_of(mime)).group(1)
    raise AssertionError(f"no email to {recipient}; got {[m['To'] for m in server.handler.messages]}")


@pytest.fixture
def run_commits(eager_celery: None, django_capture_on_commit_callbacks: Any) -> Callable[[], Any]:
    """``with run_commits(): ...``: what the block's commits would run (outbox dispatch, delivery)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
