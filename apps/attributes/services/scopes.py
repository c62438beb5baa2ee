"""Writes to OIDC scopes: which OIDC claims each scope releases.

Scope names are RFC 6749 scope tokens (no spaces); the default scopes
(openid, profile, email, phone, address) can be edited but not deleted. Sub-
organizations inherit the root's scopes read-only (OSM-60007). Codes use the
``OSM-`` prefix (ours: the reference gives none for this API)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from apps.attributes.models import OIDCScope
from apps.attributes.selectors import oidc_claim_choices
from apps.attributes.services.common import clean_label, definitions_changed, require_root
from apps.core.audit import audit_record
from apps.core.errors import Conflict, InvalidInput
from apps.core.events import emit

_SCOPE_TOKEN = re.compile(r"^[\x21\x23-\x5b\x5d-\x7e]{1,255}$")  # RFC 6749 §3.3
MAX_CLAIMS = 200


def _record(actor: Any, organization: Any, action: str, scope: OIDCScope, **data: Any) -> None:
    audit_record(
        actor=actor,
        action=f"oidc_scope.{action}",
        target_type="oidc_scope",
        target_id=scope.name,
        organization=organization,
        data=data or None,
    )
    emit(f"oidc_scope.{action}", organization=organization, payload={"name": scope.name, **data})
    definitions_changed()


def _claims(organization: Any, claims: Any) -> list[Any]:
    if claims is None:
        return []
    if not isinstance(claims, list) or len(claims) > MAX_CLAIMS or not all(isinstance(c, str) for c in claims):
        raise InvalidInput(
            "OSM-60001",
            _("Claims must be a list of at most %(n)d OIDC claim names.") % {"n": MAX_CLAIMS},
            field="claims",
        )
    by_name = {claim.claim_uri: claim for claim in oidc_claim_choices(organization=organization)}
    unknown = sorted(set(claims) - set(by_name))
    if unknown:
        raise InvalidInput(
            "OSM-60001",
            _("Unknown OIDC claims: %(c)s. Map them in the OIDC dialect first.") % {"c": ", ".join(unknown)},
            field="claims",
        )
    return [by_name[name] for name in dict.fromkeys(claims)]


def _texts(display_name: Any, description: Any) -> tuple[str, str]:
    display_name = clean_label(
        display_name, field="displayName", label=_("Display name"), code="OSM-60002", max_length=255, required=True
    )
    description = clean_label(
        description, field="description", label=_("Description"), code="OSM-60001", max_length=1024, required=False
    )
    return display_name, description


@transaction.atomic
def oidc_scope_create(
    *, actor: Any, organization: Any, name: Any, display_name: Any, description: Any = "", claims: Iterable[str] = ()
) -> OIDCScope:
    require_root(organization, code="OSM-60007")
    if not isinstance(name, str) or not name:
        raise InvalidInput("OSM-60002", _("Scope name is required."), field="name")
    if not _SCOPE_TOKEN.match(name):
        raise InvalidInput(
            "OSM-60001",
            _("Scope name must be 1-255 visible characters without spaces, quotes or backslashes."),
            field="name",
        )
    display_name, description = _texts(display_name, description)
    rows = _claims(organization, list(claims) if claims is not None else None)
    if OIDCScope.objects.filter(organization_id=organization.pk, name=name).exists():
        raise Conflict("OSM-60004", _("Scope %(n)s already exists.") % {"n": name}, field="name")
    try:
        with transaction.atomic():
            scope = OIDCScope.objects.create(
                organization=organization, name=name, display_name=display_name, description=description
            )
    except IntegrityError as exc:
        raise Conflict("OSM-60004", _("Scope %(n)s already exists.") % {"n": name}) from exc
    scope.claims.set(rows)
    _record(actor, organization, "created", scope, claims=[c.claim_uri for c in rows])
    return scope


@transaction.atomic
def oidc_scope_update(
    *, actor: Any, organization: Any, scope: OIDCScope, display_name: Any, description: Any = "", claims: Any = ()
) -> OIDCScope:
    """Replace the display name, description and released claims (WSO2's PUT)."""
    require_root(organization, code="OSM-60007")
    display_name, description = _texts(display_name, description)
    rows = _claims(organization, list(claims) if claims is not None else None)
    scope.display_name, scope.description = display_name, description
    scope.save(update_fields=["display_name", "description", "last_modified"])
    scope.claims.set(rows)
    _record(actor, organization, "updated", scope, claims=[c.claim_uri for c in rows])
    return scope


@transaction.atomic
def oidc_scope_delete(*, actor: Any, organization: Any, scope: OIDCScope) -> None:
    require_root(organization, code="OSM-60007")
    if scope.system:
        raise InvalidInput("OSM-60005", _("The default scope %(n)s cannot be deleted.") % {"n": scope.name})
    scope.delete()
    _record(actor, organization, "deleted", scope)
