"""Console: create from a template → the secret shown once → quick start;
protocol and general settings with inline errors; template locks; API
authorization; secret regeneration; deletion behind a confirmation."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape

import pytest
from django.test import Client

from apps.applications.models import Application, AuthorizedAPI
from apps.applications.secrets import client_secret_matches
from apps.orgs.models import Organization
from tests.applications.conftest import REDIRECT, snapshot
from tests.console.conftest import html


def text(response: object) -> str:
    """The page with HTML entities decoded (code snippets are escaped in <pre>)."""
    return unescape(html(response))


pytestmark = pytest.mark.django_db

DISCOVERY = "http://127.0.0.1:8000/oauth2/token/.well-known/openid-configuration"


def _secret_on(page: str) -> str:
    match = re.search(r'id="client-secret">([^<]+)<', page)
    assert match, "no secret on the page"
    return match.group(1)


def test_template_cards_link_to_the_wizards(console: Client, root_org: Organization) -> None:
    page = html(console.get("/console/applications/new/"))
    for template_id in (
        "react-application",
        "nextjs-application",
        "mobile-application",
        "m2m-application",
        "oidc-web-application",
        "mcp-client-application",
    ):
        assert f'href="/console/applications/new/{template_id}/"' in page
    assert console.get("/console/applications/new/no-such-template/").status_code == 404


def test_create_spa_then_quick_start(console: Client, root_org: Organization) -> None:
    wizard = html(console.get("/console/applications/new/react-application/"))
    assert 'name="redirect_uris"' in wizard
    assert 'placeholder="http://localhost:5173"' in wizard
    response = console.post(
        "/console/applications/new/react-application/", {"name": "Shop", "redirect_uris": "http://localhost:5173"}
    )
    assert response.status_code == 200
    app = Application.objects.get(organization=root_org, name="Shop")
    page = html(response)
    assert app.client_id in page
    assert 'id="client-secret"' not in page  # public: nothing to show
    assert "no-store" in response["Cache-Control"]

    quick = text(console.get(f"/console/applications/{app.uuid}/quick-start/"))
    assert app.client_id in quick
    assert DISCOVERY in quick
    assert f'client_id: "{app.client_id}"' in quick  # the React snippet, filled in
    assert 'redirect_uri: "http://localhost:5173"' in quick
    assert "{client_id}" not in quick


def test_confidential_app_shows_its_secret_once(console: Client, root_org: Organization) -> None:
    response = console.post(
        "/console/applications/new/nextjs-application/",
        {"name": "Web", "redirect_uris": "http://localhost:3000/api/auth/callback/iam"},
    )
    page = html(response)
    secret = _secret_on(page)
    assert "shown only once" in page
    app = Application.objects.get(name="Web")
    assert client_secret_matches(app.client_secret_hash, secret)
    for tab in ("", "protocol/", "api-authorization/", "quick-start/"):
        assert secret not in html(console.get(f"/console/applications/{app.uuid}/{tab}"))
    quick = text(console.get(f"/console/applications/{app.uuid}/quick-start/"))
    assert 'issuer: "http://127.0.0.1:8000/oauth2/token"' in quick


def test_wizard_errors_are_inline(console: Client, root_org: Organization, make_app: Callable) -> None:
    make_app(root_org, "Taken")
    before = snapshot()
    cases = [
        ({"name": "", "redirect_uris": REDIRECT}, "id_name_error"),
        ({"name": "taken", "redirect_uris": REDIRECT}, "id_name_error"),
        ({"name": "New", "redirect_uris": "javascript:alert(1)"}, "id_redirect_uris_error"),
        ({"name": "New", "redirect_uris": "https://app.example.com/#x"}, "id_redirect_uris_error"),
        ({"name": "New", "redirect_uris": ""}, "id_redirect_uris_error"),
    ]
    for data, error_id in cases:
        response = console.post("/console/applications/new/oidc-web-application/", data)
        assert response.status_code == 400
        assert f'id="{error_id}"' in html(response), data
    assert snapshot() == before


def test_mcp_wizard_public_client_checkbox(console: Client, root_org: Organization) -> None:
    wizard = html(console.get("/console/applications/new/mcp-client-application/"))
    assert re.search(r'name="public_client"[^>]*checked', wizard)
    response = console.post(
        "/console/applications/new/mcp-client-application/", {"name": "Agent", "redirect_uris": REDIRECT}
    )
    assert response.status_code == 200
    assert Application.objects.get(name="Agent").client_type == "confidential"  # an unticked box posts nothing
    console.post(
        "/console/applications/new/mcp-client-application/",
        {"name": "Desktop agent", "redirect_uris": REDIRECT, "public_client": "on"},
    )
    assert Application.objects.get(name="Desktop agent").client_type == "public"


def _protocol_data(app: Application, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "grant_types": list(app.grant_types),
        "redirect_uris": "\n".join(app.redirect_uris.split()),
        "post_logout_redirect_uris": "",
        "allowed_origins": "",
        "token_endpoint_auth_method": app.token_endpoint_auth_method,
        "jwks": "",
        "access_token_format": app.access_token_format,
        "token_binding": app.token_binding,
        "access_token_lifetime": app.access_token_lifetime,
        "refresh_token_lifetime": app.refresh_token_lifetime,
        "id_token_lifetime": app.id_token_lifetime,
    }
    if app.pkce_mandatory:
        data["pkce_mandatory"] = "on"
    if app.refresh_rotation:
        data["refresh_rotation"] = "on"
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_protocol_settings_edit_and_inline_errors(console: Client, root_org: Organization, make_app) -> None:
    app, _ = make_app(root_org, "Web")
    url = f"/console/applications/{app.uuid}/protocol/"
    page = html(console.get(url))
    assert "Confidential" in page
    assert 'name="grant_types"' in page
    response = console.post(
        url,
        _protocol_data(
            app,
            redirect_uris=f"{REDIRECT}\nhttps://app.example.com/other",
            token_binding="DPoP",
            access_token_format="Default",
            access_token_lifetime=600,
        ),
    )
    assert response.status_code == 302, html(response)
    app.refresh_from_db()
    assert app.redirect_uris.split() == [REDIRECT, "https://app.example.com/other"]
    assert (app.token_binding, app.access_token_format, app.access_token_lifetime) == ("DPoP", "Default", 600)

    before = snapshot()
    for changes, error_id in (
        ({"redirect_uris": "http://app.example.com/cb"}, "id_redirect_uris_error"),
        ({"redirect_uris": "/relative"}, "id_redirect_uris_error"),
        ({"grant_types": ["refresh_token"]}, "id_grant_types_error"),
        ({"access_token_lifetime": 1}, "id_access_token_lifetime_error"),
        ({"access_token_lifetime": "soon"}, "id_access_token_lifetime_error"),
        ({"token_endpoint_auth_method": "private_key_jwt"}, "id_jwks_error"),
        ({"jwks": "{not json"}, "id_jwks_error"),
        ({"allowed_origins": "https://a.example.com/path"}, "id_allowed_origins_error"),
    ):
        response = console.post(url, _protocol_data(app, **changes))
        assert response.status_code == 400, changes
        assert f'id="{error_id}"' in html(response), changes
    assert snapshot() == before


def test_mcp_pkce_cannot_be_turned_off_in_the_console(console: Client, root_org: Organization, make_app) -> None:
    app, _ = make_app(root_org, "Agent", template_id="mcp-client-application")
    url = f"/console/applications/{app.uuid}/protocol/"
    page = html(console.get(url))
    assert re.search(r'name="pkce_mandatory"[^>]*disabled', page)
    assert "Fixed by the application template." in page
    assert re.search(r'name="token_endpoint_auth_method"[^>]*disabled', page)  # public client: always none
    data = _protocol_data(app)
    data.pop("pkce_mandatory")  # a crafted POST "unticking" the disabled box
    data["token_endpoint_auth_method"] = "client_secret_basic"
    console.post(url, data)
    app.refresh_from_db()
    assert app.pkce_mandatory is True
    assert app.token_endpoint_auth_method == "none"


def test_general_settings_and_inline_errors(console: Client, root_org: Organization, make_app) -> None:
    app, _ = make_app(root_org, "Web")
    url = f"/console/applications/{app.uuid}/"
    response = console.post(
        url, {"name": "Web portal", "description": "Hi", "access_url": "https://web.example.com", "discoverable": "on"}
    )
    assert response.status_code == 302
    app.refresh_from_db()
    assert (app.name, app.description, app.discoverable) == ("Web portal", "Hi", True)
    response = console.post(url, {"name": "Web portal", "discoverable": "on", "access_url": ""})
    assert response.status_code == 400
    assert 'id="id_access_url_error"' in html(response)
    response = console.post(url, {"name": "Web portal", "logo_url": "javascript:alert(1)"})
    assert 'id="id_logo_url_error"' in html(response)


def test_api_authorization_tab(console: Client, root_org: Organization, make_app, make_resource) -> None:
    app, _ = make_app(root_org, "Web")
    orders = make_resource(root_org, "https://api.example.com/orders", scopes=("orders:read", "orders:write"))
    mcp = make_resource(root_org, "https://mcp.example.com/mcp", scopes=("tools:run",), resource_type="MCP")
    tab = html(console.get(f"/console/applications/{app.uuid}/api-authorization/"))
    assert f'value="{orders.pk}"' in tab
    assert f'value="{mcp.pk}"' not in tab  # MCP servers only for MCP clients

    choose = html(console.get(f"/console/applications/{app.uuid}/api-authorization/new/?resource={orders.pk}"))
    assert 'value="orders:read"' in choose
    response = console.post(
        f"/console/applications/{app.uuid}/api-authorization/new/",
        {"resource": str(orders.pk), "scopes": ["orders:read"], "policy": "RBAC"},
    )
    assert response.status_code == 302
    authorized = AuthorizedAPI.objects.get(application=app, api_resource=orders)
    assert [s.name for s in authorized.scopes.all()] == ["orders:read"]

    response = console.post(
        f"/console/applications/{app.uuid}/api-authorization/{orders.pk}/",
        {f"api-{orders.pk}-scopes": ["orders:write"]},
    )
    assert response.status_code == 302
    assert [s.name for s in authorized.scopes.all()] == ["orders:write"]

    refused = console.post(
        f"/console/applications/{app.uuid}/api-authorization/new/",
        {"resource": str(mcp.pk), "scopes": ["tools:run"], "policy": "RBAC"},
    )
    assert refused.status_code == 400
    assert "MCP client application template" in html(refused)

    revoke_url = f"/console/applications/{app.uuid}/api-authorization/{orders.pk}/revoke/"
    assert console.get(revoke_url).status_code == 200
    assert AuthorizedAPI.objects.filter(pk=authorized.pk).exists()
    assert console.post(revoke_url).status_code == 302
    assert not AuthorizedAPI.objects.filter(pk=authorized.pk).exists()


def test_regenerate_secret_with_confirmation(console: Client, root_org: Organization, make_app) -> None:
    app, old = make_app(root_org, "Daemon", template_id="m2m-application")
    url = f"/console/applications/{app.uuid}/secret/"
    assert "Regenerate" in html(console.get(url))
    app.refresh_from_db()
    assert client_secret_matches(app.client_secret_hash, old)  # a GET changes nothing
    new = _secret_on(html(console.post(url)))
    app.refresh_from_db()
    assert client_secret_matches(app.client_secret_hash, new)
    assert not client_secret_matches(app.client_secret_hash, old)

    spa, _ = make_app(root_org, "SPA", template_id="react-application")
    assert console.post(f"/console/applications/{spa.uuid}/secret/").status_code == 400


def test_delete_with_confirmation(console: Client, root_org: Organization, make_app) -> None:
    app, _ = make_app(root_org, "Old")
    url = f"/console/applications/{app.uuid}/delete/"
    page = html(console.get(url))
    assert "Old" in page
    assert "cannot be undone" in page
    assert Application.objects.filter(pk=app.pk).exists()
    assert console.post(url)["Location"] == "/console/applications/"
    assert not Application.objects.filter(pk=app.pk).exists()
    assert console.get(f"/console/applications/{app.uuid}/").status_code == 404


def test_list_and_live_search(console: Client, root_org: Organization, make_app) -> None:
    make_app(root_org, "Alpha")
    make_app(root_org, "Beta")
    page = html(console.get("/console/applications/"))
    assert "Alpha" in page
    assert "Beta" in page
    fragment = html(console.get("/console/applications/?q=alp", headers={"HX-Request": "true"}))
    assert "Alpha" in fragment
    assert "Beta" not in fragment
    assert "<nav" not in fragment


def test_view_only_users_cannot_change_anything(
    root_org: Organization, make_user: Callable, signed_in: Callable, make_app
) -> None:
    app, _ = make_app(root_org, "Web")
    viewer = signed_in(make_user(root_org, "viewer", scopes=["internal_application_mgt_view"]))
    assert viewer.get("/console/applications/").status_code == 200
    page = html(viewer.get(f"/console/applications/{app.uuid}/protocol/"))
    assert '<fieldset class="bare" disabled>' in page
    assert "New application" not in html(viewer.get("/console/applications/"))
    before = snapshot()
    assert viewer.post(f"/console/applications/{app.uuid}/", {"name": "Mine"}).status_code == 403
    assert viewer.post(f"/console/applications/{app.uuid}/protocol/", _protocol_data(app)).status_code == 403
    assert viewer.post(f"/console/applications/{app.uuid}/secret/").status_code == 403
    assert viewer.post(f"/console/applications/{app.uuid}/delete/").status_code == 403
    assert viewer.get("/console/applications/new/").status_code == 403
    assert snapshot() == before
    nobody = signed_in(make_user(root_org, "nobody", scopes=["internal_user_mgt_list"]))
    assert nobody.get("/console/applications/").status_code == 403


def test_quick_start_without_a_template(console: Client, root_org: Organization) -> None:
    legacy = Application.objects.create(
        organization=root_org,
        name="Legacy",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
    )
    page = html(console.get(f"/console/applications/{legacy.uuid}/quick-start/"))
    assert legacy.client_id in page
    assert DISCOVERY in page
    assert "not created from a template" in page
