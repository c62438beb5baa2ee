"""Rate limits of the token-style endpoints: failed client authentications per client_id, failures per
client IP, 429 with Retry-After in RFC 6749 error JSON, and a single cache operation on the hot path."""

from __future__ import annotations

from unittest import mock

import pytest
from django.test import Client

from apps.authn import ratelimit
from tests.oauth.helpers import basic, form_post

TOKEN = "/oauth2/token"
CC = {"grant_type": "client_credentials"}


def wrong_secret(client: Client, app, **extra):
    return form_post(client, TOKEN, CC, HTTP_AUTHORIZATION=basic(app.client_id, "not-the-secret"), **extra)


def right_secret(client: Client, app, **extra):
    return form_post(client, TOKEN, CC, HTTP_AUTHORIZATION=basic(app.client_id, app.secret), **extra)


def assert_too_many(response) -> int:
    assert response.status_code == 429
    assert response.json()["error"] == "invalid_request"
    assert "retry after" in response.json()["error_description"]
    assert response["Cache-Control"] == "no-store"
    wait = int(response["Retry-After"])
    assert 1 <= wait <= 60
    return wait


@pytest.mark.django_db
def test_failed_client_authentications_limit_that_client_from_every_address(client, m2m, make_app, root_org, settings):
    settings.IAM_OAUTH_FAILURE_RATE_PER_CLIENT = (3, 60)
    for n in range(3):
        assert wrong_secret(client, m2m, REMOTE_ADDR=f"192.0.2.{n}").status_code == 401
    # the right secret, from yet another address: refused while the client is over its limit
    assert_too_many(right_secret(client, m2m, REMOTE_ADDR="192.0.2.99"))
    # client_secret_post names the client in the body: the same counter
    post = form_post(client, TOKEN, {**CC, "client_id": m2m.client_id, "client_secret": m2m.secret})
    assert_too_many(post)
    # another client is not affected
    other = make_app(root_org, "m2m-application", "other-m2m")
    assert right_secret(client, other).status_code == 200


@pytest.mark.django_db
def test_failures_from_one_address_limit_that_address(client, m2m, make_app, root_org, settings):
    settings.IAM_OAUTH_FAILURE_RATE_PER_IP = (4, 60)
    settings.IAM_OAUTH_FAILURE_RATE_PER_CLIENT = (100, 60)
    other = make_app(root_org, "m2m-application", "other-m2m")
    for app in (m2m, other):
        for _ in range(2):
            assert wrong_secret(client, app, REMOTE_ADDR="198.51.100.7").status_code == 401
    # the fifth request, with the right secret, from the same address
    assert_too_many(right_secret(client, m2m, REMOTE_ADDR="198.51.100.7"))
    assert right_secret(client, m2m, REMOTE_ADDR="198.51.100.8").status_code == 200
    # introspection and revocation share the limit
    introspect = form_post(
        client,
        "/oauth2/introspect",
        {"token": "x"},
        HTTP_AUTHORIZATION=basic(m2m.client_id, m2m.secret),
        REMOTE_ADDR="198.51.100.7",
    )
    assert_too_many(introspect)


@pytest.mark.django_db
def test_guessed_codes_count_per_address(client, web, settings):
    settings.IAM_OAUTH_FAILURE_RATE_PER_IP = (3, 60)
    data = {"grant_type": "authorization_code", "code": "guess", "redirect_uri": "https://rp.example.com/callback"}
    for _ in range(3):
        response = form_post(client, TOKEN, data, HTTP_AUTHORIZATION=basic(web.client_id, web.secret))
        assert response.json()["error"] == "invalid_grant"
    assert_too_many(form_post(client, TOKEN, data, HTTP_AUTHORIZATION=basic(web.client_id, web.secret)))


@pytest.mark.django_db
def test_other_errors_and_successes_do_not_count(client, m2m, settings):
    settings.IAM_OAUTH_FAILURE_RATE_PER_IP = (2, 60)
    settings.IAM_OAUTH_FAILURE_RATE_PER_CLIENT = (2, 60)
    for _ in range(5):
        assert right_secret(client, m2m).status_code == 200
        unsupported = form_post(
            client, TOKEN, {"grant_type": "password"}, HTTP_AUTHORIZATION=basic(m2m.client_id, m2m.secret)
        )
        assert unsupported.json()["error"] == "unsupported_grant_type"
    assert right_secret(client, m2m).status_code == 200


@pytest.mark.django_db
def test_the_limit_slides_out_after_the_window(client, m2m, settings, monkeypatch):
    settings.IAM_OAUTH_FAILURE_RATE_PER_CLIENT = (2, 60)
    clock = [1_000_000 * 60 + 10.0]
    monkeypatch.setattr(ratelimit.time, "time", lambda: clock[0])
    for _ in range(2):
        assert wrong_secret(client, m2m).status_code == 401
    wait = assert_too_many(right_secret(client, m2m))
    clock[0] += wait + 61  # both the bucket and its weighted successor have passed
    assert right_secret(client, m2m).status_code == 200


@pytest.mark.django_db
def test_a_token_request_costs_one_cache_operation(client, m2m):
    """The success path makes one call to the shared cache (one Redis round trip: MGET of both counters)."""
    from django.core.cache import cache

    assert right_secret(client, m2m).status_code == 200
    calls: list[str] = []
    inside = [False]

    def recording(name: str, original):
        def call(*args, **kwargs):
            if inside[0]:  # the local-memory backend's get_many calls get: one operation, not several
                return original(*args, **kwargs)
            calls.append(name)
            inside[0] = True
            try:
                return original(*args, **kwargs)
            finally:
                inside[0] = False

        return call

    for name in ("get", "get_many", "set", "add", "incr", "set_many", "delete"):
        mock.patch.object(cache, name, side_effect=recording(name, getattr(cache, name))).start()
    try:
        assert right_secret(client, m2m).status_code == 200
    finally:
        mock.patch.stopall()
    assert calls == ["get_many"]
