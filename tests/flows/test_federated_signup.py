"""Federated sign-up in a REGISTRATION flow: tenant ``acme`` (B) of this same server, over HTTP on
loopback, is the upstream OpenID provider of tenant ``root`` (A), as in tests/idp/test_federation_live.py.

Everything is real: A's execute API, B's authorize/login/token/JWKS/userinfo endpoints, A's code exchange
and ID token verification, A's ``/commonauth`` for the browser path."""

from __future__ import annotations

import copy
import html
import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from apps.attributes.services import local_claim_create
from apps.flows.services import flow_config_update, flow_default_steps, flow_meta, flow_replace, flow_validate
from apps.idp.models import FederatedAssociation, FederatedAuthRequest
from apps.idp.services import idp_create
from apps.users.models import User
from tests.idp.conftest import (  # noqa: F401  (fixtures: the two tenants of the live server)
    EMAIL,
    EMPLOYEE_ID,
    GIVEN_NAME,
    Browser,
    _fresh_client_cache,
    federation,
    hidden,
    make_app,
    server,
)

pytestmark = pytest.mark.django_db(transaction=True)

SOCIAL = "registration-with-tenantb"
EXECUTE = "/api/server/v1/flow/execute"


def _social_form(idp_name: str = "TenantB", executor: str = "OpenIDConnectExecutor") -> dict[str, Any]:
    return {
        "id": "registration-social",
        "category": "BLOCK",
        "type": "FORM",
        "config": {},
        "components": [
            {
                "id": SOCIAL,
                "category": "ACTION",
                "type": "BUTTON",
                "variant": "SOCIAL",
                "config": {"text": f"Sign up with {idp_name}"},
                "action": {
                    "type": "EXECUTOR",
                    "executor": {"name": executor, "meta": {"idpName": idp_name}},
                    "next": "END",
                },
            }
        ],
    }


def _steps_with_social(**kwargs: Any) -> list[dict[str, Any]]:
    """The default registration (username, email, password, email OTP) plus "Sign up with TenantB"."""
    steps = copy.deepcopy(flow_default_steps("REGISTRATION"))
    steps[0]["data"]["components"].append(_social_form(**kwargs))
    return steps


@pytest.fixture
def fed(request: pytest.FixtureRequest) -> Any:
    """tests/idp's ``federation`` (imported above): A, B, B's application for A and A's IdP record for B."""
    return request.getfixturevalue("federation")


@pytest.fixture
def signup(fed: Any) -> Any:
    flow_replace(actor=None, organization=fed.tenant_a, flow_type="REGISTRATION", steps=_steps_with_social())
    flow_config_update(actor=None, organization=fed.tenant_a, data={"flowType": "REGISTRATION", "isEnabled": True})
    return fed


def execute(fed: Any, body: dict[str, Any]) -> requests.Response:
    return requests.post(f"{fed.base}{EXECUTE}", json=body, timeout=15)


def to_upstream(fed: Any) -> tuple[dict[str, Any], str]:
    """Start the flow, press "Sign up with TenantB": the REDIRECTION to B."""
    first = execute(fed, {"flowType": "REGISTRATION"})
    assert first.status_code == 200, first.text
    pressed = execute(fed, {"flowId": first.json()["flowId"], "actionId": SOCIAL})
    assert pressed.status_code == 200, pressed.text
    body = pressed.json()
    assert body["type"] == "REDIRECTION"
    assert body["flowStatus"] == "INCOMPLETE"
    url = body["data"]["redirectURL"]
    assert url.startswith(f"{fed.base}/t/acme/oauth2/authorize?")
    return body, url


def upstream_callback(fed: Any, url: str, username: str = "sam") -> dict[str, str]:
    """Sign in at B (its login page and password); returns the code and state of B's redirect to A."""
    browser = Browser()
    browser.get(url)
    browser.follow()
    assert browser.response.status_code == 200, browser.text[:500]
    browser.submit_login(username)
    browser.follow(until=f"{fed.base}/commonauth")
    query = parse_qs(urlsplit(browser.url).query)
    return {"code": query["code"][0], "state": query["state"][0]}


def messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    return body["data"].get("messages") or []


# --- the execute API, end to end ---------------------------------------------------------------------


def test_sign_up_with_the_upstream_idp_creates_the_user_with_mapped_claims_and_association(signup):
    fed = signup
    started, url = to_upstream(fed)
    callback = upstream_callback(fed, url)
    done = execute(fed, {"flowId": started["flowId"], "inputs": callback})
    assert done.status_code == 200, done.text
    assert done.json()["flowStatus"] == "COMPLETE"

    user = User.objects.get(organization=fed.tenant_a, pk=done.json()["data"]["additionalData"]["userId"])
    assert user.username == "sam@example.com"
    assert user.email == "sam@example.com"
    assert user.given_name == "Sam"
    assert user.attributes["employeeId"] == "E-1007"
    assert not user.has_usable_password()
    association = FederatedAssociation.objects.get(user=user)
    upstream_sam = User.objects.get(organization=fed.tenant_b, username="sam")
    assert association.idp == fed.idp
    assert association.federated_user_id == str(upstream_sam.pk)

    # The same callback again: the completion, not a second account.
    again = execute(fed, {"flowId": started["flowId"], "inputs": callback})
    assert again.json()["flowStatus"] == "COMPLETE"
    assert User.objects.filter(organization=fed.tenant_a, email="sam@example.com").count() == 1

    # Signing up a second time with the same upstream account: "sign in instead", no new account.
    second, url = to_upstream(fed)
    refused = execute(fed, {"flowId": second["flowId"], "inputs": upstream_callback(fed, url)})
    assert refused.status_code == 200
    body = refused.json()
    assert body["type"] == "VIEW"
    assert body["flowStatus"] == "INCOMPLETE"
    assert [m.get("code") for m in messages(body)] == ["FE-60003"]
    assert "Sign in with TenantB" in messages(body)[0]["message"]
    assert User.objects.filter(organization=fed.tenant_a).count() == 2  # admin + sam


def test_a_local_account_the_idp_lookup_matches_is_not_duplicated(signup, make_user):
    fed = signup  # the IdP links by email + employee id at sign-in
    make_user(fed.tenant_a, "samuel", email="sam@example.com", attributes={"employeeId": "E-1007"})
    started, url = to_upstream(fed)
    refused = execute(fed, {"flowId": started["flowId"], "inputs": upstream_callback(fed, url)}).json()
    assert refused["type"] == "VIEW"
    assert messages(refused)[0]["code"] == "FE-60003"
    assert not FederatedAssociation.objects.exists()
    assert not User.objects.filter(organization=fed.tenant_a, username="sam@example.com").exists()


def test_a_required_attribute_the_idp_does_not_send_is_asked_for(signup):
    fed = signup
    local_claim_create(
        actor=None,
        organization=fed.tenant_a,
        claim_uri="http://wso2.org/claims/badge",
        display_name="Badge",
        required=True,
    )
    started, url = to_upstream(fed)
    asked = execute(fed, {"flowId": started["flowId"], "inputs": upstream_callback(fed, url)})
    assert asked.status_code == 200, asked.text
    view = asked.json()
    assert view["type"] == "VIEW"
    assert view["flowStatus"] == "INCOMPLETE"
    assert view["data"]["requiredParams"] == ["http://wso2.org/claims/badge"]
    button = re.search(r'"actionId": "([^"]+)"', json.dumps(view)).group(1)
    missing = execute(fed, {"flowId": view["flowId"], "actionId": button, "inputs": {}})
    assert missing.status_code == 400
    assert missing.json()["code"] == "FE-60008"
    done = execute(
        fed, {"flowId": view["flowId"], "actionId": button, "inputs": {"http://wso2.org/claims/badge": "B-42"}}
    ).json()
    assert done["flowStatus"] == "COMPLETE"
    user = User.objects.get(organization=fed.tenant_a, username="sam@example.com")
    assert user.attributes["badge"] == "B-42"
    assert user.given_name == "Sam"
    assert FederatedAssociation.objects.filter(user=user, idp=fed.idp).exists()


