"""Organization discovery in the Console: the root's settings page and a sub-organization's email
domains on its detail page; what users then see on the login side (``organization_discover``)."""

from __future__ import annotations

import pytest
from django.test import Client

from apps.orgs.discovery import discovery_attributes_of, discovery_config_get, organization_discover
from apps.orgs.models import Organization
from apps.orgs.services import organization_create
from tests.console.conftest import html

pytestmark = pytest.mark.django_db
PAGE = "/console/organizations/discovery/"


@pytest.fixture
def alpha(root_org: Organization) -> Organization:
    return organization_create(actor=None, parent=root_org, name="Alpha", handle="alpha")


def _domains_url(org: Organization) -> str:
    return f"/console/organizations/{org.pk}/email-domains/"


def test_navigation_links_the_discovery_page(console: Client, root_org: Organization) -> None:
    page = html(console.get("/console/organizations/"))
    assert f'href="{PAGE}"' in page
    assert "Organization discovery" in page


def test_root_turns_on_email_domain_discovery(console: Client, root_org: Organization, alpha: Organization) -> None:
    page = console.get(PAGE)
    assert page.status_code == 200
    assert 'name="email_domain"' in html(page)
    assert discovery_config_get(organization=root_org)["emailDomain.enable"] is False

    saved = console.post(PAGE, {"org_handle": "on", "email_domain": "on", "default_param": "emailDomain"})
    assert saved.status_code == 302
    config = discovery_config_get(organization=root_org)
    assert config["emailDomain.enable"] is True
    assert config["organizationPicker.enable"] is False
    assert config["defaultParam"] == "emailDomain"
    assert "Organization discovery settings saved." in html(console.get(PAGE))

    # The sub-organization's domains, on its page; then a user's address leads there.
    assert console.post(_domains_url(alpha), {"domains": "Alpha.example\nalpha.example.org"}).status_code == 302
    assert discovery_attributes_of(organization=alpha)[0]["values"] == ["alpha.example", "alpha.example.org"]
    assert organization_discover(root=root_org, email="dana@alpha.example") == alpha
    overview = html(console.get(PAGE))
    assert "alpha.example.org" in overview
    assert f"/console/organizations/{alpha.pk}/" in overview

    # Turning the way off again: the same address no longer finds the organization.
    console.post(PAGE, {"org_handle": "on", "default_param": "orgHandle"})
    assert organization_discover(root=root_org, email="dana@alpha.example") is None


def test_invalid_choice_is_shown_inline(console: Client, root_org: Organization) -> None:
    response = console.post(PAGE, {"email_domain": "on", "default_param": "phoneNumber"})
    assert response.status_code == 400
    assert "Select a valid choice" in html(response)
    assert discovery_config_get(organization=root_org)["emailDomain.enable"] is False


def test_invalid_domain_shows_an_inline_error_and_saves_nothing(
    console: Client, root_org: Organization, alpha: Organization
) -> None:
    console.post(_domains_url(alpha), {"domains": "alpha.example"})
    response = console.post(_domains_url(alpha), {"domains": "alpha.example\nnot a domain!"})
    assert response.status_code == 400
    page = html(response)
    assert "is not a domain name" in page
    assert 'class="field has-error"' in page
    assert "not a domain!" in page  # the administrator's input is kept for correction
    assert discovery_attributes_of(organization=alpha)[0]["values"] == ["alpha.example"]


def test_a_domain_of_another_organization_is_refused_inline(
    console: Client, root_org: Organization, alpha: Organization
) -> None:
    beta = organization_create(actor=None, parent=root_org, name="Beta", handle="beta")
    assert console.post(_domains_url(alpha), {"domains": "shared.example"}).status_code == 302
    response = console.post(_domains_url(beta), {"domains": "shared.example"})
    assert response.status_code == 400
    assert "already used by another organization" in html(response)
    assert discovery_attributes_of(organization=beta) == []


def test_sub_organization_console_reads_the_root_settings_and_cannot_change_domains(
    console: Client, root_org: Organization, alpha: Organization
) -> None:
    child = organization_create(actor=None, parent=alpha, name="Alpha Child", handle="alpha-child")
    prefix = f"/t/root/o/{alpha.pk}"
    page = console.get(prefix + PAGE)
    assert page.status_code == 200
    body = html(page)
    assert "configured in the root organization, Root" in body
    assert "Save</button>" not in body
    assert console.post(prefix + PAGE, {"email_domain": "on", "default_param": "orgHandle"}).status_code == 403
    assert discovery_config_get(organization=root_org)["emailDomain.enable"] is False

    # A sub-organization cannot claim domains, not even for its own children.
    detail = html(console.get(f"{prefix}/console/organizations/{child.pk}/"))
    assert "Email domains" in detail
    assert 'name="domains"' not in detail
    forged = console.post(f"{prefix}/console/organizations/{child.pk}/email-domains/", {"domains": "gmail.com"})
    assert forged.status_code == 403
    assert discovery_attributes_of(organization=child) == []


def test_root_detail_page_has_no_email_domains(console: Client, root_org: Organization) -> None:
    page = html(console.get(f"/console/organizations/{root_org.pk}/"))
    assert 'id="email-domains"' not in page
