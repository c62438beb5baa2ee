"""Console forms for identity providers ("connections"): they parse; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.attributes.selectors import local_claim_list
from apps.idp.models import IdentityProvider

MAPPING_ROWS_EXTRA = 3


def _url(label: Any, help_text: Any = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=2048,
        widget=forms.TextInput(attrs={"spellcheck": "false", "placeholder": "https://"}),
        help_text=help_text,
    )


# The identity provider's plain settings, shown in the edit form and saved through the service
# (the client secret is write-only: never shown, saved when given; the discovery URL is shown).
SETTINGS_FIELDS = (
    "name",
    "description",
    "image_url",
    "is_enabled",
    "client_id",
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "jwks_uri",
    "userinfo_endpoint",
    "token_endpoint_auth_method",
    "pkce",
    "use_userinfo",
    "subject_claim",
    "jit_enabled",
    "jit_scheme",
    "attribute_sync",
    "associate_local_user",
    "skip_jit_for_lookup_failure",
)


class CreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, widget=forms.TextInput(attrs={"required": True}))
    client_id = forms.CharField(label=_("Client ID"), max_length=255)
    client_secret = forms.CharField(
        label=_("Client secret"),
        max_length=1024,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Stored encrypted; never shown again."),
    )
    discovery_url = _url(
        _("Discovery URL"), _("The provider's /.well-known/openid-configuration; its endpoints are read from it.")
    )
    issuer = _url(_("Issuer"))
    authorization_endpoint = _url(_("Authorization endpoint"))
    token_endpoint = _url(_("Token endpoint"))
    jwks_uri = _url(_("JWKS URI"))
    userinfo_endpoint = _url(_("Userinfo endpoint"))

    ENDPOINTS = ("discovery_url", "issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint")

    def __init__(self, *args: Any, template_id: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if template_id != "oidc":  # the template carries the endpoints
            for name in self.ENDPOINTS:
                del self.fields[name]

    def service_fields(self) -> dict[str, Any]:
        return {name: value for name, value in self.cleaned_data.items() if value not in ("", None)}


class SettingsForm(forms.Form):
    """Everything editable on one page: general, protocol settings, attribute mappings, JIT and linking."""

    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(label=_("Description"), max_length=1024, required=False)
    image_url = _url(_("Logo URL"))
    is_enabled = forms.BooleanField(label=_("Enabled: users can sign in with this connection"), required=False)
    client_id = forms.CharField(label=_("Client ID"), max_length=255)
    client_secret = forms.CharField(
        label=_("Client secret"),
        max_length=1024,
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the current secret."),
    )
    discovery_url = _url(_("Discovery URL"), _("Changing it reads the endpoints again."))
    issuer = _url(_("Issuer"))
    authorization_endpoint = _url(_("Authorization endpoint"))
    token_endpoint = _url(_("Token endpoint"))
    jwks_uri = _url(_("JWKS URI"))
    userinfo_endpoint = _url(_("Userinfo endpoint"))
    scopes = forms.CharField(label=_("Scopes"), max_length=2000, required=False, help_text=_("Separated by spaces."))
    token_endpoint_auth_method = forms.ChoiceField(
        label=_("Client authentication"), choices=IdentityProvider.TokenAuth.choices
    )
    pkce = forms.BooleanField(label=_("Use PKCE"), required=False)
    use_userinfo = forms.BooleanField(label=_("Read the userinfo endpoint too"), required=False)
    subject_claim = forms.CharField(label=_("User ID attribute"), max_length=255, help_text=_("Usually sub."))
    jit_enabled = forms.BooleanField(label=_("Create accounts on first sign-in (JIT provisioning)"), required=False)
    jit_scheme = forms.ChoiceField(label=_("When creating an account"), choices=IdentityProvider.JitScheme.choices)
    attribute_sync = forms.ChoiceField(label=_("On later sign-ins"), choices=IdentityProvider.SyncMethod.choices)
    associate_local_user = forms.BooleanField(
        label=_("Link to an existing account when the lookup attributes match"), required=False
    )
    skip_jit_for_lookup_failure = forms.BooleanField(
        label=_("Do not create an account when no existing account matches"), required=False
    )
    lookup_1_federated = forms.CharField(label=_("Primary: attribute from the IdP"), max_length=255, required=False)
    lookup_1_local = forms.ChoiceField(label=_("Primary: local attribute"), required=False)
    lookup_2_federated = forms.CharField(label=_("Secondary: attribute from the IdP"), max_length=255, required=False)
    lookup_2_local = forms.ChoiceField(label=_("Secondary: local attribute"), required=False)

    def __init__(self, *args: Any, organization: Any, mapping_rows: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "—")] + [
            (uri, f"{name} ({uri})")
            for uri, name in local_claim_list(organization=organization).values_list("claim_uri", "display_name")
        ]
        self.fields["lookup_1_local"].choices = choices
        self.fields["lookup_2_local"].choices = choices
        self.mapping_rows = mapping_rows
        for index in range(mapping_rows):
            self.fields[f"map_{index}_federated"] = forms.CharField(
                label=_("Attribute from the IdP"), max_length=255, required=False
            )
            self.fields[f"map_{index}_local"] = forms.ChoiceField(
                label=_("Local attribute"), choices=choices, required=False
            )

    @staticmethod
    def initial_for(idp: IdentityProvider) -> dict[str, Any]:
        initial: dict[str, Any] = {name: getattr(idp, name) for name in (*SETTINGS_FIELDS, "discovery_url")}
        initial["scopes"] = " ".join(idp.scopes or [])
        for number, mapping in enumerate(idp.lookup_mappings or [], start=1):
            initial[f"lookup_{number}_federated"] = mapping["federated"]
            initial[f"lookup_{number}_local"] = mapping["local"]
        for index, mapping in enumerate(idp.claim_mappings or []):
            initial[f"map_{index}_federated"] = mapping["federated"]
            initial[f"map_{index}_local"] = mapping["local"]
        return initial

    def mapping_fields(self) -> list[tuple[Any, Any]]:
        return [(self[f"map_{i}_federated"], self[f"map_{i}_local"]) for i in range(self.mapping_rows)]

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        fields: dict[str, Any] = {name: data[name] for name in (*SETTINGS_FIELDS, "client_secret")}
        fields["discovery_url"] = data["discovery_url"]
        fields["scopes"] = data["scopes"].split()
        fields["lookup_mappings"] = [
            {"federated": data[f"lookup_{n}_federated"], "local": data[f"lookup_{n}_local"]}
            for n in (1, 2)
            if data[f"lookup_{n}_federated"] or data[f"lookup_{n}_local"]
        ]
        fields["claim_mappings"] = [
            {"federated": data[f"map_{i}_federated"], "local": data[f"map_{i}_local"]}
            for i in range(self.mapping_rows)
            if data[f"map_{i}_federated"] or data[f"map_{i}_local"]
        ]
        return fields
