"""Conditional authentication: saving scripts (syntax errors with their line), host functions and their limits,
federated associations through the bridge, script cookies, the Console editor and the applications API."""

from __future__ import annotations

import pytest
from django.test import Client

from apps.authn.models import AuthSequence
from apps.authn.scripting.bridge import HostContext
from apps.authn.scripting.engine import journal_step_record, script_evaluate
from apps.authn.scripting.templates import SCRIPT_TEMPLATES
from apps.authn.services.sequences import sequence_set
from apps.core.errors import InvalidInput
from apps.core.models import AuditLog
from tests.api_helpers import assert_error
from tests.authn.conftest import LOGIN, authorize, email_code, flow_id, is_code, sign_in_password
from tests.console.conftest import console  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

COUNTRY = "http://wso2.org/claims/country"
BROKEN = "var onLoginRequest = function (context) {\n  executeStep(1);\n  if (x === ) {}\n};"


def scripted(app, script: str, steps=(("basic",), ("email_otp",))) -> None:
    sequence_set(
        actor=None,
        application=app.application,
        steps=[list(step) for step in steps],
        script=script,
        script_enabled=True,
    )


def refusal(response) -> str:
    assert response.status_code == 403, response.status_code
    return response.content.decode()


# --- saving -------------------------------------------------------------------------------------------


def test_syntax_error_is_refused_on_save_with_its_line(app_a):
    with pytest.raises(InvalidInput) as caught:
        scripted(app_a, BROKEN)
    assert caught.value.message.startswith("Syntax error on line 3:")
    assert not AuthSequence.objects.filter(application=app_a.application, script_enabled=True).exists()
    with pytest.raises(InvalidInput) as caught:
        scripted(app_a, "var onLoginRequest = function (context) {\n  return 1;\n}\nreturn 2;")
    assert "line 4" in caught.value.message  # legal in a function body, not at a script's top level
    with pytest.raises(InvalidInput) as caught:
        scripted(app_a, "var x = 1;")
    assert "onLoginRequest" in caught.value.message


def test_saving_never_runs_the_script(app_a):
    """Only parsed: a top level that would loop forever or break out of a wrapper saves at once."""
    scripted(app_a, "while (true) {}\nvar onLoginRequest = function (context) { executeStep(1); };")
    with pytest.raises(InvalidInput):
        scripted(app_a, "}); while (true) {} (function () {\nvar onLoginRequest = 1;")


def test_console_editor_inserts_templates_and_shows_syntax_errors(console, root_org, make_app):  # noqa: F811
    app = make_app(root_org, name="console-app")
    page_url = f"/console/applications/{app.application.uuid}/sign-in-method/"
    script_url = page_url + "script/"
    page = console.get(page_url)
    assert page.status_code == 200
    assert "Conditional authentication" in page.content.decode()
    inserted = console.post(script_url, {"template": "new-device", "insert_template": "1", "script": ""})
    assert inserted.status_code == 200
    assert "deviceAuth" in inserted.content.decode()
    assert not AuthSequence.objects.filter(application=app.application).exists()  # inserting does not save
    refused = console.post(script_url, {"script": BROKEN, "script_enabled": "on"})
    assert refused.status_code == 400
    assert "Syntax error on line 3" in refused.content.decode()
    saved = console.post(script_url, {"script": SCRIPT_TEMPLATES["role-based-mfa"].code, "script_enabled": "on"})
    assert saved.status_code == 302
    row = AuthSequence.objects.get(application=app.application)
    assert row.script_enabled
    assert "hasAnyOfTheRoles" in row.script
    assert AuditLog.objects.filter(action="application.auth_sequence.update").exists()


def test_applications_api_shows_and_patches_the_script(admin_api, root_org, make_app):
    app = make_app(root_org, name="api-app")
    url = f"/api/server/v1/applications/{app.application.uuid}"
    shown = admin_api.get(url).json()["authenticationSequence"]
    assert shown["steps"] == [{"id": 1, "options": [{"idp": "LOCAL", "authenticator": "BasicAuthenticator"}]}]
    assert shown["script"] == ""
    steps = [
        {"id": 1, "options": [{"idp": "LOCAL", "authenticator": "BasicAuthenticator"}]},
        {"id": 2, "options": [{"idp": "LOCAL", "authenticator": "email-otp-authenticator"}]},
    ]
    bad = admin_api.patch(url, {"authenticationSequence": {"steps": steps, "script": BROKEN}}, format="json")
    body = assert_error(bad, 400, "AUT-60006")
    assert "line 3" in body["message"]
    assert not AuthSequence.objects.filter(application=app.application).exists()  # nothing of it was saved
    script = SCRIPT_TEMPLATES["role-based-mfa"].code
    good = admin_api.patch(url, {"authenticationSequence": {"steps": steps, "script": script}}, format="json")
    assert good.status_code == 200, good.content
    assert good.json()["authenticationSequence"]["script"] == script
    row = AuthSequence.objects.get(application=app.application)
    assert row.steps == [["basic"], ["email_otp"]]
    assert row.script_enabled
    off = admin_api.patch(url, {"authenticationSequence": {"script": ""}}, format="json")
    assert off.json()["authenticationSequence"]["script"] == ""
    assert not AuthSequence.objects.get(application=app.application).script_enabled


