"""My Account forms: they parse; the user services validate."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.attributes.forms import AttributeFieldsMixin
from apps.console.forms import PasswordSetForm


class ProfileForm(AttributeFieldsMixin, forms.Form):
    """Name, email and mobile, then the attributes shown on profiles (``apps.attributes.forms``)."""

    given_name = forms.CharField(
        label=_("First name"), required=False, widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )
    family_name = forms.CharField(
        label=_("Last name"), required=False, widget=forms.TextInput(attrs={"autocomplete": "family-name"})
    )
    email = forms.CharField(
        label=_("Email"), required=False, widget=forms.TextInput(attrs={"type": "email", "autocomplete": "email"})
    )
    phone = forms.CharField(
        label=_("Mobile"), required=False, widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"})
    )

    def __init__(
        self,
        *args: Any,
        attributes: list[Any] | None = None,
        attribute_values: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.add_attribute_fields(list(attributes or []), attribute_values)


class PasswordChangeForm(PasswordSetForm):
    """The Console's new-password pair, plus the current password (self-service)."""

    current_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    field_order = ["current_password", "password", "confirm"]
