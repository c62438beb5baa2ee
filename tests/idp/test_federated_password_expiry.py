"""An expired password is renewed only after the password itself signed the user in: a linked local
account that signs in through tenant B (federated, no password) is not asked to renew it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.authn.models import PasswordHistory
from apps.authn.services.settings import login_settings_update
from apps.idp.models import FederatedAssociation
from tests.conftest import USER_PASSWORD
from tests.idp.conftest import REDIRECT, Browser, authorize_url, pkce_pair, sign_in_upstream, start_at_tenant_a

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def expired_samuel(federation, make_user):
    fed = federation
    samuel = make_user(fed.tenant_a, "samuel", email="sam@example.com", attributes={"employeeId": "E-1007"})
    login_settings_update(actor=None, organization=fed.tenant_a, password_expiry_days=30)
    PasswordHistory.objects.create(user=samuel, password_hash="x", created=timezone.now() - timedelta(days=31))
    return samuel


def test_a_federated_sign_in_of_a_linked_user_is_not_asked_to_renew_the_password(federation, expired_samuel):
    fed = federation
    browser = Browser()
    start_at_tenant_a(browser, fed)
    sign_in_upstream(browser, fed)
    browser.get(browser.url)  # A's /commonauth: linked by email + employee id
    browser.follow(until=REDIRECT)
    assert "Your password has expired" not in browser.text
    assert browser.url.startswith(REDIRECT), browser.text[:800]
    assert FederatedAssociation.objects.filter(user=expired_samuel).exists()


def test_the_password_step_still_asks_to_renew_it(federation, expired_samuel):
    fed = federation
    browser = Browser()
    _verifier, challenge = pkce_pair()
    browser.get(authorize_url(fed.base, fed.app.client_id, challenge))
    browser.follow()
    browser.submit_login("samuel", USER_PASSWORD)
    browser.follow()
    assert browser.response.status_code == 200
    assert "Your password has expired" in browser.text
