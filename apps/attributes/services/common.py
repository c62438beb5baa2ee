"""Helpers shared by the attribute definition services."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from apps.attributes.selectors import catalogue_invalidate
from apps.core.errors import Forbidden, InvalidInput
from apps.core.text import contains_unstorable_text


def require_root(organization: Any, *, code: str = "CMT-60007") -> None:
    """Definitions are managed in the root organization; sub-organizations inherit them read-only."""
    if not organization.is_root:
        raise Forbidden(
            code,
            _("Claim modification is not allowed for this organization."),
            _("Attributes and OIDC scopes are managed in the root organization and inherited here."),
        )


def clean_label(value: Any, *, field: str, label: str, code: str, max_length: int, required: bool) -> str:
    """Display text: NFC, trimmed, storable, bounded."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(code, _("%(label)s must be text.") % {"label": label}, field=field)
    if contains_unstorable_text(value):
        raise InvalidInput(
            code, _("%(label)s must not contain NUL or surrogate characters.") % {"label": label}, field=field
        )
    value = unicodedata.normalize("NFC", value.strip())
    if required and not value:
        raise InvalidInput(code, _("%(label)s is required.") % {"label": label}, field=field)
    if len(value) > max_length:
        raise InvalidInput(
            code, _("%(label)s must be at most %(n)d characters.") % {"label": label, "n": max_length}, field=field
        )
    return value


def definitions_changed() -> None:
    """Forget cached definitions now and again after commit (another thread may have re-read them)."""
    catalogue_invalidate()
    transaction.on_commit(catalogue_invalidate)
