"""My Account forms: they parse; the user services validate."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


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


class PasswordChangeForm(forms.Form):
    current_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    password = forms.CharField(
        label=_("New password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    confirm = forms.CharField(
        label=_("Confirm new password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("password") and data.get("confirm") is not None and data["password"] != data.get("confirm"):
            self.add_error("confirm", _("The two passwords do not match."))
        return data
