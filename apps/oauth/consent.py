"""Consent for applications that are not first-party (OIDC Core §3.1.2.4).

A first-party application (``skip_authorization``, the default of the
templates) signs users in without asking. Any other application, including
every dynamically registered client, shows the consent page until the user
has allowed at least the requested scopes; ``prompt=consent`` always asks and
``prompt=none`` without consent answers ``consent_required``."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from apps.core.audit import audit_record
from apps.oauth.models import Consent


def consent_needed(*, user: Any, client: Any, scopes: tuple[str, ...], prompt: frozenset[str]) -> bool:
    if "consent" in prompt:
        return True
    if client.first_party:
        return False
    remembered = Consent.objects.filter(user=user, application_id=client.id).values_list("scopes", flat=True).first()
    return remembered is None or not set(scopes) <= set(remembered)


@transaction.atomic
def consent_grant(*, user: Any, client: Any, scopes: tuple[str, ...]) -> None:
    """Remember the user's consent (adding to what they allowed before)."""
    consent, _ = Consent.objects.select_for_update().get_or_create(
        user=user, application_id=client.id, defaults={"scopes": []}
    )
    consent.scopes = sorted(set(consent.scopes) | set(scopes))
    consent.save(update_fields=["scopes", "updated"])
    audit_record(
        actor=user,
        action="oauth.consent.grant",
        target_type="application",
        target_id=client.client_id,
        organization=user.organization,
        data={"scopes": list(scopes)},
    )
