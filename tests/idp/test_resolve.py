"""Who a verified federated identity is locally: association, account lookup (AT-10.2/10.3), JIT."""

from __future__ import annotations

from typing import Any

import pytest

from apps.attributes.services import local_claim_create
from apps.idp.models import FederatedAssociation
from apps.idp.services import FederatedIdentity, association_create, federated_user_resolve, idp_update
from apps.users.models import User
from apps.users.services import user_set_state
from tests.idp.test_api import EMAIL, EMPLOYEE, make_idp

pytestmark = pytest.mark.django_db
CLAIMS = {"email": "a@x.example", "employee_id": "7", "given_name": "Ann"}


@pytest.fixture
def idp(root_org: Any) -> Any:
    idp = make_idp(root_org)
    return idp_update(
        actor=None,
        idp=idp,
        associate_local_user=True,
        lookup_mappings=[{"federated": "email", "local": EMAIL}, {"federated": "employee_id", "local": EMPLOYEE}],
        claim_mappings=[
            {"federated": "email", "local": EMAIL},
            {"federated": "given_name", "local": "http://wso2.org/claims/givenname"},
        ],
    )


def identity(idp: Any, subject: str = "sub-1", **claims: Any) -> FederatedIdentity:
    return FederatedIdentity(idp=idp, subject=subject, claims={**CLAIMS, **claims})


def test_both_lookup_attributes_matching_links_the_user(idp, root_org, make_user):
    ann = make_user(root_org, "ann", email="A@x.example", attributes={"employeeNumber": "7"})
    make_user(root_org, "ann2", email="a@x.example", attributes={"employeeNumber": "8"})
    result = federated_user_resolve(identity=identity(idp))
    assert (result.how, result.user) == ("linked", ann)
    assert FederatedAssociation.objects.get().user == ann
    again = federated_user_resolve(identity=identity(idp, email="changed@x.example"))
    assert (again.how, again.user) == ("associated", ann)


def test_only_email_matching_is_no_link_and_jit_decides(idp, root_org, make_user):
    make_user(root_org, "ann", email="a@x.example", attributes={"employeeNumber": "99"})
    refused = federated_user_resolve(identity=identity(idp))
    assert refused.how == "failed"
    assert refused.reason == "no_local_account"
    idp = idp_update(actor=None, idp=idp, jit_enabled=True)
    created = federated_user_resolve(identity=identity(idp))
    assert created.how == "provisioned"
    assert created.user.username != "ann"
    assert created.user.given_name == "Ann"
    idp = idp_update(actor=None, idp=idp, skip_jit_for_lookup_failure=True)
    skipped = federated_user_resolve(identity=identity(idp, subject="sub-2"))
    assert skipped.how == "failed"
    assert skipped.reason == "lookup_failed"


def test_several_matches_link_nobody(idp, root_org, make_user):
    make_user(root_org, "ann", email="a@x.example", attributes={"employeeNumber": "7"})
    make_user(root_org, "ann-twin", email="a@x.example", attributes={"employeeNumber": "7"})
    assert federated_user_resolve(identity=identity(idp)).how == "failed"
    assert not FederatedAssociation.objects.exists()


def test_an_integer_attribute_matches_its_typed_value(idp, root_org, make_user):
    local_claim_create(
        actor=None,
        organization=root_org,
        claim_uri="http://wso2.org/claims/badge",
        display_name="Badge",
        data_type="integer",
    )
    ann = make_user(root_org, "ann", email="a@x.example", attributes={"badge": 42})
    idp = idp_update(
        actor=None,
        idp=idp,
        lookup_mappings=[
            {"federated": "email", "local": EMAIL},
            {"federated": "badge", "local": "http://wso2.org/claims/badge"},
        ],
    )
    assert federated_user_resolve(identity=identity(idp, badge="42")).user == ann


def test_a_disabled_linked_user_cannot_sign_in(idp, root_org, make_user):
    ann = make_user(root_org, "ann")
    association_create(actor=None, user=ann, idp=idp, subject="sub-1")
    user_set_state(actor=None, user=ann, state=User.State.DISABLED)
    result = federated_user_resolve(identity=identity(idp))
    assert result.how == "failed"
    assert result.reason == "account_unavailable"


def test_prompt_consent_asks_first_and_without_ui_missing_attributes_fail(idp, root_org):
    idp = idp_update(
        actor=None,
        idp=idp,
        jit_enabled=True,
        jit_scheme="PROMPT_CONSENT",
        associate_local_user=False,
        lookup_mappings=[],
    )
    asked = federated_user_resolve(identity=identity(idp))
    assert asked.how == "prompt"
    assert asked.profile[EMAIL] == "a@x.example"
    confirmed = federated_user_resolve(identity=identity(idp), provided={})
    assert confirmed.how == "provisioned"
    local_claim_create(
        actor=None, organization=root_org, claim_uri="http://wso2.org/claims/badge", display_name="Badge", required=True
    )
    idp = idp_update(actor=None, idp=idp, jit_scheme="PROVISION_SILENTLY")
    headless = federated_user_resolve(identity=identity(idp, subject="sub-9"), prompt=False)
    assert headless.how == "failed"
    assert "Badge" in headless.message
