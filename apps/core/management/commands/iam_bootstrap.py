"""Idempotent first-run setup: system API resources, the default root
organization and its ``admin`` (password from IAM_ADMIN_PASSWORD, generated
and printed when unset)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from apps.applications.models import APIResource, Scope
from apps.applications.services import api_resources_seed_system
from apps.attributes.services import attributes_seed_defaults
from apps.orgs.models import Organization
from apps.orgs.selectors import organization_get_root_by_handle
from apps.orgs.services import tenant_create
from apps.users.models import Role, User
from apps.users.services import user_set_password


class Command(BaseCommand):
    help = "Create the default root organization and administrator if missing."

    @transaction.atomic
    def handle(self, *args: object, **options: object) -> None:
        api_resources_seed_system()
        handle = settings.IAM_DEFAULT_ROOT_HANDLE
        root = organization_get_root_by_handle(handle=handle)
        env_password = settings.IAM_ADMIN_PASSWORD
        if root is None:
            password = env_password or secrets.token_urlsafe(12)
            root = tenant_create(actor=None, handle=handle, name="Root", admin_password=password)
            if env_password:
                self.stdout.write(
                    "Created root organization 'root' and user 'admin' (password from IAM_ADMIN_PASSWORD)."
                )
            else:
                self.stdout.write(f"Created root organization 'root' and user 'admin' with password: {password}")
        else:
            # New releases add default attributes, mappings and OIDC scopes to existing tenants.
            for tenant in Organization.objects.roots():
                attributes_seed_defaults(organization=tenant)
            # New releases add system APIs: the root Administrator role keeps every system permission.
            administrator = Role.objects.for_org(root).filter(name="Administrator").first()
            if administrator is not None:
                administrator.permissions.add(*Scope.objects.filter(api_resource__type=APIResource.Type.SYSTEM))
            admin = User.objects.for_org(root).filter(username="admin").first()
            if admin is not None and env_password and not admin.check_password(env_password):
                user_set_password(actor=None, user=admin, password=env_password)
                self.stdout.write("Updated the password of 'admin' from IAM_ADMIN_PASSWORD.")
            else:
                self.stdout.write("Root organization 'root' already exists; admin password unchanged.")
        base = settings.IAM_BASE_URL
        self.stdout.write(
            "\n"
            f"  Console:    {base}/console/\n"
            f"  My Account: {base}/myaccount/\n"
            f"  Discovery:  {base}/oauth2/token/.well-known/openid-configuration\n"
            f"  API schema: {base}/api/schema/\n"
        )
