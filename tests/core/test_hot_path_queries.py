"""Query budgets on hot paths (not timings: those live in bench/)."""

from apps.users.services import user_create


def test_authenticated_user_list_costs_four_queries(admin_api, root_org, django_assert_num_queries):
    for i in range(15):
        user_create(actor=None, organization=root_org, username=f"user{i}")
    admin_api.get("/api/server/v1/users?limit=10")  # warm up connection-level state
    # token lookup, count, page (the tenant was resolved by the warm-up and is cached)
    with django_assert_num_queries(3):
        response = admin_api.get("/api/server/v1/users?limit=10")
    assert response.status_code == 200
    assert len(response.json()["users"]) == 10


def test_scope_failure_does_not_load_the_principal(api_client, admin_user, mint_token, django_assert_num_queries):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {mint_token(admin_user, ['internal_group_mgt_view'])}")
    api_client.get("/api/server/v1/users")  # resolves and caches the tenant
    with django_assert_num_queries(1):  # the token, nothing more
        response = api_client.get("/api/server/v1/users")
    assert response.status_code == 403
