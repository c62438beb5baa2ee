"""The token hot path: the signing key comes from the per-process cache, and a
rotation takes effect within ``ACTIVE_KEY_TTL_SECONDS`` (time is moved by
patching the cache clock, never by sleeping)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from django.db import transaction

from apps.core import cache
from apps.keystores import crypto
from apps.keystores.cache import ACTIVE_KEY_TTL_SECONDS, BoundedCache
from apps.keystores.models import SigningKey
from apps.keystores.selectors import keystore_verification_key
from apps.keystores.services import keystore_create_key, keystore_rotate, keystore_signing_key
from apps.orgs.models import Organization

pytestmark = pytest.mark.django_db


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Iterator[FakeClock]:
    fake = FakeClock()
    with mock.patch.object(cache, "clock", fake):
        yield fake


def test_the_documented_bound_is_a_few_seconds() -> None:
    assert 0 < ACTIVE_KEY_TTL_SECONDS <= 10


def test_a_warm_signing_key_costs_no_query(root_org: Organization, django_assert_num_queries: Any) -> None:
    keystore_create_key(actor=None, organization=root_org)
    with django_assert_num_queries(1):  # cold: one read of the active key
        first = keystore_signing_key(organization=root_org)
    with django_assert_num_queries(0):
        for _ in range(20):
            assert keystore_signing_key(organization=root_org) is first


def test_the_private_key_is_parsed_once_per_kid(root_org: Organization, clock: FakeClock) -> None:
    keystore_create_key(actor=None, organization=root_org)
    with mock.patch.object(crypto, "signing_jwk", wraps=crypto.signing_jwk) as parse:
        keystore_signing_key(organization=root_org)
        clock.advance(ACTIVE_KEY_TTL_SECONDS * 10)  # the active-kid entry expires, the parsed key does not
        keystore_signing_key(organization=root_org)
    assert parse.call_count == 1


def test_a_rotation_elsewhere_takes_effect_within_the_bound(
    root_org: Organization, clock: FakeClock, django_assert_num_queries: Any
) -> None:
    keystore_create_key(actor=None, organization=root_org)
    old = keystore_signing_key(organization=root_org)
    # The rotation commits in another process: nothing tells this process's cache.
    new = keystore_rotate(actor=None, organization=root_org)

    clock.advance(ACTIVE_KEY_TTL_SECONDS - 0.01)
    assert keystore_signing_key(organization=root_org).kid == old.kid  # still inside the bound
    clock.advance(0.01)
    with django_assert_num_queries(1):
        assert keystore_signing_key(organization=root_org).kid == new.kid
    with django_assert_num_queries(0):
        assert keystore_signing_key(organization=root_org).kid == new.kid


def test_a_rotation_in_this_process_takes_effect_on_commit(root_org: Organization, committed: Any) -> None:
    keystore_create_key(actor=None, organization=root_org)
    old = keystore_signing_key(organization=root_org)
    with committed():
        new = keystore_rotate(actor=None, organization=root_org)
    assert new.kid != old.kid
    assert keystore_signing_key(organization=root_org).kid == new.kid


def test_a_lazily_created_key_is_cached_only_once_committed(
    root_org: Organization, committed: Any, django_assert_num_queries: Any
) -> None:
    doomed: list[Any] = []

    def failing_token_request() -> None:
        with transaction.atomic():
            doomed.append(keystore_signing_key(organization=root_org))
            raise RuntimeError("the token request failed and rolled back")

    with pytest.raises(RuntimeError):
        failing_token_request()
    assert not SigningKey.objects.exists()
    with committed():
        created = keystore_signing_key(organization=root_org)
    assert created.kid != doomed[0].kid  # the rolled-back key never signs
    assert SigningKey.objects.get().kid == created.kid
    with django_assert_num_queries(0):
        assert keystore_signing_key(organization=root_org).kid == created.kid


def test_the_cache_is_per_tenant_and_protocol(root_org: Organization, other_tenant: Organization) -> None:
    root_oauth = keystore_signing_key(organization=root_org)
    acme_oauth = keystore_signing_key(organization=other_tenant)
    root_saml = keystore_signing_key(organization=root_org, protocol="saml")
    assert len({root_oauth.kid, acme_oauth.kid, root_saml.kid}) == 3
    assert keystore_signing_key(organization=other_tenant).kid == acme_oauth.kid
    assert keystore_signing_key(organization=root_org, protocol="saml").kid == root_saml.kid


def test_verification_keys_are_cached_and_retirement_is_honoured(
    root_org: Organization, clock: FakeClock, django_assert_num_queries: Any, committed: Any
) -> None:
    old = keystore_signing_key(organization=root_org)
    with django_assert_num_queries(1):
        assert keystore_verification_key(organization=root_org, kid=old.kid) is not None
    with django_assert_num_queries(0):
        assert keystore_verification_key(organization=root_org, kid=old.kid) is not None
    with django_assert_num_queries(1):  # unknown kids are never cached
        assert keystore_verification_key(organization=root_org, kid="unknown") is None
    with django_assert_num_queries(1):
        assert keystore_verification_key(organization=root_org, kid="unknown") is None
    # An emergency rotation elsewhere: the cached entry lasts at most the bound ...
    keystore_rotate(actor=None, organization=root_org, overlap_seconds=0)
    assert keystore_verification_key(organization=root_org, kid=old.kid) is not None
    clock.advance(ACTIVE_KEY_TTL_SECONDS)
    assert keystore_verification_key(organization=root_org, kid=old.kid) is None
    # ... and one in this process drops it on commit.
    newer = keystore_signing_key(organization=root_org)
    assert keystore_verification_key(organization=root_org, kid=newer.kid) is not None
    with committed():
        keystore_rotate(actor=None, organization=root_org, overlap_seconds=0)
    assert keystore_verification_key(organization=root_org, kid=newer.kid) is None


def test_bounded_cache_evicts_the_least_recently_used(clock: FakeClock) -> None:
    lru = BoundedCache(max_entries=2)
    lru.put("a", 1)
    lru.put("b", 2)
    assert lru.get("a") == 1  # "b" is now the least recently used
    lru.put("c", 3)
    assert (lru.get("a"), lru.get("b"), lru.get("c")) == (1, None, 3)
    lru.discard("a")
    assert lru.get("a") is None


def test_bounded_cache_expires_entries(clock: FakeClock) -> None:
    ttl = BoundedCache(max_entries=10, ttl_seconds=5)
    ttl.put("k", "v")
    clock.advance(4.99)
    assert ttl.get("k") == "v"
    clock.advance(0.01)
    assert ttl.get("k") is None
    ttl.put("k", "w")
    ttl.clear()
    assert ttl.get("k") is None
