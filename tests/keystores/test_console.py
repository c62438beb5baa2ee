"""Console keystores page: listing per protocol, the rotate confirmation flow, permissions, sub-organizations."""

from __future__ import annotations

from collections.abc import Callable
from unittest import mock

import pytest
from django.test import Client

from apps.core.errors import InvalidInput
from apps.keystores.models import SigningKey
from apps.keystores.services import keystore_create_key, keystore_rotate
from apps.orgs.models import Organization
from apps.users.models import User

pytestmark = pytest.mark.django_db

LIST = "/console/keystores/"
ROTATE = "/console/keystores/oauth/rotate/"


@pytest.fixture
def console(admin_user: User, signed_in: Callable[[User], Client]) -> Client:
    return signed_in(admin_user)


def html(response) -> str:  # noqa: ANN001
    return response.content.decode()


def test_page_lists_keys_per_protocol(console: Client, root_org: Organization) -> None:
    old = keystore_create_key(actor=None, organization=root_org)
    new = keystore_rotate(actor=None, organization=root_org, overlap_seconds=3600)
    saml = keystore_create_key(actor=None, organization=root_org, protocol="saml", algorithm="ES256")
    response = console.get(LIST)
    assert response.status_code == 200
    page = html(response)
    assert 'href="/console/keystores/" class="active" aria-current="page"' in page
    for label in ("OAuth 2.0 / OpenID Connect", "SAML", "WS-Trust", "WS-Federation"):
        assert label in page
    for key in (old, new, saml):
        assert key.kid in page
    assert '<span class="badge badge-active">Active</span>' in page
    assert '<span class="badge badge-retiring">Retiring</span>' in page
    assert "P-256" in page
    assert "2048 bits" in page
    assert 'href="/console/keystores/oauth/rotate/">Rotate key</a>' in page
    assert 'href="/console/keystores/ws_trust/rotate/">Create key</a>' in page
    assert "PRIVATE KEY" not in page
    assert old.private_key_encrypted[:40] not in page


def test_empty_page_explains_the_lazy_first_key(console: Client) -> None:
    page = html(console.get(LIST))
    assert "the first one is created when the first token is signed" in page
    assert not SigningKey.objects.exists()  # looking never creates keys


def test_rotate_flow(console: Client, root_org: Organization, admin_user: User) -> None:
    old = keystore_create_key(actor=None, organization=root_org)
    confirm = console.get(ROTATE)
    assert confirm.status_code == 200
    page = html(confirm)
    assert "Rotate the OAuth 2.0 / OpenID Connect signing key?" in page
    assert old.kid in page
    assert '<option value="RS256-2048" selected>' in page
    assert SigningKey.objects.count() == 1  # the GET only asks

    response = console.post(ROTATE, {"key_type": "ES256"}, follow=True)
    assert response.redirect_chain == [("/console/keystores/", 302)]
    new = SigningKey.objects.get(status="active")
    assert (new.algorithm, new.key_size) == ("ES256", 256)
    assert SigningKey.objects.get(kid=old.kid).status == "retiring"
    page = html(response)
    assert f"The new OAuth 2.0 / OpenID Connect signing key {new.kid} is active." in page
    assert 'class="flash flash-success"' in page
    # The confirmation now proposes the current key type.
    assert '<option value="ES256" selected>' in html(console.get(ROTATE))


def test_rotate_retiring_the_compromised_key_at_once(console: Client, root_org: Organization) -> None:
    old = keystore_create_key(actor=None, organization=root_org)
    response = console.post(ROTATE, {"key_type": "RS256-3072", "retire_now": "on"})
    assert response.status_code == 302
    assert SigningKey.objects.get(kid=old.kid).status == "retired"
    assert SigningKey.objects.get(status="active").key_size == 3072


def test_create_the_first_key_of_a_protocol(console: Client, root_org: Organization) -> None:
    page = html(console.get("/console/keystores/saml/rotate/"))
    assert "Create the SAML signing key?" in page
    assert "retire_now" not in page
    assert console.post("/console/keystores/saml/rotate/", {"key_type": "RS256-2048"}).status_code == 302
    assert SigningKey.objects.get().protocol == "saml"


