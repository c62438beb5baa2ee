"""Seeding the system API resources, and minting tokens for the management API and tests."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from django.db import transaction

from apps.applications.models import APIResource, Scope
from apps.applications.system_apis import SYSTEM_API_RESOURCES


@transaction.atomic
def api_resources_seed_system() -> int:
    """Create or refresh the system API resources and their scopes (idempotent)."""
    created = 0
    for spec in SYSTEM_API_RESOURCES:
        resource, _ = APIResource.objects.update_or_create(
            organization=None,
            identifier=spec["identifier"],
            defaults={"name": spec["name"], "type": APIResource.Type.SYSTEM},
        )
        for name, label in spec["scopes"]:
            _, was_created = Scope.objects.update_or_create(
                api_resource=resource, name=name, defaults={"display_name": label}
            )
            created += int(was_created)
    return created


def access_token_issue(*, application: Any, scopes: Iterable[str], user: Any = None, expires_in: int = 3600) -> str:
    """Persist an opaque access token and return its value.

    The OAuth token endpoint (OAuth issue) is the production caller; the
    management API and tests use the same path so that scope checks are
    exercised against real tokens."""
    from datetime import timedelta

    from django.utils import timezone
    from oauth2_provider.models import get_access_token_model, set_token_value

    value = secrets.token_urlsafe(32)
    token = get_access_token_model()(
        application=application,
        user=user,
        scope=" ".join(sorted(set(scopes))),
        expires=timezone.now() + timedelta(seconds=expires_in),
    )
    set_token_value(token, value)  # only the checksum is stored (RFC 9700)
    token.save()
    return value
