"""Races that real commits exercise: two first tokens at once, two rotations at once.
The partial unique constraint (one active key per tenant and protocol) decides."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from django.db import connection

from apps.core.errors import Conflict
from apps.keystores import cache, crypto
from apps.keystores.models import SigningKey
from apps.keystores.services import keystore_create_key, keystore_rotate, keystore_signing_key
from apps.orgs.models import Organization

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(target: Callable[[], Any], count: int = 2) -> list[Any]:
    """Run ``target`` in ``count`` threads released at the same moment; results or exceptions."""
    barrier = threading.Barrier(count)
    results: list[Any] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            outcome = target()
        except Exception as exc:
            outcome = exc
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_first_tokens_at_once_share_one_key(root_org: Organization) -> None:
    from apps.core.tasks import outbox_dispatch

    with mock.patch.object(outbox_dispatch, "delay"):
        results = run_together(lambda: keystore_signing_key(organization=root_org).kid)
    assert not [r for r in results if isinstance(r, Exception)], results
    key = SigningKey.objects.get()
    assert results == [key.kid, key.kid]


def test_two_rotations_at_once_leave_exactly_one_active_key(root_org: Organization) -> None:
    from apps.core.tasks import outbox_dispatch

    first = keystore_create_key(actor=None, organization=root_org)
    # Both threads finish generating their key before either starts its transaction.
    generated = threading.Barrier(2)
    real_generate = crypto.key_generate

    def generate_then_wait(**kwargs: Any) -> crypto.GeneratedKey:
        key = real_generate(**kwargs)
        generated.wait(timeout=10)
        return key

    with mock.patch.object(outbox_dispatch, "delay"), mock.patch.object(crypto, "key_generate", generate_then_wait):
        results = run_together(lambda: keystore_rotate(actor=None, organization=root_org).kid)
    rotated = [r for r in results if isinstance(r, str)]
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert len(rotated) + len(conflicts) == 2, results
    assert all(c.code == "KSM-60009" for c in conflicts)
    assert SigningKey.objects.filter(status="active").count() == 1
    assert SigningKey.objects.count() == 1 + len(rotated)
    assert SigningKey.objects.get(pk=first.pk).status == "retiring"
    cache.clear_all()
    assert keystore_signing_key(organization=root_org).kid in rotated
