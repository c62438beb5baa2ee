"""Console forms for applications and API resources. They parse the request into
setting values; the services check every rule and the views show their errors
inline. Settings a template locks are rendered disabled (Django then ignores
whatever a crafted request posts for them)."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.applications.app_settings import CHOICES, CLIENT_PUBLIC, GRANT_TYPES
from apps.applications.app_templates import AppTemplate
from apps.applications.models import APIResource, Application, AuthorizedAPI

GRANT_LABELS = {
    "authorization_code": _("Authorization code"),
    "refresh_token": _("Refresh token"),
    "client_credentials": _("Client credentials"),
    "urn:ietf:params:oauth:grant-type:token-exchange": _("Token exchange"),
    "urn:ietf:params:oauth:grant-type:device_code": _("Device code"),
    "organization_switch": _("Organization switch"),
}
TOKEN_FORMAT_LABELS = {"JWT": _("JWT (self-contained, RFC 9068)"), "Default": _("Opaque (reference)")}
TOKEN_BINDING_LABELS = {"none": _("None (bearer)"), "DPoP": _("DPoP (RFC 9449)")}


def _text(label: Any, *, textarea: bool = False, rows: int = 3, **attrs: Any) -> forms.CharField:
    widget = forms.Textarea(attrs={"rows": rows, **attrs}) if textarea else forms.TextInput(attrs=attrs)
    return forms.CharField(label=label, required=False, strip=True, widget=widget)


def _uri_list(label: Any, help_text: Any) -> forms.CharField:
    field = _text(label, textarea=True, spellcheck="false", autocomplete="off")
    field.help_text = help_text
    return field


def split_lines(value: str) -> list[str]:
    return [line for line in (value or "").split() if line]


def _lifetime(label: Any) -> forms.IntegerField:
    return forms.IntegerField(label=label, widget=forms.NumberInput(attrs={"inputmode": "numeric"}))


# --- applications ------------------------------------------------------------------


class ApplicationCreateForm(forms.Form):
    """Name plus the settings the chosen template's wizard asks for."""

    name = _text(_("Name"), required=True, autocomplete="off")

    def __init__(self, *args: Any, template: AppTemplate, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.template = template
        for wizard in template.wizard:
            if wizard.setting == "client_type":
                field: forms.Field = forms.BooleanField(
                    label=wizard.label,
                    required=False,
                    initial=template.defaults["client_type"] == CLIENT_PUBLIC,
                    help_text=wizard.help,
                )
                self.fields["public_client"] = field
                continue
            attrs = {"placeholder": wizard.placeholder, "spellcheck": "false", "autocomplete": "off"}
            if wizard.required:
                attrs["required"] = True
            field = _text(wizard.label, **attrs)
            field.help_text = wizard.help
            self.fields[wizard.setting] = field

    def overrides(self) -> dict[str, Any]:
        data = self.cleaned_data
        out: dict[str, Any] = {}
        if "redirect_uris" in self.fields:
            out["redirect_uris"] = split_lines(data["redirect_uris"])
        if "access_url" in self.fields:
            out["access_url"] = data["access_url"]
        if "public_client" in self.fields:
            out["client_type"] = CLIENT_PUBLIC if data["public_client"] else Application.CLIENT_CONFIDENTIAL
        return out


class ApplicationGeneralForm(forms.Form):
    name = _text(_("Name"), required=True, autocomplete="off")
    description = _text(_("Description"), textarea=True)
    logo_url = _text(_("Logo URL"), type="url", placeholder="https://")
    access_url = _text(_("Access URL"), type="url", placeholder="https://")
    discoverable = forms.BooleanField(
        label=_("Discoverable by end users"),
        required=False,
        help_text=_("List the application in My Account (needs an access URL)."),
    )
    skip_authorization = forms.BooleanField(
        label=_("Skip the consent page"), required=False, help_text=_("For first-party applications.")
    )

    def settings(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            key: data[key] for key in ("description", "logo_url", "access_url", "discoverable", "skip_authorization")
        }


class ApplicationProtocolForm(forms.Form):
    grant_types = forms.MultipleChoiceField(
        label=_("Allowed grant types"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(grant, GRANT_LABELS[grant]) for grant in GRANT_TYPES],
    )
    redirect_uris = _uri_list(_("Authorized redirect URLs"), _("One per line; matched exactly. No fragments."))
    post_logout_redirect_uris = _uri_list(_("Post-logout redirect URLs"), _("One per line."))
    allowed_origins = _uri_list(_("Allowed origins (CORS)"), _("One per line, e.g. https://app.example.com."))
    pkce_mandatory = forms.BooleanField(
        label=_("PKCE mandatory"), required=False, help_text=_("S256 only; plain is never accepted.")
    )
    token_endpoint_auth_method = forms.ChoiceField(
        label=_("Token endpoint authentication method"),
        choices=[(c, c) for c in CHOICES["token_endpoint_auth_method"]],
    )
    jwks = _text(_("Client public keys (JWKS)"), textarea=True, rows=4, spellcheck="false")
    access_token_format = forms.ChoiceField(
        label=_("Access token format"), choices=[(c, TOKEN_FORMAT_LABELS[c]) for c in CHOICES["access_token_format"]]
    )
    token_binding = forms.ChoiceField(
        label=_("Token binding"), choices=[(c, TOKEN_BINDING_LABELS[c]) for c in CHOICES["token_binding"]]
    )
    access_token_lifetime = _lifetime(_("Access token lifetime (seconds)"))
    refresh_token_lifetime = _lifetime(_("Refresh token lifetime (seconds)"))
    id_token_lifetime = _lifetime(_("ID token lifetime (seconds)"))
    refresh_rotation = forms.BooleanField(
        label=_("Rotate refresh tokens"), required=False, help_text=_("Each refresh returns a new refresh token.")
    )

    def __init__(self, *args: Any, application: Application, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["jwks"].help_text = _("Needed for private_key_jwt: a JSON object with a 'keys' list.")
        for name in application.settings_locked:
            if name in self.fields:
                self.fields[name].disabled = True
                self.fields[name].help_text = _("Fixed by the application template.")
        if application.client_type == CLIENT_PUBLIC:
            self.fields["token_endpoint_auth_method"].disabled = True
            self.fields["token_endpoint_auth_method"].help_text = _("A public client has no secret.")

    def clean_jwks(self) -> Any:
        raw = self.cleaned_data.get("jwks") or ""
        if not raw.strip():
            return {}
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise forms.ValidationError(_("Enter the JWKS as JSON.")) from exc

    def settings(self) -> dict[str, Any]:
        data = self.cleaned_data
        out: dict[str, Any] = {}
        for name, field in self.fields.items():
            if field.disabled:
                continue
            value = data[name]
            if name in ("redirect_uris", "post_logout_redirect_uris", "allowed_origins"):
                value = split_lines(value)
            elif name == "grant_types":
                value = list(value)
            out[name] = value
        return out


def protocol_initial(values: dict[str, Any]) -> dict[str, Any]:
    initial = dict(values)
    for name in ("redirect_uris", "post_logout_redirect_uris", "allowed_origins"):
        initial[name] = "\n".join(values[name])
    initial["jwks"] = json.dumps(values["jwks"], indent=2) if values["jwks"] else ""
    return initial


class AuthorizeAPIForm(forms.Form):
    scopes = forms.MultipleChoiceField(label=_("Scopes"), required=False, widget=forms.CheckboxSelectMultiple)
    policy = forms.ChoiceField(label=_("Authorization policy"), choices=AuthorizedAPI.Policy.choices)

    def __init__(self, *args: Any, api_resource: APIResource, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scopes"].choices = [
            (scope.name, f"{scope.display_name} ({scope.name})" if scope.display_name != scope.name else scope.name)
            for scope in api_resource.scopes.order_by("name")
        ]


class AuthorizedScopesForm(forms.Form):
    scopes = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, api_resource: APIResource, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scopes"].choices = [(scope.name, scope.name) for scope in api_resource.scopes.order_by("name")]


# --- API resources -------------------------------------------------------------------


class APIResourceCreateForm(forms.Form):
    name = _text(_("Name"), required=True, autocomplete="off")
    identifier = _text(_("Identifier"), required=True, spellcheck="false", placeholder="https://api.example.com")
    type = forms.ChoiceField(
        label=_("Type"),
        choices=[(APIResource.Type.BUSINESS, _("Business API")), (APIResource.Type.MCP, _("MCP server"))],
    )
    description = _text(_("Description"), textarea=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["identifier"].help_text = _(
            "Becomes the audience (aud) of access tokens and the RFC 8707 resource value; "
            "an absolute URI is recommended (an MCP server's URL is required). It cannot change later."
        )


class APIResourceUpdateForm(forms.Form):
    name = _text(_("Name"), required=True, autocomplete="off")
    description = _text(_("Description"), textarea=True)


class ScopeAddForm(forms.Form):
    scope_name = _text(_("Scope"), required=True, spellcheck="false", placeholder="orders:read")
    display_name = _text(_("Display name"), placeholder=_("Read orders"))
    scope_description = _text(_("Description"))


class ScopeRemoveForm(forms.Form):
    scope_name = forms.CharField()
