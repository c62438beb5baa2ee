"""The acceptance path through a real Celery worker subprocess on the configured broker
(SQLite transport locally, Redis in CI): service -> outbox -> worker -> SMTP / HTTP.

- An email OTP sent through an aiosmtpd server that only accepts AUTH XOAUTH2 (token from a
  loopback client-credentials endpoint) is received and validates once; five wrong codes lock it.
- With the SMTP server down the message is retried by the worker and delivered once it is back.
- An SMS OTP reaches a loopback HTTP endpoint."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection

from apps.core.tasks import outbox_dispatch
from apps.notifications.models import Message, NotificationSettings
from apps.notifications.services import email_sender_save, otp_issue, otp_verify, sms_sender_save
from tests.notifications.servers import SmsEndpoint, SmtpServer, TokenEndpoint, free_port, text_of

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
BASE_DIR = Path(settings.BASE_DIR)


def _database_url_for_worker() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return f"postgres://{db.get('USER') or 'postgres'}{password}@{host}:{port}/{db['NAME']}"


@pytest.fixture
def worker(transactional_db: None) -> Iterator[subprocess.Popen]:
    """A Celery worker on a queue of its own; the outbox task of this process is routed there."""
    queue = f"test-notify-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url_for_worker(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "IAM_NOTIFICATION_RETRY_BASE_SECONDS": "1",
        "IAM_NOTIFICATION_RETRY_MAX_DELAY_SECONDS": "2",
        "IAM_NOTIFICATION_TIMEOUT_SECONDS": "5",
        "DJANGO_SETTINGS_MODULE": "iam.settings",
    }
    process = subprocess.Popen(  # noqa: S603
        [
            str(Path(sys.executable).with_name("celery")),
            "-A",
            "iam",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )

    def to_worker(event_id: str) -> None:
        outbox_dispatch.apply_async(args=[event_id], queue=queue)

    try:
        with mock.patch.object(outbox_dispatch, "delay", side_effect=to_worker):
            yield process
    finally:
        process.terminate()
        try:
            output, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        print(output)  # noqa: T201 - shown only when the test fails


def wait_for(condition: Callable[[], bool], worker: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        assert worker.poll() is None, "the worker exited early"
        time.sleep(0.3)
    raise AssertionError("timed out waiting for the worker")


def _oauth_sender(org, admin, *, port: int, tokens: TokenEndpoint) -> None:
    email_sender_save(
        actor=admin,
        organization=org,
        host="127.0.0.1",
        port=port,
        security="none",
        from_address="no-reply@root.example",
        auth_type="CLIENT_CREDENTIAL",
        token_endpoint=tokens.url,
        client_id=tokens.client_id,
        client_secret=tokens.client_secret,
        scopes="smtp",
    )


@pytest.fixture
def tokens() -> Iterator[TokenEndpoint]:
    endpoint = TokenEndpoint().start()
    yield endpoint
    endpoint.stop()


def test_email_otp_via_worker_and_xoauth2_validates_once_and_five_wrong_codes_lock_it(
    worker, alice, admin_user, tokens
):
    NotificationSettings.objects.create(organization=alice.organization, otp_resend_cooldown_seconds=0)
    smtp = SmtpServer(tokens).start()
    try:
        _oauth_sender(alice.organization, admin_user, port=smtp.port, tokens=tokens)
        first = otp_issue(user=alice, purpose="email_verification", channel="email")
        wait_for(lambda: len(smtp.handler.messages) == 1, worker)
        second = otp_issue(user=alice, purpose="password_reset", channel="email")
        wait_for(lambda: len(smtp.handler.messages) == 2, worker)
    finally:
        smtp.stop()
    assert smtp.handler.logins == ["no-reply@root.example"] * 2
    first_code = re.search(r"code is (\w+)\.", text_of(smtp.handler.messages[0])).group(1)
    assert otp_verify(user=alice, purpose="email_verification", code=first_code).ok
    assert not otp_verify(user=alice, purpose="email_verification", code=first_code)

    second_code = re.search(r"Use the code (\w+) ", text_of(smtp.handler.messages[1])).group(1)
    wrong = "000000" if second_code != "000000" else "111111"
    for _ in range(5):
        assert not otp_verify(user=alice, purpose="password_reset", code=wrong)
    assert otp_verify(user=alice, purpose="password_reset", code=second_code).reason == "locked"
    wait_for(lambda: Message.objects.filter(status="sent").count() == 2, worker, timeout=10)
    assert {first.message.pk, second.message.pk} == set(Message.objects.values_list("pk", flat=True))


def test_smtp_down_then_back_is_retried_by_the_worker_and_delivered_once(worker, alice, admin_user, tokens):
    port = free_port()
    _oauth_sender(alice.organization, admin_user, port=port, tokens=tokens)
    issued = otp_issue(user=alice, purpose="login", channel="email")
    message = Message.objects.get(pk=issued.message.pk)

    def failed_once() -> bool:
        message.refresh_from_db()
        return message.status == Message.Status.FAILED and message.attempts >= 1

    wait_for(failed_once, worker)
    assert "SMTP server unreachable" in message.last_error

    smtp = SmtpServer(tokens, port=port).start()
    try:

        def sent() -> bool:
            message.refresh_from_db()
            return message.status == Message.Status.SENT

        wait_for(sent, worker)
        time.sleep(2)  # a duplicate would arrive within the retry window
    finally:
        smtp.stop()
    assert len(smtp.handler.messages) == 1
    assert message.attempts >= 2
    assert message.last_error == ""
    code = re.search(r"code is (\w+)\.", text_of(smtp.handler.messages[0])).group(1)
    assert otp_verify(user=alice, purpose="login", code=code).ok


def test_sms_otp_via_worker_reaches_the_loopback_endpoint(worker, alice, admin_user):
    endpoint = SmsEndpoint().start()
    try:
        sms_sender_save(actor=admin_user, organization=alice.organization, url=endpoint.url, sender_id="ROOT")
        otp_issue(user=alice, purpose="login", channel="sms")
        wait_for(lambda: len(endpoint.received) == 1, worker)
    finally:
        endpoint.stop()
    body = json.loads(endpoint.received[0]["body"])
    assert body["to"] == "+15550001111"
    code = re.match(r"(\d{6}) ", body["message"]).group(1)
    assert otp_verify(user=alice, purpose="login", code=code).ok