def test_rotate_errors_are_inline(console: Client, root_org: Organization) -> None:
    keystore_create_key(actor=None, organization=root_org)
    response = console.post(ROTATE, {"key_type": "RS256-1024"})
    assert response.status_code == 400
    assert 'id="id_key_type_error"' in html(response)
    with mock.patch(
        "apps.keystores.views.keystore_rotate",
        side_effect=InvalidInput("KSM-60003", "RSA keys must be at least 2048 bits.", field="keySize"),
    ):
        response = console.post(ROTATE, {"key_type": "RS256-2048"})
    assert response.status_code == 400
    assert '<ul class="errorlist" id="id_key_type_error"><li>RSA keys must be at least 2048 bits.</li></ul>' in html(
        response
    )
    assert SigningKey.objects.count() == 1


def test_unknown_protocol_is_404(console: Client) -> None:
    assert console.get("/console/keystores/openid/rotate/").status_code == 404
    assert console.post("/console/keystores/openid/rotate/", {"key_type": "ES256"}).status_code == 404


def test_permissions(
    root_org: Organization, signed_in: Callable[[User], Client], make_user: Callable[..., User]
) -> None:
    keystore_create_key(actor=None, organization=root_org)
    viewer = signed_in(make_user(root_org, "viewer", ["internal_keystore_view", "internal_user_mgt_list"]))
    page = html(viewer.get(LIST))
    assert "Rotate key" not in page
    assert viewer.get(ROTATE).status_code == 403
    assert viewer.post(ROTATE, {"key_type": "ES256"}).status_code == 403
    assert SigningKey.objects.count() == 1

    stranger = signed_in(make_user(root_org, "stranger", ["internal_user_mgt_list"]))
    assert stranger.get(LIST).status_code == 403
    assert 'href="/console/keystores/"' not in html(stranger.get("/console/users/"))

    rotator = signed_in(make_user(root_org, "rotator", ["internal_keystore_update"]))
    assert rotator.post(ROTATE, {"key_type": "RS256-2048"}).status_code == 302
    assert SigningKey.objects.count() == 2

    assert Client().get(LIST)["Location"].startswith("/console/login/")


def test_another_tenant_admin_cannot_rotate_root_keys(
    root_org: Organization, other_admin: User, signed_in: Callable[[User], Client]
) -> None:
    root_key = keystore_create_key(actor=None, organization=root_org)
    acme = signed_in(other_admin)
    for prefix in ("", "/t/root"):
        assert acme.get(f"{prefix}{LIST}")["Location"].startswith(f"{prefix}/console/login/")
        assert acme.post(f"{prefix}{ROTATE}", {"key_type": "ES256"})["Location"].startswith(f"{prefix}/console/login/")
    assert list(SigningKey.objects.values_list("kid", "status")) == [(root_key.kid, "active")]
    # In its own Console acme manages only its own keys.
    assert root_key.kid not in html(acme.get(f"/t/acme{LIST}"))
    assert acme.post(f"/t/acme{ROTATE}", {"key_type": "ES256"}).status_code == 302
    assert SigningKey.objects.get(status="active", organization__handle="acme").algorithm == "ES256"
    assert SigningKey.objects.get(kid=root_key.kid).status == "active"


def test_sub_organization_page_points_to_the_root(
    console: Client, root_org: Organization, engineering: Organization
) -> None:
    key = keystore_create_key(actor=None, organization=root_org)
    prefix = f"/t/root/o/{engineering.pk}"
    response = console.get(f"{prefix}{LIST}")
    assert response.status_code == 200
    page = html(response)
    assert "Keys belong to the root organization" in page
    assert 'href="/t/root/console/keystores/"' in page
    assert key.kid not in page
    assert "Rotate key" not in page
    response = console.post(f"{prefix}{ROTATE}", {"key_type": "ES256"}, follow=True)
    assert response.redirect_chain == [(f"{prefix}/console/keystores/", 302)]
    assert "rotate them there" in html(response)
    assert SigningKey.objects.count() == 1