def test_a_forged_state_fails_closed(signup):
    fed = signup
    started, url = to_upstream(fed)
    callback = upstream_callback(fed, url)
    forged = execute(fed, {"flowId": started["flowId"], "inputs": {**callback, "state": "forged-state"}})
    assert forged.status_code == 200
    assert forged.json()["type"] == "VIEW"
    assert "not valid any more" in messages(forged.json())[0]["message"]
    # The genuine callback after a forged one: the redirect was used up, start again.
    late = execute(fed, {"flowId": started["flowId"], "inputs": callback}).json()
    assert late["type"] == "VIEW"
    assert late["flowStatus"] == "INCOMPLETE"
    assert not User.objects.filter(organization=fed.tenant_a, username="sam@example.com").exists()
    assert not FederatedAssociation.objects.exists()


def test_a_tampered_code_fails_closed_and_spends_the_request(signup):
    fed = signup
    started, url = to_upstream(fed)
    callback = upstream_callback(fed, url)
    tampered = execute(fed, {"flowId": started["flowId"], "inputs": {**callback, "code": callback["code"] + "x"}})
    assert tampered.status_code == 200
    assert "did not work" in messages(tampered.json())[0]["message"]
    assert FederatedAuthRequest.objects.get().used_at is not None
    replay = execute(fed, {"flowId": started["flowId"], "inputs": callback}).json()
    assert replay["flowStatus"] == "INCOMPLETE"
    assert not User.objects.filter(organization=fed.tenant_a, username="sam@example.com").exists()


def test_a_state_of_another_flow_is_refused(signup):
    fed = signup
    victim, victim_url = to_upstream(fed)
    attacker, _url = to_upstream(fed)
    callback = upstream_callback(fed, victim_url)
    stolen = execute(fed, {"flowId": attacker["flowId"], "inputs": callback}).json()
    assert stolen["flowStatus"] == "INCOMPLETE"
    assert not User.objects.filter(organization=fed.tenant_a, username="sam@example.com").exists()
    # The victim's request was not spent by the attempt: the victim finishes.
    assert execute(fed, {"flowId": victim["flowId"], "inputs": callback}).json()["flowStatus"] == "COMPLETE"


def test_the_social_button_ignores_the_form_beside_it(signup):
    """Pressing "Sign up with TenantB" does not require the username/password fields of the other form."""
    fed = signup
    started = execute(fed, {"flowType": "REGISTRATION"}).json()
    assert "http://wso2.org/claims/username" in started["data"]["requiredParams"]
    pressed = execute(fed, {"flowId": started["flowId"], "actionId": SOCIAL}).json()
    assert pressed["type"] == "REDIRECTION"


# --- the browser: flow page -> B -> /commonauth -> flow page --------------------------------------------


def _press_social(browser: Browser) -> None:
    page = browser.text
    browser.post(
        browser.url,
        {
            "csrfmiddlewaretoken": hidden(page, "csrfmiddlewaretoken"),
            "flowId": hidden(page, "flowId"),
            "actionId": SOCIAL,
        },
    )


