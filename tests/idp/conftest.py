"""Federation fixtures: tenant ``acme`` (B) of this same server is the upstream OpenID provider of
tenant ``root`` (A). B has a real application whose redirect URI is A's ``/commonauth``; both
tenants define a custom "Employee ID" attribute, and B releases it in its ID token through a
custom ``employment`` scope."""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests

from apps.attributes.selectors import dialect_get_by_id
from apps.attributes.services import external_claim_create, local_claim_create, oidc_scope_create
from apps.authn.services.sequences import sequence_set
from apps.idp.services import idp_create
from tests.conftest import USER_PASSWORD
from tests.oauth.conftest import (  # noqa: F401  (fixtures shared with the OAuth tests)
    REDIRECT,
    _fresh_client_cache,
    make_app,
)

OIDC_DIALECT_ID = "aHR0cDovL3dzbzIub3JnL29pZGMvY2xhaW0"
EMPLOYEE_ID = "http://wso2.org/claims/employeeId"
EMAIL = "http://wso2.org/claims/emailaddress"
GIVEN_NAME = "http://wso2.org/claims/givenname"


def employee_attribute(organization: Any, *, release_as: str | None = None) -> None:
    """The custom attribute in one tenant; on the upstream side also an OIDC claim and scope releasing it."""
    local_claim_create(actor=None, organization=organization, claim_uri=EMPLOYEE_ID, display_name="Employee ID")
    if release_as:
        oidc = dialect_get_by_id(organization=organization, dialect_id=OIDC_DIALECT_ID)
        external_claim_create(
            actor=None,
            organization=organization,
            dialect=oidc,
            claim_uri=release_as,
            mapped_local_claim_uri=EMPLOYEE_ID,
        )
        oidc_scope_create(
            actor=None, organization=organization, name="employment", display_name="Employment", claims=[release_as]
        )


@dataclass
class Federation:
    base: str
    tenant_a: Any
    tenant_b: Any
    upstream_app: Any  # B's application that A signs in with
    app: Any  # A's application whose sign-in offers B
    idp: Any  # A's identity provider record for B


@pytest.fixture
def server(live_server: Any, settings: Any, transactional_db: Any) -> str:
    settings.IAM_BASE_URL = live_server.url
    return live_server.url


@pytest.fixture
def federation(server: str, root_org: Any, other_tenant: Any, make_app: Any, make_user: Any) -> Federation:  # noqa: F811
    tenant_a, tenant_b = root_org, other_tenant
    employee_attribute(tenant_b, release_as="employee_id")
    employee_attribute(tenant_a)
    make_user(tenant_b, "sam", email="sam@example.com", given_name="Sam", attributes={"employeeId": "E-1007"})
    upstream = make_app(tenant_b, name="tenant-a-login", redirect_uris=[f"{server}/commonauth"])
    idp = idp_create(
        actor=None,
        organization=tenant_a,
        template_id="oidc",
        name="TenantB",
        discovery_url=f"{server}/t/acme/oauth2/token/.well-known/openid-configuration",
        client_id=upstream.client_id,
        client_secret=upstream.secret,
        scopes=["openid", "email", "profile", "employment"],
        claim_mappings=[
            {"federated": "email", "local": EMAIL},
            {"federated": "given_name", "local": GIVEN_NAME},
            {"federated": "employee_id", "local": EMPLOYEE_ID},
        ],
        associate_local_user=True,
        lookup_mappings=[{"federated": "email", "local": EMAIL}, {"federated": "employee_id", "local": EMPLOYEE_ID}],
    )
    app = make_app(tenant_a, name="portal")
    sequence_set(actor=None, application=app.application, steps=[["basic", "federated:TenantB"]])
    return Federation(server, tenant_a, tenant_b, upstream, app, idp)


# --- a browser made of requests ------------------------------------------------------------------------


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(40)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, f"no {name} field in {page[:800]}"
    return html.unescape(match.group(1))


