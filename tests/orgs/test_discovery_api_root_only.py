"""Email domains are assigned by the root only: a sub-organization cannot claim a domain through the
API (it would capture users who sign in on the root's login page); the root can."""

from __future__ import annotations

import pytest

from apps.orgs.discovery import discovery_attributes_of
from apps.orgs.services import organization_create

pytestmark = pytest.mark.django_db
BODY = {"attributes": [{"type": "emailDomain", "values": ["gmail.com"]}]}


def test_sub_organization_cannot_set_email_domains_but_the_root_can(root_org, admin_api):
    alpha = organization_create(actor=None, parent=root_org, name="Alpha", handle="alpha")
    child = organization_create(actor=None, parent=alpha, name="Alpha Child", handle="alpha-child")
    sub_api = f"/t/root/o/{alpha.id}/api/server/v1/organizations"
    for target in (alpha, child):
        response = admin_api.put(f"{sub_api}/{target.id}/discovery", BODY, format="json")
        assert response.status_code == 403, response.json()
        assert response.json()["code"] == "ORG-60090"
        assert discovery_attributes_of(organization=target) == []
    posted = admin_api.post(f"{sub_api}/discovery", {"organizationId": str(child.id), **BODY}, format="json")
    assert posted.status_code == 403

    ok = admin_api.put(f"/api/server/v1/organizations/{child.id}/discovery", BODY, format="json")
    assert ok.status_code == 200, ok.json()
    assert discovery_attributes_of(organization=child)[0]["values"] == ["gmail.com"]
    assert admin_api.delete(f"{sub_api}/{child.id}/discovery").status_code == 403
    assert discovery_attributes_of(organization=child)[0]["values"] == ["gmail.com"]
