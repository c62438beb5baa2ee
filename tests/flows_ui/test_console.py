"""Console > Flows: the list and switches, live validation, draft, publish, versions with diff,
rollback, export, "try it" in the sandbox, and who may do what."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from apps.flows.services import flow_config_get, flow_default_steps, flow_get, flow_versions
from apps.users.models import User

pytestmark = pytest.mark.django_db

BASE = "/console/flows/registration"


@pytest.fixture
def console(admin_user: User, signed_in: Any) -> Any:
    return signed_in(admin_user)


def _post_json(client: Any, url: str, steps: Any) -> Any:
    return client.post(url, data=json.dumps({"steps": steps}), content_type="application/json")


def test_navigation_list_and_switches(console: Any, root_org: Any) -> None:
    page = console.get("/console/flows/")
    body = page.content.decode()
    assert page.status_code == 200
    assert 'href="/console/flows/"' in body  # the navigation entry
    for name in ("Self-registration", "Password recovery", "Invited user registration"):
        assert name in body
    assert "Lock new accounts until verified" in body  # a REGISTRATION-only completion option

    response = console.post(
        f"{BASE}/config/", {"section": "all", "isEnabled": "on", "isAutoLoginEnabled": "on"}, follow=True
    )
    assert "Self-registration saved (enabled)." in response.content.decode()
    config = flow_config_get(root_org, "REGISTRATION")
    assert config["isEnabled"] is True
    assert config["flowCompletionConfigs"]["isAutoLoginEnabled"] == "true"
    assert config["flowCompletionConfigs"]["isEmailVerificationEnabled"] == "false"


def test_builder_page_carries_the_draft_meta_and_palette(console: Any) -> None:
    page = console.get(f"{BASE}/")
    assert page.status_code == 200
    body = page.content.decode()
    data = json.loads(body.split('<script id="builder-data" type="application/json">')[1].split("</script>")[0])
    assert data["flowType"] == "REGISTRATION"
    assert [step["id"] for step in data["steps"]] == [step["id"] for step in flow_default_steps("REGISTRATION")]
    assert "EmailOTPExecutor" in data["meta"]["supportedExecutors"]
    assert any(a["claimURI"] == "http://wso2.org/claims/emailaddress" for a in data["meta"]["attributeMetadata"])
    assert {item["key"] for item in data["palette"]["widgets"]} >= {"IDENTIFIER_PASSWORD", "EMAIL_OTP"}
    assert "vendor/Sortable.min.js" in body
    assert "flows/builder.js" in body


def test_live_validation_names_the_dangling_step(console: Any) -> None:
    steps = flow_default_steps("REGISTRATION")
    steps = [step for step in steps if step["id"] != "registration-verify-email"]
    response = _post_json(console, f"{BASE}/validate/", steps)
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is False
    dangling = [m for m in body["messages"] if "registration-verify-email" in json.dumps(m)]
    assert dangling, body
    assert dangling[0]["code"].startswith(("RFM-", "FM-"))
    assert _post_json(console, f"{BASE}/validate/", flow_default_steps("REGISTRATION")).json() == {
        "ok": True,
        "messages": [],
    }
    assert console.post(f"{BASE}/validate/", data="not json", content_type="application/json").status_code == 400


def test_draft_publish_versions_diff_and_rollback(console: Any, root_org: Any) -> None:
    steps = flow_default_steps("REGISTRATION")
    broken = [step for step in steps if step["id"] != "registration-verify-email"]
    refused = _post_json(console, f"{BASE}/draft/", broken)
    assert refused.status_code == 400
    assert refused.json()["messages"]

    assert _post_json(console, f"{BASE}/draft/", steps).json()["ok"] is True
    assert flow_get(root_org, "REGISTRATION", draft=True)["isDraft"] is True
    assert flow_get(root_org, "REGISTRATION")["version"] is None  # a draft is not live

    published = _post_json(console, f"{BASE}/publish/", steps).json()
    assert published == {"ok": True, "version": 1, "message": "Published as version 1."}

    changed = copy.deepcopy(steps)
    changed[0]["data"]["components"][0]["config"]["text"] = "Join us"
    assert _post_json(console, f"{BASE}/publish/", changed).json()["version"] == 2

    page = console.get(f"{BASE}/versions/?diff=2").content.decode()
    assert "v2" in page
    assert "Roll back to v1" in page
    assert "-" in page
    assert "Join us" in page
    assert 'class="diff-add"' in page
    assert 'class="diff-del"' in page

    response = console.post(f"{BASE}/versions/1/rollback/", follow=True)
    assert "Version 1 is live again, published as version 3." in response.content.decode()
    live = flow_get(root_org, "REGISTRATION")
    assert live["version"] == 3
    assert live["steps"][0]["data"]["components"][0]["config"]["text"] == "Create your account"
    assert [row["version"] for row in flow_versions(root_org, "REGISTRATION")] == [3, 2, 1]

    exported = console.get(f"{BASE}/export/")
    assert exported["Content-Disposition"] == 'attachment; filename="registration-flow.json"'
    assert json.loads(exported.content)["steps"] == live["steps"]


def test_try_it_runs_the_draft_in_the_sandbox_with_the_page_renderer(console: Any, root_org: Any) -> None:
    steps = flow_default_steps("REGISTRATION")
    steps[0]["data"]["components"][0]["config"]["text"] = "Draft heading"
    assert _post_json(console, f"{BASE}/draft/", steps).json()["ok"] is True
    start = console.post(f"{BASE}/try/")
    html = start.content.decode()
    assert start.status_code == 200
    assert "Draft heading" in html  # the draft, not the live default
    assert 'hx-post="/console/flows/registration/try/"' in html
    assert '<label for="f-registration-username">Username' in html
    flow_id = html.split('name="flowId" value="')[1].split('"')[0]

    answer = console.post(
        f"{BASE}/try/",
        {
            "flowId": flow_id,
            "actionId": "registration-continue",
            "http://wso2.org/claims/username": "sandboxed",
            "http://wso2.org/claims/emailaddress": "sandboxed@example.org",
            "password": "Sandbox-pass-123",
        },
    ).content.decode()
    assert "Verify your email" in answer
    assert "Messages the flow would send" in answer
    assert not User.objects.filter(username="sandboxed").exists()


def test_permissions(root_org: Any, make_user: Any, signed_in: Any) -> None:
    nobody = signed_in(make_user(root_org, "nobody", scopes=["internal_user_mgt_list"]))
    assert nobody.get("/console/flows/").status_code == 403
    assert 'href="/console/flows/"' not in nobody.get("/console/users/").content.decode()

    viewer = signed_in(make_user(root_org, "viewer", scopes=["internal_flow_mgt_view"]))
    assert viewer.get(f"{BASE}/").status_code == 200
    assert viewer.get(f"{BASE}/versions/").status_code == 200
    assert _post_json(viewer, f"{BASE}/validate/", flow_default_steps("REGISTRATION")).status_code == 200
    assert _post_json(viewer, f"{BASE}/draft/", flow_default_steps("REGISTRATION")).status_code == 403
    assert _post_json(viewer, f"{BASE}/publish/", flow_default_steps("REGISTRATION")).status_code == 403
    assert viewer.post(f"{BASE}/config/", {"isEnabled": "on"}).status_code == 403
    assert viewer.post(f"{BASE}/try/").status_code == 403
    assert flow_config_get(root_org, "REGISTRATION")["isEnabled"] is False
    assert viewer.get("/console/flows/nonsense/").status_code == 404
