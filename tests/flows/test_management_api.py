"""Flow management API: WSO2's acceptance behaviours 1, 2 and 6, save-time validation codes, scopes,
export/import, delete, inheritance into sub-organizations, and a typed attribute bound to an input."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from apps.attributes.services import local_claim_create
from apps.flows.services import flow_default_steps, flow_validate
from apps.orgs.services import organization_create
from apps.users.models import User
from tests.flows.conftest import STRONG_PASSWORD, C, Executor, last_code

pytestmark = pytest.mark.django_db
FLOW = "/api/server/v1/flow"
CUSTOM = "urn:scim:wso2:schema"


def _steps(flow_type: str = "REGISTRATION") -> list[dict[str, Any]]:
    return flow_default_steps(flow_type)


def _component(steps: list[dict[str, Any]], component_id: str) -> dict[str, Any]:
    from apps.flows.plan import walk

    for step in steps:
        for item in walk(step["data"].get("components") or []):
            if item["id"] == component_id:
                return item
    raise KeyError(component_id)


def _put(api: Any, steps: Any, flow_type: str = "REGISTRATION", prefix: str = "") -> Any:
    return api.put(prefix + FLOW, {"flowType": flow_type, "steps": steps}, format="json")


# --- acceptance behaviours of the spec (1.8) ----------------------------------------------------------


def test_1_enabling_registration_returns_all_four_completion_keys(admin_api):
    patched = admin_api.patch(f"{FLOW}/config", {"flowType": "REGISTRATION", "isEnabled": True}, format="json")
    assert patched.status_code == 200, patched.json()
    got = admin_api.get(f"{FLOW}/config", {"flowType": "REGISTRATION"}).json()
    assert got == {
        "flowType": "REGISTRATION",
        "isEnabled": True,
        "flowCompletionConfigs": {
            "isAccountLockOnCreationEnabled": "false",
            "isEmailVerificationEnabled": "false",
            "isAutoLoginEnabled": "false",
            "isFlowCompletionNotificationEnabled": "false",
        },
    }
    configs = admin_api.get(f"{FLOW}/configs").json()
    assert [c["flowType"] for c in configs] == ["REGISTRATION", "PASSWORD_RECOVERY", "INVITED_USER_REGISTRATION"]


def test_config_rejects_unknown_keys_and_non_booleans(admin_api):
    unknown = admin_api.patch(
        f"{FLOW}/config",
        {"flowType": "PASSWORD_RECOVERY", "flowCompletionConfigs": {"isEmailVerificationEnabled": "true"}},
        format="json",
    )
    assert unknown.status_code == 400
    assert unknown.json()["code"] == "FM-10010"
    bad = admin_api.patch(
        f"{FLOW}/config",
        {"flowType": "REGISTRATION", "flowCompletionConfigs": {"isAutoLoginEnabled": "yes"}},
        format="json",
    )
    assert bad.status_code == 400
    assert bad.json()["code"] == "FM-10009"
    alias = admin_api.patch(f"{FLOW}/config", {"flowType": "ASK_PASSWORD", "isEnabled": True}, format="json")
    assert alias.json()["flowType"] == "INVITED_USER_REGISTRATION"


def test_2_duplicate_ids_and_buttons_without_action_are_refused(admin_api):
    steps = _steps()
    _component(steps, "registration-email")["id"] = "registration-username"
    duplicate = _put(admin_api, steps)
    assert duplicate.status_code == 400
    assert duplicate.json()["code"] == "FM-10006"

    steps = _steps()
    del _component(steps, "registration-continue")["action"]
    no_action = _put(admin_api, steps)
    assert no_action.status_code == 400
    assert no_action.json()["code"] == "RFM-60004"


def test_3_execute_starts_without_authorization(root_org, admin_api):
    admin_api.patch(f"{FLOW}/config", {"flowType": "REGISTRATION", "isEnabled": True}, format="json")
    response = Executor().call({"flowType": "REGISTRATION"})
    assert response.status_code == 200
    body = response.json()
    assert body["flowId"]
    assert body["flowStatus"] == "INCOMPLETE"
    assert body["type"] == "VIEW"
    assert any("actionId" in c for form in body["data"]["components"] for c in form.get("components", []))


def test_6_recovery_meta(admin_api):
    meta = admin_api.get(f"{FLOW}/meta", {"flowType": "PASSWORD_RECOVERY"}).json()
    assert "EmailOTPExecutor" in meta["supportedExecutors"]
    assert meta["supportedFlowCompletionConfigs"] == ["isAutoLoginEnabled", "isFlowCompletionNotificationEnabled"]
    registration = admin_api.get(f"{FLOW}/meta", {"flowType": "REGISTRATION"}).json()
    claims = {a["claimURI"] for a in registration["attributeMetadata"]}
    assert C + "username" in claims
    assert C + "emailaddress" in claims
    assert C + "userid" not in claims  # read-only attributes cannot be inputs


# --- validation codes -------------------------------------------------------------------------------


def _codes(root_org: Any, steps: Any, flow_type: str = "REGISTRATION") -> list[str]:
    return [problem["code"] for problem in flow_validate(root_org, flow_type, steps)]


def test_default_flows_are_valid(root_org):
    for flow_type in ("REGISTRATION", "PASSWORD_RECOVERY", "INVITED_USER_REGISTRATION"):
        assert flow_validate(root_org, flow_type, _steps(flow_type)) == []


def test_dangling_next_is_refused_naming_the_step(admin_api):
    steps = _steps()
    _component(steps, "registration-continue")["action"]["next"] = "nowhere"
    response = _put(admin_api, steps)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "RFM-600009"
    assert "nowhere" in body["message"]
    assert "registration-basic" in body["description"]


def test_validation_codes(root_org):
    assert _codes(root_org, [], "REGISTRATION") == ["FM-10012"]
    assert _codes(root_org, _steps(), "SOMETHING") == ["FM-10001"]

    steps = _steps()
    steps[0]["type"] = "RULE"
    assert "RFM-60001" in _codes(root_org, steps)

    steps = _steps()
    steps[1]["data"]["components"] = []
    assert "RFM-60003" in _codes(root_org, steps)

    steps = _steps()
    del _component(steps, "registration-continue")["action"]["next"]
    assert "RFM-60005" in _codes(root_org, steps)

    steps = _steps()
    _component(steps, "registration-continue")["action"]["executor"] = {}
    assert "RFM-60006" in _codes(root_org, steps)

    steps = _steps()
    _component(steps, "registration-continue")["action"]["type"] = "JUMP"
    assert "RFM-60008" in _codes(root_org, steps)

    steps = _steps()
    _component(steps, "registration-continue")["action"]["executor"]["name"] = "UserResolveExecutor"
    assert "FM-10004" in _codes(root_org, steps)

    steps = _steps()
    _component(steps, "registration-username")["config"]["identifier"] = C + "doesNotExist"
    _component(steps, "registration-email")["config"]["identifier"] = C + "givenname"
    codes = _codes(root_org, steps)
    assert "FM-10008" in codes
    assert "FM-10005" in codes

    steps = _steps()
    form = _component(steps, "registration-form")
    form["components"] = [c for c in form["components"] if c["id"] != "registration-password"]
    assert "FM-10005" in _codes(root_org, steps)  # password executor without password field

    steps = _steps()
    steps.append(copy.deepcopy(steps[1]) | {"id": "orphan"})
    for item in steps[-1]["data"]["components"]:
        item["id"] = "orphan-" + item["id"]
        for child in item.get("components", []):
            child["id"] = "orphan-" + child["id"]
    assert "RFM-60012" in _codes(root_org, steps)  # two first steps

    steps = _steps()
    steps[0]["id"] = "COMPLETE"
    assert "RFM-60013" in _codes(root_org, steps)

    steps = _steps()
    steps[1]["data"]["components"].append(
        {"id": "loose", "type": "INPUT", "variant": "TEXT", "config": {"identifier": C + "givenname"}}
    )
    assert "RFM-60002" in _codes(root_org, steps)


def test_validate_endpoint_lists_every_problem(admin_api):
    steps = _steps()
    _component(steps, "registration-continue")["action"]["next"] = "nowhere"
    del _component(steps, "registration-verify")["action"]
    body = admin_api.post(f"{FLOW}/validate", {"flowType": "REGISTRATION", "steps": steps}, format="json").json()
    assert body["valid"] is False
    found = {(e["code"], e.get("componentId")) for e in body["errors"]}
    assert ("RFM-600009", "registration-continue") in found
    assert ("RFM-60004", "registration-verify") in found


# --- scopes, export/import, delete, inheritance ------------------------------------------------------


def test_scopes_are_required(root_org, admin_user, mint_token, api_client):
    assert api_client.get(FLOW, {"flowType": "REGISTRATION"}).status_code == 401
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {mint_token(admin_user, ['internal_flow_mgt_view'])}")
    assert api_client.get(FLOW, {"flowType": "REGISTRATION"}).status_code == 200
    assert _put(api_client, _steps()).status_code == 403
    assert api_client.patch(f"{FLOW}/config", {"flowType": "REGISTRATION"}, format="json").status_code == 403


def test_get_returns_default_and_export_imports_unchanged(admin_api):
    exported = admin_api.get(FLOW, {"flowType": "REGISTRATION"})
    assert exported.status_code == 200
    assert exported.json()["steps"] == _steps()
    created = admin_api.put(FLOW, exported.json(), format="json")
    assert created.status_code == 201
    assert created["X-Flow-Version"] == "1"
    replaced = admin_api.put(FLOW, exported.json(), format="json")
    assert replaced.status_code == 200
    assert replaced["X-Flow-Version"] == "2"
    assert admin_api.get(FLOW, {"flowType": "REGISTRATION"}).json() == exported.json()
    assert admin_api.get(FLOW, {"flowType": "NOPE"}).json()["code"] == "FM-10001"


def test_delete_reverts_to_default_and_sub_organizations_inherit(root_org, admin_api):
    steps = _steps()
    _component(steps, "registration-heading")["config"]["text"] = "Join Root"
    assert _put(admin_api, steps).status_code == 201
    child = organization_create(actor=None, parent=root_org, name="Branch")
    prefix = f"/t/root/o/{child.id}"
    inherited = admin_api.get(prefix + FLOW, {"flowType": "REGISTRATION"}).json()
    assert _component(inherited["steps"], "registration-heading")["config"]["text"] == "Join Root"

    own = _steps()
    _component(own, "registration-heading")["config"]["text"] = "Join Branch"
    assert _put(admin_api, own, prefix=prefix).status_code == 201
    assert (
        _component(admin_api.get(prefix + FLOW, {"flowType": "REGISTRATION"}).json()["steps"], "registration-heading")[
            "config"
        ]["text"]
        == "Join Branch"
    )
    assert admin_api.delete(prefix + FLOW + "?flowType=REGISTRATION").status_code == 204
    back = admin_api.get(prefix + FLOW, {"flowType": "REGISTRATION"}).json()
    assert _component(back["steps"], "registration-heading")["config"]["text"] == "Join Root"
    assert admin_api.delete(FLOW + "?flowType=REGISTRATION").status_code == 204
    assert admin_api.get(FLOW, {"flowType": "REGISTRATION"}).json()["steps"] == _steps()

    # Config inherits too: enabled at the root, enabled in the branch.
    admin_api.patch(f"{FLOW}/config", {"flowType": "REGISTRATION", "isEnabled": True}, format="json")
    assert admin_api.get(prefix + f"{FLOW}/config", {"flowType": "REGISTRATION"}).json()["isEnabled"] is True


def test_typed_attribute_input_is_validated_and_lands_in_scim(root_org, admin_api, settings):
    local_claim_create(
        actor=None,
        organization=root_org,
        claim_uri=C + "badgeNumber",
        display_name="Badge number",
        data_type="integer",
    )
    steps = _steps()
    form = _component(steps, "registration-form")
    form["components"].insert(
        2,
        {
            "id": "registration-badge-number",
            "category": "FIELD",
            "type": "INPUT",
            "variant": "NUMBER",
            "config": {"identifier": C + "badgeNumber", "label": "Badge number", "required": True},
        },
    )
    assert _put(admin_api, steps).status_code == 201
    admin_api.patch(f"{FLOW}/config", {"flowType": "REGISTRATION", "isEnabled": True}, format="json")
    execute = Executor()
    first = execute.start("REGISTRATION")
    inputs = {
        C + "username": "typed",
        C + "emailaddress": "typed@example.org",
        "password": STRONG_PASSWORD,
        C + "badgeNumber": "forty-two",
    }
    wrong = execute.submit(first, "registration-continue", inputs).json()
    assert any(m.get("identifier") == C + "badgeNumber" for m in wrong["data"]["messages"])
    step2 = execute.submit(first, "registration-continue", {**inputs, C + "badgeNumber": "42"}).json()
    done = execute.submit(step2, "registration-verify", {"otp": last_code("typed@example.org")}).json()
    assert done["flowStatus"] == "COMPLETE"
    user = User.objects.get(username="typed")
    assert user.attributes["badgeNumber"] == 42
    scim = admin_api.get(f"/scim2/Users/{user.pk}").json()
    custom = next(
        value
        for key, value in scim.items()
        if key.startswith("urn:") and isinstance(value, dict) and "badgeNumber" in value
    )
    assert custom["badgeNumber"] == 42


def test_federated_executor_needs_a_known_identity_provider(root_org):
    steps = _steps()
    action = _component(steps, "registration-continue")["action"]
    action["executor"] = {"name": "OpenIDConnectExecutor", "meta": {}}
    assert "FM-10007" in _codes(root_org, steps)
    action["executor"]["meta"] = {"idpName": "NoSuchIdP"}
    problems = flow_validate(root_org, "REGISTRATION", steps)
    assert any(p["code"] == "FM-10007" and "NoSuchIdP" in p["description"] for p in problems)