class Browser:
    """Follows redirects one by one (so a test can stop or tamper anywhere) and submits forms."""

    def __init__(self) -> None:
        self.session = requests.Session()
        self.url = ""
        self.response: requests.Response | None = None

    def get(self, url: str) -> requests.Response:
        self.url = urljoin(self.url, url)
        self.response = self.session.get(self.url, allow_redirects=False, timeout=15)
        return self.response

    def post(self, url: str, data: dict[str, str]) -> requests.Response:
        target = urljoin(self.url, url)
        self.response = self.session.post(
            target, data=data, allow_redirects=False, timeout=15, headers={"Referer": self.url}
        )
        self.url = target
        return self.response

    def follow(self, *, until: str = "", limit: int = 12) -> requests.Response:
        """Follow redirects until a page (not a redirect) or a Location starting with ``until``."""
        for _ in range(limit):
            response = self.response
            refresh = response.headers.get("Refresh", "") if response is not None else ""
            if response is not None and response.status_code == 200 and ";url=" in refresh:
                location = urljoin(self.url, refresh.split(";url=", 1)[1])  # as a browser does
            elif response is None or response.status_code not in (301, 302, 303):
                return response
            else:
                location = urljoin(self.url, response.headers["Location"])
            if until and location.startswith(until):
                self.url = location
                return response
            self.get(location)
        raise AssertionError("too many redirects")

    @property
    def text(self) -> str:
        return self.response.text if self.response is not None else ""

    def submit_login(self, username: str, password: str = USER_PASSWORD) -> requests.Response:
        page = self.text
        action = re.search(r'<form method="post" action="([^"]*login[^"]*)"', page).group(1)
        data = {
            "csrfmiddlewaretoken": hidden(page, "csrfmiddlewaretoken"),
            "flow": hidden(page, "flow"),
            "username": username,
            "password": password,
        }
        return self.post(html.unescape(action), data)

    def choose(self, authenticator: str) -> requests.Response:
        page = self.text
        match = re.search(
            rf'<form method="post" action="([^"]*select[^"]*)">\s*<input type="hidden" name="csrfmiddlewaretoken" '
            rf'value="([^"]+)">\s*<input type="hidden" name="flow" value="([^"]+)">\s*'
            rf'<input type="hidden" name="authenticator" value="{re.escape(authenticator)}">',
            page,
        )
        assert match, f"no choice {authenticator} on {page[:1500]}"
        action, csrf, flow = match.groups()
        return self.post(
            html.unescape(action), {"csrfmiddlewaretoken": csrf, "flow": flow, "authenticator": authenticator}
        )

    def continue_federated(self) -> requests.Response:
        match = re.search(r'id="federated-continue" href="([^"]+)"', self.text)
        assert match, f"no federated button on {self.text[:1500]}"
        return self.get(html.unescape(match.group(1)))


def authorize_url(base: str, client_id: str, challenge: str, *, state: str = "rp-state") -> str:
    from urllib.parse import urlencode

    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": REDIRECT,
            "scope": "openid",
            "state": state,
            "nonce": "rp-nonce",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    return f"{base}/oauth2/authorize?{query}"


def code_of(url: str) -> str:
    query = parse_qs(urlsplit(url).query)
    assert "code" in query, url
    return query["code"][0]


def start_at_tenant_a(browser: Browser, fed: Federation) -> str:
    """From the application's authorize request to the upstream (B) authorization URL; returns the verifier."""
    verifier, challenge = pkce_pair()
    browser.get(authorize_url(fed.base, fed.app.client_id, challenge))
    browser.follow()
    assert browser.response.status_code == 200
    assert "Sign in with TenantB" in browser.text
    browser.choose("federated:TenantB")
    browser.follow()
    browser.continue_federated()
    assert browser.response.status_code == 302
    assert browser.response.headers["Location"].startswith(f"{fed.base}/t/acme/oauth2/authorize?")
    return verifier


def sign_in_upstream(browser: Browser, fed: Federation, username: str = "sam") -> None:
    """At B: its login page, the password, then B's redirect back to A's /commonauth (not followed)."""
    browser.follow()
    assert browser.response.status_code == 200, browser.text[:500]
    browser.submit_login(username)
    browser.follow(until=f"{fed.base}/commonauth")
    assert browser.url.startswith(f"{fed.base}/commonauth?"), browser.url
