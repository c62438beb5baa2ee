"""Application templates are data files, validated on load; each one's defaults
(plus what its wizard asks) make a valid application."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from rest_framework.test import APIClient

from apps.applications.app_settings import SETTINGS, settings_of
from apps.applications.app_templates import DATA_DIR, TEMPLATES, TemplateError, load_templates
from apps.applications.secrets import client_secret_matches
from apps.applications.services import application_create
from apps.orgs.models import Organization
from tests.applications.conftest import API

EXPECTED = {
    "react-application",
    "nextjs-application",
    "mobile-application",
    "m2m-application",
    "oidc-web-application",
    "mcp-client-application",
}
WIZARD_VALUES = {
    "react-application": {"redirect_uris": ["http://localhost:5173"]},
    "nextjs-application": {"redirect_uris": ["http://localhost:3000/api/auth/callback/iam"]},
    "mobile-application": {"redirect_uris": ["com.example.app:/oauth2redirect"]},
    "m2m-application": {},
    "oidc-web-application": {"redirect_uris": ["https://app.example.com/callback"]},
    "mcp-client-application": {"redirect_uris": ["http://127.0.0.1:33418/callback"]},
}


def test_every_template_loads_with_every_setting() -> None:
    assert set(TEMPLATES) == EXPECTED
    for template in TEMPLATES.values():
        assert set(template.defaults) == set(SETTINGS)
        assert template.quick_starts
        assert all("{client_id}" in snippet.code for snippet in template.quick_starts)


@pytest.mark.parametrize("template_id", sorted(EXPECTED))
def test_each_template_creates_a_valid_application(root_org: Organization, template_id: str) -> None:
    template = TEMPLATES[template_id]
    app, secret = application_create(
        actor=None,
        organization=root_org,
        template_id=template_id,
        name=f"App {template_id}",
        **WIZARD_VALUES[template_id],
    )
    values = settings_of(app)
    for name, default in template.defaults.items():
        if name in WIZARD_VALUES[template_id] or name == "allowed_origins":
            continue
        assert values[name] == default, name
    assert app.template_id == template_id
    assert app.settings_locked == list(template.locked)
    assert app.client_secret == ""
    assert not app.hash_client_secret
    if template.defaults["client_type"] == "public":
        assert secret is None
        assert app.client_secret_hash == ""
        assert app.token_endpoint_auth_method == "none"
    else:
        assert secret
        assert client_secret_matches(app.client_secret_hash, secret)


def test_spa_origins_follow_the_redirect_urls(root_org: Organization) -> None:
    app, _ = application_create(
        actor=None,
        organization=root_org,
        template_id="react-application",
        name="Shop",
        redirect_uris=["http://localhost:5173/callback", "https://shop.example.com/cb"],
    )
    assert app.allowed_origins.split() == ["http://localhost:5173", "https://shop.example.com"]


def test_mcp_template_matches_wso2(root_org: Organization) -> None:
    template = TEMPLATES["mcp-client-application"]
    defaults = template.defaults
    assert defaults["client_type"] == "public"
    assert defaults["pkce_mandatory"] is True
    assert defaults["access_token_format"] == "JWT"
    assert defaults["refresh_rotation"] is True
    assert defaults["grant_types"] == ["authorization_code", "refresh_token"]
    assert defaults["discoverable"] is False
    assert "pkce_mandatory" in template.locked


def test_templates_api_lists_them(admin_api: APIClient, root_org: Organization) -> None:
    response = admin_api.get(f"{API}/applications/templates")
    assert response.status_code == 200
    body = response.json()
    assert body["totalResults"] == len(EXPECTED)
    by_id = {t["id"]: t for t in body["templates"]}
    assert set(by_id) == EXPECTED
    mcp = by_id["mcp-client-application"]
    assert "inboundProtocolConfiguration.oidc.pkce.mandatory" in mcp["lockedSettings"]
    assert mcp["application"]["inboundProtocolConfiguration"]["oidc"]["publicClient"] is True
    assert [f["path"] for f in mcp["wizardFields"]] == [
        "inboundProtocolConfiguration.oidc.callbackURLs",
        "inboundProtocolConfiguration.oidc.publicClient",
    ]


# --- a bad template file fails loudly ----------------------------------------------------


def _good() -> dict:
    return yaml.safe_load((DATA_DIR / "react-application.yaml").read_text())


def _write(directory: Path, data: object, name: str = "react-application") -> Path:
    (directory / f"{name}.yaml").write_text(yaml.safe_dump(data) if not isinstance(data, str) else data)
    return directory


def test_a_good_copy_loads(tmp_path: Path) -> None:
    assert list(load_templates(_write(tmp_path, _good()))) == ["react-application"]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["defaults"].pop("pkce_mandatory"), "missing"),
        (lambda d: d["defaults"].update(colour="red"), "unknown"),
        (lambda d: d["defaults"].update(pkce_mandatory="yes"), "pkce_mandatory"),
        (lambda d: d["defaults"].update(access_token_lifetime=True), "access_token_lifetime"),
        (lambda d: d["defaults"].update(grant_types=["implicit"]), "grant_types"),
        (lambda d: d["defaults"].update(token_binding="mtls"), "token_binding"),
        (lambda d: d.update(locked=["no_such_setting"]), "locked"),
        (lambda d: d.update(locked=["redirect_uris"]), "locked"),
        (lambda d: d["wizard"].append({"setting": "jwks", "label": "x"}), "cannot ask"),
        (lambda d: d.update(quickStart=[]), "quickStart"),
        (lambda d: d["quickStart"][0].update(code="no placeholder"), "client_id"),
        (lambda d: d.update(colour="red"), "unknown keys"),
        (lambda d: d.update(id="Bad Id"), "slug"),
        (lambda d: d.update(id="other-id"), "file name"),
    ],
)
def test_a_bad_template_file_fails_loudly(tmp_path: Path, mutate, message: str) -> None:
    data = _good()
    mutate(data)
    with pytest.raises(TemplateError, match=message):
        load_templates(_write(tmp_path, data))


def test_malformed_yaml_and_empty_directory_fail(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="no application templates"):
        load_templates(tmp_path)
    with pytest.raises(TemplateError, match="YAML"):
        load_templates(_write(tmp_path, "id: [unclosed"))
