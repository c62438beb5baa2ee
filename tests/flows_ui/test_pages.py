"""End-user flow pages without JavaScript (the Django test client posts the plain HTML forms):
login-page links, registration with auto-login, the application's login steps, errors, expiry."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client

from apps.flows.services import flow_config_update
from apps.notifications.models import Message
from apps.users.models import User
from tests.notifications.conftest import sealed_text

pytestmark = pytest.mark.django_db

REGISTER = "/accountrecoveryendpoint/register"
USERNAME = "http://wso2.org/claims/username"
EMAIL = "http://wso2.org/claims/emailaddress"


def _enable(org: Any, flow_type: str, **completion: bool) -> None:
    data: dict[str, Any] = {"flowType": flow_type, "isEnabled": True}
    if completion:
        data["flowCompletionConfigs"] = {key: "true" if on else "false" for key, on in completion.items()}
    flow_config_update(actor=None, organization=org, data=data)


def _flow_id(html: str) -> str:
    return re.search(r'name="flowId" value="([^"]+)"', html).group(1)


def _code_sent_to(address: str) -> str:
    message = Message.objects.filter(recipient=address).order_by("-created").first()
    assert message is not None, f"nothing sent to {address}"
    return re.search(r"\b([0-9]{6})\b", sealed_text(message)["text"]).group(1)


def _register(client: Client, username: str, *, follow: bool = False) -> Any:
    page = client.get(REGISTER).content.decode()
    response = client.post(
        REGISTER,
        {
            "flowId": _flow_id(page),
            "actionId": "registration-continue",
            USERNAME: username,
            EMAIL: f"{username}@example.org",
            "password": "Register-pass-123",
        },
    )
    assert response.status_code == 302  # post/redirect/get
    verify = client.get(REGISTER).content.decode()
    assert "<h1>Verify your email</h1>" in verify
    return client.post(
        REGISTER,
        {
            "flowId": _flow_id(verify),
            "actionId": "registration-verify",
            "otp": _code_sent_to(f"{username}@example.org"),
        },
        follow=follow,
    )


def test_login_page_links_appear_only_for_enabled_flows_and_keep_the_destination(root_org: Any) -> None:
    client = Client()
    login = client.get("/authenticationendpoint/login?next=/myaccount/profile").content.decode()
    assert "Create account" not in login
    assert "Forgot password?" not in login
    assert client.get(REGISTER).status_code == 404  # a disabled flow is not available

    _enable(root_org, "REGISTRATION")
    _enable(root_org, "PASSWORD_RECOVERY")
    login = client.get("/authenticationendpoint/login?next=/myaccount/profile").content.decode()
    assert f'href="{REGISTER}?next={quote("/myaccount/profile", safe="")}"' in login
    assert 'href="/accountrecoveryendpoint/recovery?next=%2Fmyaccount%2Fprofile"' in login


def test_registration_page_is_accessible_html_with_csrf(root_org: Any) -> None:
    _enable(root_org, "REGISTRATION")
    client = Client(enforce_csrf_checks=True)
    page = client.get(REGISTER)
    html = page.content.decode()
    assert page.status_code == 200
    assert "<h1>Create your account</h1>" in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert '<label for="f-registration-email">Email' in html
    assert f'type="email" id="f-registration-email" name="{EMAIL}"' in html
    assert 'minlength="8"' in html
    assert 'name="actionId" value="registration-continue"' in html
    no_token = client.post(REGISTER, {"flowId": _flow_id(html), "actionId": "registration-continue"})
    assert no_token.status_code == 403


def test_registration_with_auto_login_signs_in_and_continues(root_org: Any, eager_celery: None) -> None:
    _enable(root_org, "REGISTRATION", isAutoLoginEnabled=True)
    client = Client()
    client.get(f"{REGISTER}?next=/myaccount/profile")
    done = _register(client, "auto")
    assert done.status_code == 302
    assert done["Location"] == "/myaccount/profile"
    user = User.objects.get(username="auto")
    # signed in at the user's root organization (one SSO entry per root, docs/authn.md "SSO sessions")
    assert client.session["iam_sso"][str(user.organization.root_id)]["user"] == str(user.pk)
    assert client.get("/myaccount/").status_code == 200


def test_auto_login_waits_when_the_application_needs_more_than_the_flow_proved(
    root_org: Any, eager_celery: None
) -> None:
    from apps.applications.services import application_create
    from apps.authn.services.sequences import sequence_set

    app, _secret = application_create(
        actor=None,
        organization=root_org,
        template_id="oidc-web-application",
        name="Strict app",
        redirect_uris=["https://app.example.org/cb"],
    )
    sequence_set(actor=None, application=app, steps=[["basic"], ["totp"]])
    _enable(root_org, "REGISTRATION", isAutoLoginEnabled=True)
    client = Client()
    client.get(f"{REGISTER}?next=/myaccount/&client_id={app.client_id}")
    done = _register(client, "careful")
    html = done.content.decode()
    assert done.status_code == 200
    assert "<h1>Your account is ready</h1>" in html
    assert f'href="/authenticationendpoint/login?next=%2Fmyaccount%2F&amp;client_id={app.client_id}"' in html
    assert "_auth_user_id" not in client.session
    assert User.objects.filter(username="careful").exists()


def test_missing_input_rerenders_with_the_message_and_keeps_what_was_typed(root_org: Any) -> None:
    _enable(root_org, "REGISTRATION")
    client = Client()
    page = client.get(REGISTER).content.decode()
    response = client.post(
        REGISTER,
        {"flowId": _flow_id(page), "actionId": "registration-continue", USERNAME: "half", "password": "Half-pass-123"},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert 'role="alert"' in html
    assert EMAIL in html
    assert 'value="half"' in html
    assert "Half-pass-123" not in html  # never echoed


def test_a_stale_or_expired_flow_starts_again_with_a_message(root_org: Any) -> None:
    from apps.flows.models import FlowExecutionContext

    _enable(root_org, "REGISTRATION")
    client = Client()
    flow_id = _flow_id(client.get(REGISTER).content.decode())
    stale = client.post(REGISTER, {"flowId": "0" * 32, "actionId": "registration-continue"})
    assert stale.status_code == 400
    assert "This page was out of date" in stale.content.decode()

    flow_id = _flow_id(stale.content.decode())
    FlowExecutionContext.objects.filter(pk=flow_id).delete()
    expired = client.post(REGISTER, {"flowId": flow_id, "actionId": "registration-continue"})
    html = expired.content.decode()
    assert expired.status_code == 400
    assert "This took too long or was interrupted" in html
    assert _flow_id(html) != flow_id


def test_invite_link_opens_the_set_password_page_once(root_org: Any) -> None:
    from apps.notifications.services.links import link_issue
    from apps.users.services import user_create

    _enable(root_org, "INVITED_USER_REGISTRATION")
    invited = user_create(actor=None, organization=root_org, username="ivy", email="ivy@example.org")
    token = link_issue(user=invited, purpose="ask_password")
    client = Client()
    opened = client.get(f"/accountrecoveryendpoint/invite?code={token}")
    assert opened.status_code == 302
    assert opened["Location"] == "/accountrecoveryendpoint/invite"  # the code leaves the address bar
    page = client.get("/accountrecoveryendpoint/invite").content.decode()
    assert "<h1>Set your password</h1>" in page
    done = client.post(
        "/accountrecoveryendpoint/invite",
        {"flowId": _flow_id(page), "actionId": "invite-submit", "password": "Ivy-chosen-pass-1"},
    )
    assert "<h1>Your account is ready</h1>" in done.content.decode()
    invited.refresh_from_db()
    assert invited.check_password("Ivy-chosen-pass-1")

    again = Client().get(f"/accountrecoveryendpoint/invite?token={token}")
    assert again.status_code == 400
    assert "This link has already been used." in again.content.decode()
