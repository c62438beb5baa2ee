"""The SQL a SCIM filter becomes can use the PostgreSQL indexes (EXPLAIN), so filters stay fast on
large tenants. Correctness of the same filters on both databases is covered in test_users.py."""

from __future__ import annotations

import pytest
from django.db import connection

from apps.scim.context import ScimContext
from apps.scim.filters import parse_filter
from apps.scim.query import to_q
from apps.scim.users import user_resolver
from apps.users.models import User

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="EXPLAIN plans and these indexes are PostgreSQL's"),
]

CUSTOM = "urn:scim:schemas:extension:custom:User"


def plan(root_org, expression: str) -> str:
    ctx = ScimContext(organization=root_org, actor=None, base_url="http://testserver/scim2")
    # The filter's own condition (the organization predicate is served by its foreign-key index).
    qs = User.objects.filter(to_q(parse_filter(expression), user_resolver(ctx)))
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # small test table: ask whether an index CAN serve it
        return qs.explain()


@pytest.mark.parametrize(
    ("expression", "index"),
    [
        ('userName eq "someone"', "users_user_username_upper"),
        ('userName co "meon"', "users_user_username_trgm"),
        ('userName sw "some"', "users_user_username_trgm"),
        ('emails.value eq "a@example.com"', "users_user_email_upper"),
        ('emails.value eq "a@example.com"', "users_user_emails_work_upper"),
        ('name.familyName co "smith"', "users_user_family_name_trgm"),
        (f'{CUSTOM}:motto eq "x"', "users_user_attributes_gin"),
    ],
)
def test_filters_use_indexes(root_org, expression, index):
    from apps.attributes.services import local_claim_create

    local_claim_create(
        actor=None, organization=root_org, claim_uri="http://wso2.org/claims/motto", display_name="Motto"
    )
    User.objects.bulk_create(
        User(organization=root_org, username=f"noise{n}", email=f"n{n}@example.com", family_name=f"F{n}")
        for n in range(5000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE users_user")
    explained = plan(root_org, expression)
    assert index in explained, explained