# --- host functions -----------------------------------------------------------------------------------


@pytest.fixture
def sri_lankans(root_org, make_user):
    return [make_user(root_org, name, attributes={"country": "LK"}) for name in ("kamal", "nimal", "sunil")]


def test_get_users_with_claim_values_returns_several_users(app_a, alice, sri_lankans, root_org, make_user):
    make_user(root_org, "pierre", attributes={"country": "FR"})
    script = (
        "var onLoginRequest = function (context) {\n"
        "  executeStep(1, {onSuccess: function (context) {\n"
        f"    var found = getUsersWithClaimValues({{'{COUNTRY}': 'LK'}}, context);\n"
        f"    var one = getUniqueUserWithClaimValues({{'{COUNTRY}': 'LK'}}, context);\n"
        "    var names = found.map(function (u) { return u.username; }).join(',');\n"
        "    sendError(null, {errorMessage: found.length + ' users: ' + names + ' unique: ' + one});\n"
        "  }});\n"
        "};"
    )
    scripted(app_a, script, steps=(("basic",),))
    browser = Client()
    sign_in_password(browser, authorize(browser, app_a)["Location"])
    assert "3 users: kamal,nimal,sunil unique: null" in refusal(browser.get(LOGIN))


def test_get_users_with_claim_values_is_capped_and_confined_to_the_organization(
    app_a, alice, sri_lankans, other_tenant, make_user, settings
):
    settings.IAM_SCRIPT_MAX_USERS = 2
    make_user(other_tenant, "elsewhere", attributes={"country": "LK"})
    script = (
        "var onLoginRequest = function (context) {\n"
        f"  var found = getUsersWithClaimValues({{'{COUNTRY}': 'LK'}}, context);\n"
        "  sendError(null, {errorMessage: found.map(function (u) { return u.username; }).join(',')});\n"
        "};"
    )
    scripted(app_a, script, steps=(("basic",),))
    browser = Client()
    assert "kamal,nimal<" in refusal(browser.get(authorize(browser, app_a)["Location"]))


def test_host_call_limit_fails_the_login_closed(app_a, alice, settings):
    settings.IAM_SCRIPT_MAX_HOST_CALLS = 3
    script = (
        "var onLoginRequest = function (context) {\n"
        "  for (var i = 0; i < 10; i++) {\n"
        f"    getUsersWithClaimValues({{'{COUNTRY}': 'C' + i}}, context);\n"
        "  }\n"
        "  executeStep(1);\n"
        "};"
    )
    scripted(app_a, script, steps=(("basic",),))
    browser = Client()
    assert "Contact your administrator" in refusal(browser.get(authorize(browser, app_a)["Location"]))
    row = AuditLog.objects.get(action="authentication.script_failed")
    assert row.data["reason"] == "limit"
    assert "3 server calls" in row.data["detail"]


def test_bad_arguments_answer_null_not_an_error(app_a, alice):
    script = (
        "var onLoginRequest = function (context) {\n"
        "  var a = getUsersWithClaimValues({'http://wso2.org/claims/nonexistent': 'x'}, context);\n"
        "  var b = getUsersWithClaimValues('not a map', context);\n"
        "  if (a === null && b === null) { executeStep(1); } else { fail(); }\n"
        "};"
    )
    scripted(app_a, script, steps=(("basic",),))
    browser = Client()
    done = sign_in_password(browser, authorize(browser, app_a)["Location"])
    assert is_code(browser.get(done["Location"]))