def test_browser_sign_up_through_commonauth_returns_to_the_flow_page(signup):
    fed = signup
    local_claim_create(
        actor=None,
        organization=fed.tenant_a,
        claim_uri="http://wso2.org/claims/badge",
        display_name="Badge",
        required=True,
    )
    browser = Browser()
    browser.get(f"{fed.base}/accountrecoveryendpoint/register")
    assert browser.response.status_code == 200
    assert "Sign up with TenantB" in browser.text
    _press_social(browser)
    assert browser.response.status_code == 302
    assert browser.response.headers["Location"].startswith(f"{fed.base}/t/acme/oauth2/authorize?")
    browser.follow()
    browser.submit_login("sam")
    browser.follow(until=f"{fed.base}/commonauth")
    browser.get(browser.url)  # A's /commonauth continues the flow
    assert browser.response.status_code == 302
    assert "/accountrecoveryendpoint/register?flowId=" in browser.response.headers["Location"]
    browser.follow()
    assert browser.response.status_code == 200
    assert "Badge" in browser.text  # the next view: what the IdP did not send
    page = browser.text
    badge_field = re.search(r'name="(http://wso2.org/claims/badge)"', page)
    assert badge_field, page[:2000]
    action = re.search(r'name="actionId" value="([^"]+)"', page).group(1)
    browser.post(
        browser.url,
        {
            "csrfmiddlewaretoken": hidden(page, "csrfmiddlewaretoken"),
            "flowId": hidden(page, "flowId"),
            "actionId": action,
            "http://wso2.org/claims/badge": "B-7",
        },
    )
    browser.follow()
    assert "Your account is ready" in html.unescape(browser.text)
    user = User.objects.get(organization=fed.tenant_a, username="sam@example.com")
    assert user.attributes["badge"] == "B-7"
    assert FederatedAssociation.objects.filter(user=user).exists()


def test_a_flow_callback_in_another_browser_is_refused(signup):
    fed = signup
    victim = Browser()
    victim.get(f"{fed.base}/accountrecoveryendpoint/register")
    _press_social(victim)
    victim.follow()
    victim.submit_login("sam")
    victim.follow(until=f"{fed.base}/commonauth")
    attacker = Browser()
    attacker.get(victim.url)
    assert attacker.response.status_code == 400
    assert "another browser" in attacker.text
    assert not User.objects.filter(organization=fed.tenant_a, username="sam@example.com").exists()


# --- flow meta and validation ----------------------------------------------------------------------------


def test_meta_lists_the_idps_each_federated_executor_can_use(fed):
    idp_create(
        actor=None,
        organization=fed.tenant_a,
        template_id="google",
        name="Google",
        client_id="g-client",
        client_secret="g-secret",
    )
    idp_create(actor=None, organization=fed.tenant_b, template_id="google", name="OtherTenantGoogle", client_id="x")
    meta = flow_meta(fed.tenant_a, "REGISTRATION")
    connections = {item["executorName"]: item["connections"] for item in meta["executorConnections"]}
    assert connections["OpenIDConnectExecutor"] == ["Google", "TenantB"]
    assert connections["GoogleExecutor"] == ["Google"]
    assert connections["GithubExecutor"] == []
    assert flow_meta(fed.tenant_a, "PASSWORD_RECOVERY")["executorConnections"] == []


def test_validation_accepts_only_an_idp_the_executor_can_use(fed):
    assert flow_validate(fed.tenant_a, "REGISTRATION", _steps_with_social()) == []
    wrong_template = flow_validate(fed.tenant_a, "REGISTRATION", _steps_with_social(executor="GoogleExecutor"))
    assert [p["code"] for p in wrong_template] == ["FM-10007"]
    other_tenant = flow_validate(fed.tenant_b, "REGISTRATION", _steps_with_social())
    assert [p["code"] for p in other_tenant] == ["FM-10007"]


def test_browser_sign_up_with_auto_login_signs_the_new_user_in(signup):
    """The flow proved ``federated:TenantB``, which the application's sign-in step accepts."""
    fed = signup
    flow_config_update(
        actor=None,
        organization=fed.tenant_a,
        data={"flowType": "REGISTRATION", "flowCompletionConfigs": {"isAutoLoginEnabled": "true"}},
    )
    browser = Browser()
    browser.get(f"{fed.base}/accountrecoveryendpoint/register?client_id={fed.app.client_id}")
    _press_social(browser)
    browser.follow()
    browser.submit_login("sam")
    browser.follow(until=f"{fed.base}/commonauth")
    browser.get(browser.url)
    assert browser.response.status_code == 302
    assert browser.response.headers["Location"].endswith("/myaccount/")
    browser.follow()
    assert browser.response.status_code == 200
    assert "sam@example.com" in browser.text
