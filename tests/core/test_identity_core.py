"""Password hashing, the append-only audit log and the idempotent bootstrap."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from apps.applications.models import APIResource, Scope
from apps.applications.system_apis import all_system_scope_names
from apps.core.models import AppendOnlyError, AuditLog
from apps.orgs.models import Organization
from apps.users.models import User
from apps.users.selectors import user_scope_names
from apps.users.services import user_create


def test_passwords_are_hashed_with_argon2id_at_owasp_parameters(root_org):
    user = user_create(actor=None, organization=root_org, username="hash-me", password="Correct-horse-9")
    assert user.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert "Correct-horse-9" not in user.password
    assert user.check_password("Correct-horse-9")


def test_audit_log_is_append_only(root_org):
    user_create(actor=None, organization=root_org, username="audited", password="Correct-horse-9")
    row = AuditLog.objects.filter(action="user.create").latest("id")
    assert row.organization_id == root_org.id
    row.action = "tampered"
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        row.delete()
    with pytest.raises(AppendOnlyError):
        AuditLog.objects.filter(pk=row.pk).update(action="tampered")
    with pytest.raises(AppendOnlyError):
        AuditLog.objects.filter(pk=row.pk).delete()
    assert AuditLog.objects.get(pk=row.pk).action == "user.create"


def test_system_api_resources_carry_wso2_internal_scopes(root_org):
    names = set(Scope.objects.filter(api_resource__type=APIResource.Type.SYSTEM).values_list("name", flat=True))
    for expected in [
        "internal_user_mgt_view",
        "internal_user_mgt_list",
        "internal_user_mgt_create",
        "internal_user_mgt_update",
        "internal_user_mgt_delete",
        "internal_group_mgt_view",
        "internal_role_mgt_create",
        "internal_organization_view",
        "internal_org_user_mgt_list",
    ]:
        assert expected in names


@pytest.mark.django_db
def test_bootstrap_is_idempotent(settings, capsys):
    settings.IAM_ADMIN_PASSWORD = "First-pass-123"
    call_command("iam_bootstrap")
    first = capsys.readouterr().out
    assert "Created root organization 'root'" in first
    for line in ("Console:", "My Account:", "Discovery:"):
        assert line in first
    call_command("iam_bootstrap")
    assert "already exists" in capsys.readouterr().out
    assert Organization.objects.filter(handle="root").count() == 1
    admin = User.objects.get(organization__handle="root", username="admin")
    assert admin.check_password("First-pass-123")
    assert set(all_system_scope_names()) <= user_scope_names(user=admin)

    # A changed IAM_ADMIN_PASSWORD is applied on the next bootstrap.
    settings.IAM_ADMIN_PASSWORD = "Second-pass-123"
    call_command("iam_bootstrap")
    admin.refresh_from_db()
    assert admin.check_password("Second-pass-123")


@pytest.mark.django_db
def test_bootstrap_generates_and_prints_a_password_when_unset(settings, capsys):
    settings.IAM_ADMIN_PASSWORD = ""
    call_command("iam_bootstrap")
    out = capsys.readouterr().out
    password = out.split("with password: ")[1].split()[0]
    admin = User.objects.get(organization__handle="root", username="admin")
    assert len(password) >= 12
    assert admin.check_password(password)


def test_natural_key_lookup_means_the_default_root_organization(admin_user, other_admin):
    assert User.objects.get_by_natural_key("ADMIN") == admin_user


@pytest.mark.django_db
def test_bootstrap_grants_new_system_permissions_to_the_root_administrator(settings):
    from apps.users.models import Role

    settings.IAM_ADMIN_PASSWORD = "First-pass-123"
    call_command("iam_bootstrap")
    administrator = Role.objects.get(organization__handle="root", name="Administrator")
    keystore_scope = Scope.objects.get(name="internal_keystore_view")
    administrator.permissions.remove(keystore_scope)  # as if created by an older release
    call_command("iam_bootstrap")
    assert administrator.permissions.filter(pk=keystore_scope.pk).exists()
