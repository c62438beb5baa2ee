"""Console forms for webhooks: they parse; the services decide (errors shown inline)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.webhooks import channels as ch
from apps.webhooks.models import WebhookSettings


class WebhookForm(forms.Form):
    name = forms.CharField(label=_("Name"), required=False, widget=forms.TextInput(attrs={"required": True}))
    endpoint = forms.CharField(
        label=_("Endpoint URL"),
        required=False,
        strip=False,
        widget=forms.TextInput(attrs={"required": True, "spellcheck": "false", "placeholder": "https://"}),
        help_text=_("Events are POSTed here as JSON. HTTPS is required in production."),
    )
    secret = forms.CharField(
        label=_("Secret"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Signs every request (HMAC-SHA256). Stored encrypted and never shown again."),
    )
    channels = forms.MultipleChoiceField(
        label=_("Channels"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(channel.uri, f"{channel.name}: {channel.description}") for channel in ch.CHANNELS],
    )
    active = forms.BooleanField(label=_("Active: send events as they happen"), required=False)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["secret"].help_text = _(
                "Leave empty to keep the current secret; a new one signs every later "
                "attempt, retries of earlier events included."
            )
            del self.fields["active"]


class OrganizationPolicyForm(forms.Form):
    organization_policy = forms.ChoiceField(
        label=_("Events of sub-organizations"),
        choices=WebhookSettings.Policy.choices,
        widget=forms.RadioSelect,
    )
