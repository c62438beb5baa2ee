"""Show a service's ``DomainError`` inline on a Django form (Console and My Account)."""

from __future__ import annotations

from django import forms

from apps.core.errors import DomainError

# Services name fields the way the management API does; forms use Python names.
API_FIELD_NAMES = {
    "orgHandle": "handle",
    "parentId": "parent",
    "givenName": "given_name",
    "familyName": "family_name",
    "userName": "username",
    "mobile": "phone",
    "currentPassword": "current_password",
    "users": "user_ids",
    "groups": "group_ids",
}


def attach_domain_error(form: forms.Form, exc: DomainError, *, field_map: dict[str, str] | None = None) -> None:
    """Put ``exc.message`` under the matching field, or above the form when none matches."""
    name = exc.field or ""
    name = (field_map or {}).get(name, API_FIELD_NAMES.get(name, name))
    form.add_error(name if name in form.fields else None, exc.message)