def test_new_device_template_asks_once_per_browser(app_a, alice):
    scripted(app_a, SCRIPT_TEMPLATES["new-device"].code)
    browser = Client()
    assert sign_in_password(browser, authorize(browser, app_a)["Location"])["Location"] == LOGIN
    page = browser.get(LOGIN)
    finished = browser.post(LOGIN, {"flow": flow_id(page), "code": email_code(alice)})
    assert "deviceAuth" in finished.cookies
    assert finished.cookies["deviceAuth"].value.startswith(str(alice.pk) + ":")  # signed
    assert is_code(browser.get(finished["Location"]))
    browser.post("/authenticationendpoint/logout")
    done = sign_in_password(browser, authorize(browser, app_a)["Location"])
    assert is_code(browser.get(done["Location"]))  # a known device: the password is enough
    browser.cookies["deviceAuth"] = str(alice.pk)  # a forged, unsigned cookie reads as absent
    browser.post("/authenticationendpoint/logout")
    assert sign_in_password(browser, authorize(browser, app_a)["Location"])["Location"] == LOGIN


# --- federated associations ---------------------------------------------------------------------------


@pytest.fixture
def upstream(root_org):
    from apps.idp.services.providers import idp_create

    return idp_create(
        actor=None,
        organization=root_org,
        template_id="oidc",
        name="Upstream",
        issuer="https://idp.example.com",
        authorization_endpoint="https://idp.example.com/authorize",
        token_endpoint="https://idp.example.com/token",
        jwks_uri="https://idp.example.com/jwks",
        client_id="client-1",
        client_secret="secret-1",
    )


def run_after_federated_step(script: str, state: dict, *, app, user, subject: str = "fed-123"):
    """Evaluate ``script`` as the portal does after step 1 was passed at the Upstream IdP as ``subject``."""
    if not state.get("journal"):
        journal_step_record(
            state,
            step=1,
            options=None,
            ok=True,
            user_id=str(user.pk),
            authenticator="federated:Upstream",
            federated={"idp": "Upstream", "subject": subject, "claims": {"email": user.email}},
        )
    return script_evaluate(
        script=script,
        state=state,
        steps=[["basic", "federated:Upstream"], ["email_otp"]],
        host=HostContext(organization=app.application.organization, application=app.application),
        context={"request": {"ip": "127.0.0.1", "headers": {}, "params": {}, "cookies": {}}},
    )


def test_remove_associated_local_user_unlinks(app_a, alice, upstream):
    from apps.idp.models import FederatedAssociation
    from apps.idp.services.associations import association_create

    association_create(actor=None, user=alice, idp=upstream, subject="fed-123")
    script = (
        "var onLoginRequest = function (context) {\n"
        "  executeStep(1, {onSuccess: function (context) {\n"
        "    var fed = context.steps[1].subject;\n"
        "    var linked = getAssociatedLocalUser(fed);\n"
        "    var removed = removeAssociatedLocalUser(fed);\n"
        "    var again = removeAssociatedLocalUser(fed);\n"
        "    var local = removeAssociatedLocalUser(getUniqueUserWithClaimValues("
        "{'http://wso2.org/claims/username': 'alice'}, context));\n"
        "    Log.info([fed.isFederated, fed.federatedIdPName, linked.username, removed, again, local].join(' '));\n"
        "    if (removed && !again && !local) { executeStep(2); }\n"
        "  }});\n"
        "};"
    )
    state: dict = {}
    decision = run_after_federated_step(script, state, app=app_a, user=alice)
    assert (decision.kind, decision.step) == ("step", 2), decision
    assert not FederatedAssociation.objects.filter(idp=upstream, federated_user_id="fed-123").exists()
    calls = [entry["fn"] for entry in state["journal"] if entry["kind"] == "call"]
    assert calls.count("removeAssociatedLocalUser") == 3
    # replaying the login (the next request) does not repeat the calls: their answers come from the journal
    association_create(actor=None, user=alice, idp=upstream, subject="fed-123")
    assert run_after_federated_step(script, state, app=app_a, user=alice).kind == "step"
    assert FederatedAssociation.objects.filter(idp=upstream, federated_user_id="fed-123").exists()


def test_do_association_with_local_user_links_once(app_a, alice, upstream, root_org, make_user):
    from apps.idp.models import FederatedAssociation

    make_user(root_org, "carol")
    script = (
        "var onLoginRequest = function (context) {\n"
        "  executeStep(1, {onSuccess: function (context) {\n"
        "    var fed = context.steps[1].subject;\n"
        "    if (!getAssociatedLocalUser(fed)) { doAssociationWithLocalUser(fed, 'carol', 'PRIMARY'); }\n"
        "    var other = doAssociationWithLocalUser(fed, 'carol', 'acme', 'PRIMARY');\n"
        "    if (!other) { executeStep(2); }\n"
        "  }});\n"
        "};"
    )
    state: dict = {}
    assert run_after_federated_step(script, state, app=app_a, user=alice, subject="fed-9").kind == "step"
    row = FederatedAssociation.objects.get(idp=upstream, federated_user_id="fed-9")
    assert row.user.username == "carol"  # linked once; another organization's domain is refused
