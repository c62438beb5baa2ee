"""refresh_token: rotation, reuse detection (family revocation), narrowing, the non-rotating mode."""

from __future__ import annotations

from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from tests.oauth.helpers import basic, form_post, pkce_pair
from tests.oauth.test_authorization_code import exchange, get_code

TOKEN = "/oauth2/token"


def login_tokens(client, browser, app, scope="openid orders:read"):
    verifier, challenge = pkce_pair()
    return exchange(client, app, get_code(browser, app, scope=scope, challenge=challenge), verifier).json()


def refresh(client, app, token, **more):
    data = {"grant_type": "refresh_token", "refresh_token": token, **more}
    if app.secret:
        return form_post(client, TOKEN, data, HTTP_AUTHORIZATION=basic(app.client_id, app.secret))
    return form_post(client, TOKEN, {**data, "client_id": app.client_id})


def test_rotation_issues_a_new_refresh_token_and_reuse_revokes_the_family(client, browser, web):
    first = login_tokens(client, browser, web)
    second = refresh(client, web, first["refresh_token"])
    assert second.status_code == 200, second.content
    second = second.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert "id_token" not in second
    third = refresh(client, web, second["refresh_token"]).json()
    # The rotated first token comes back: the whole family dies.
    replay = refresh(client, web, first["refresh_token"])
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert refresh(client, web, third["refresh_token"]).status_code == 400
    assert get_access_token_model().objects.count() == 0
    assert get_refresh_token_model().objects.filter(revoked__isnull=True).count() == 0


def test_scope_may_narrow_but_not_widen(client, browser, web):
    first = login_tokens(client, browser, web, scope="openid profile orders:read")
    narrowed = refresh(client, web, first["refresh_token"], scope="orders:read").json()
    assert narrowed["scope"] == "orders:read"
    widened = refresh(client, web, narrowed["refresh_token"], scope="openid orders:read orders:write")
    assert widened.status_code == 200
    assert widened.json()["scope"] == "orders:read"


def test_refresh_reapplies_the_role_rule(client, browser, web, alice):
    from apps.users.models import Role

    first = login_tokens(client, browser, web, scope="openid orders:read")
    Role.objects.filter(users=alice).delete()
    body = refresh(client, web, first["refresh_token"]).json()
    assert body["scope"] == "openid"


def test_without_rotation_the_refresh_token_stays_and_the_old_access_token_goes(
    client, browser, root_org, make_app, orders_api
):
    app = make_app(root_org, name="steady", refresh_rotation=False, apis={orders_api: ["orders:read"]})
    first = login_tokens(client, browser, app)
    again = refresh(client, app, first["refresh_token"]).json()
    assert "refresh_token" not in again
    assert refresh(client, app, first["refresh_token"]).status_code == 200
    assert get_access_token_model().objects.count() == 1


def test_public_clients_always_rotate(client, browser, root_org, make_app):
    spa = make_app(root_org, "react-application", "spa", refresh_rotation=False)
    first = login_tokens(client, browser, spa, scope="openid")
    second = refresh(client, spa, first["refresh_token"]).json()
    assert second["refresh_token"] != first["refresh_token"]


def test_refresh_token_of_another_client_or_garbage_is_invalid_grant(client, browser, web, root_org, make_app):
    other = make_app(root_org, name="other")
    first = login_tokens(client, browser, web)
    for app, token in ((other, first["refresh_token"]), (web, "garbage")):
        response = refresh(client, app, token)
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_grant"


def test_expired_refresh_token_is_invalid_grant(client, browser, web):
    from datetime import timedelta

    from django.utils import timezone

    first = login_tokens(client, browser, web)
    get_refresh_token_model().objects.update(created=timezone.now() - timedelta(days=2))
    response = refresh(client, web, first["refresh_token"])
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_an_agent_subject_gets_aut_agent_in_every_token_and_in_introspection(client, root_org, web, make_user):
    """WSO2 7.2's ``aut``: AGENT when the subject is an AI agent identity (code, refresh, introspection)."""
    from django.test import Client as Browser

    from apps.keystores.selectors import keystore_jwks
    from tests.oauth.helpers import jwt_verified_claims

    agent = make_user(root_org, "invoice-bot", ["orders:read"], kind="agent")
    browser = Browser()
    browser.force_login(agent)
    first = login_tokens(client, browser, web)
    jwks = keystore_jwks(organization=root_org)
    assert jwt_verified_claims(first["access_token"], jwks)["aut"] == "AGENT"
    second = refresh(client, web, first["refresh_token"]).json()
    claims = jwt_verified_claims(second["access_token"], jwks)
    assert claims["aut"] == "AGENT"
    assert claims["sub"] == str(agent.id)
    introspected = form_post(
        client,
        "/oauth2/introspect",
        {"token": second["access_token"]},
        HTTP_AUTHORIZATION=basic(web.client_id, web.secret),
    ).json()
    assert introspected["active"] is True
    assert introspected["aut"] == "AGENT"


def test_a_refresh_costs_a_constant_number_of_statements(client, browser, web, django_assert_max_num_queries):
    """The hot path: tenant, token (one join), role scopes, then retire, drop, two inserts; the test's
    transaction makes the grant's atomic block a SAVEPOINT and RELEASE, which count here too."""
    tokens = login_tokens(client, browser, web)
    second = refresh(client, web, tokens["refresh_token"]).json()
    with django_assert_max_num_queries(9):
        third = refresh(client, web, second["refresh_token"])
    assert third.status_code == 200


def test_every_user_grant_tells_token_webhooks(client, browser, web, root_org, settings):
    """A webhook on the token channel hears of the code exchange and of each refresh (grant type,
    user); nobody listening costs no outbox row (tests/webhooks covers that and the delivery)."""
    from apps.core.models import OutboxEvent
    from apps.webhooks import channels
    from apps.webhooks.services import webhook_create

    settings.IAM_WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    webhook_create(
        actor=None,
        organization=root_org,
        name="Token log",
        endpoint="http://127.0.0.1:9/tokens",
        channels=[channels.channel_uri("token")],
        secret="s3cret-s3cret-s3cret",
        status="ACTIVE",
    )
    tokens = login_tokens(client, browser, web)
    refresh(client, web, tokens["refresh_token"])
    issued = OutboxEvent.objects.filter(event_type="token.issued").order_by("created")
    assert [event.payload["grantType"] for event in issued] == ["authorization_code", "refresh_token"]
    assert {event.payload["userId"] for event in issued} == {str(browser.session["_auth_user_id"])}
