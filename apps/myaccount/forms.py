"""My Account forms: they parse; the user services validate."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.console.forms import PasswordSetForm


class ProfileForm(forms.Form):
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


class PasswordChangeForm(PasswordSetForm):
    """The Console's new-password pair, plus the current password (self-service)."""

    current_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    field_order = ["current_password", "password", "confirm"]
