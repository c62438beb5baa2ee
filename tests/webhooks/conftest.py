"""Webhook fixtures: a loopback receiver, webhooks made through the services, and
"run what commits would run" (outbox dispatch and delivery tasks, eagerly)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from apps.webhooks import channels as ch
from apps.webhooks.models import Webhook
from apps.webhooks.services import subscriptions_invalidate, webhook_create
from iam.celery import app as celery_app
from tests.webhooks.receiver import Receiver

SECRET = "s3cret-for-tests"
ALL_CHANNELS = [channel.uri for channel in ch.CHANNELS]


@pytest.fixture(autouse=True)
def webhook_settings(settings: Any) -> Iterator[Any]:
    """Loopback receivers are allowed (as the issue says tests do); short timeouts and backoff."""
    settings.IAM_WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    settings.IAM_WEBHOOK_REQUIRE_HTTPS = False
    settings.IAM_WEBHOOK_TIMEOUT_SECONDS = 2
    settings.IAM_WEBHOOK_RETRY_BASE_SECONDS = 1
    settings.IAM_WEBHOOK_MAX_ATTEMPTS = 5
    subscriptions_invalidate()
    yield settings
    subscriptions_invalidate()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def eager() -> Iterator[None]:
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def committed(eager: None, django_capture_on_commit_callbacks: Any) -> Callable[[], Any]:
    """``with committed(): ...``: runs what the commit of the block would run (outbox dispatch,
    fan-out, delivery tasks), in this process, as a worker would."""

    @contextmanager
    def run() -> Iterator[None]:
        with django_capture_on_commit_callbacks(execute=True):
            yield

    return run


@pytest.fixture
def make_webhook(root_org: Any, receiver: Receiver) -> Callable[..., Webhook]:
    def make(
        organization: Any = None,
        *,
        channels: list[str] | None = None,
        secret: str | None = SECRET,
        active: bool = True,
        endpoint: str | None = None,
        name: str = "Receiver",
    ) -> Webhook:
        return webhook_create(
            actor=None,
            organization=organization or root_org,
            name=name,
            endpoint=endpoint or receiver.url("/" + name.lower().replace(" ", "-")),
            channels=channels or ALL_CHANNELS,
            secret=secret,
            status="ACTIVE" if active else "INACTIVE",
        )

    return make
