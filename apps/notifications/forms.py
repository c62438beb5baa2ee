"""Console forms: they parse; the services decide (their errors are shown inline)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.notifications.models import EmailSender, SmsSender
from apps.notifications.sms_presets import SMS_PRESETS

KEEP_SECRET = _("Leave empty to keep the stored value. Stored encrypted and never shown again.")


class EmailSenderForm(forms.Form):
    host = forms.CharField(label=_("SMTP server host"), required=False)
    port = forms.IntegerField(label=_("Port"), min_value=1, max_value=65535, initial=587)
    security = forms.ChoiceField(label=_("Connection security"), choices=EmailSender.Security.choices)
    from_address = forms.CharField(label=_("From address"), required=False)
    from_name = forms.CharField(label=_("From name"), required=False)
    auth_type = forms.ChoiceField(label=_("Authentication"), choices=EmailSender.AuthType.choices)
    username = forms.CharField(label=_("Username (basic)"), required=False)
    password = forms.CharField(
        label=_("Password (basic)"), required=False, strip=False, widget=forms.PasswordInput, help_text=KEEP_SECRET
    )
    token_endpoint = forms.CharField(
        label=_("Token endpoint (OAuth2)"),
        required=False,
        help_text=_("Microsoft 365: https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token"),
    )
    client_id = forms.CharField(label=_("Client ID (OAuth2)"), required=False)
    client_secret = forms.CharField(
        label=_("Client secret (OAuth2)"),
        required=False,
        strip=False,
        widget=forms.PasswordInput,
        help_text=KEEP_SECRET,
    )
    scopes = forms.CharField(
        label=_("Scopes (OAuth2)"), required=False, help_text=_("Microsoft 365: https://outlook.office365.com/.default")
    )


class TestEmailForm(forms.Form):
    to = forms.CharField(label=_("Send a test email to"), required=False)


class SmsSenderForm(forms.Form):
    provider = forms.ChoiceField(
        label=_("Provider"),
        choices=[(p.key, p.label) for p in SMS_PRESETS.values()],
        help_text=_("A preset fills method, content type and body when you leave them empty."),
    )
    url = forms.CharField(label=_("Provider URL"), required=False)
    method = forms.ChoiceField(
        label=_("HTTP method"), required=False, choices=[("", _("Preset default")), ("POST", "POST"), ("PUT", "PUT")]
    )
    content_type = forms.ChoiceField(
        label=_("Content type"), required=False, choices=[("", _("Preset default")), *SmsSender.ContentType.choices]
    )
    headers = forms.CharField(
        label=_("Headers (JSON object)"), required=False, widget=forms.Textarea(attrs={"rows": 2}), strip=False
    )
    body_template = forms.CharField(
        label=_("Body template"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Placeholders: {{mobile}}, {{body}}, {{sender}}. Empty: the preset's body."),
    )
    sender = forms.CharField(label=_("Sender ID / from number"), required=False)
    auth_type = forms.ChoiceField(label=_("Authentication"), choices=SmsSender.AuthType.choices)
    auth_username = forms.CharField(label=_("Username (basic)"), required=False)
    auth_header = forms.CharField(label=_("Header name (API key)"), required=False)
    secret = forms.CharField(
        label=_("Password / token / API key"),
        required=False,
        strip=False,
        widget=forms.PasswordInput,
        help_text=KEEP_SECRET,
    )


class TemplateForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), required=False, strip=False)
    body_text = forms.CharField(
        label=_("Body (plain text / SMS)"), required=False, strip=False, widget=forms.Textarea(attrs={"rows": 8})
    )
    body_html = forms.CharField(
        label=_("Body (HTML)"), required=False, strip=False, widget=forms.Textarea(attrs={"rows": 8})
    )


class SettingsForm(forms.Form):
    otp_length = forms.IntegerField(label=_("OTP length"), min_value=1, max_value=64)
    otp_use_digits = forms.BooleanField(label=_("Digits"), required=False)
    otp_use_uppercase = forms.BooleanField(label=_("Upper-case letters"), required=False)
    otp_use_lowercase = forms.BooleanField(label=_("Lower-case letters"), required=False)
    otp_ttl_seconds = forms.IntegerField(label=_("OTP lifetime (seconds)"), min_value=0)
    otp_max_attempts = forms.IntegerField(label=_("Wrong attempts before a code is locked"), min_value=0)
    otp_resend_cooldown_seconds = forms.IntegerField(label=_("Resend cool-down (seconds)"), min_value=0)
    link_ttl_seconds = forms.IntegerField(label=_("Link lifetime (seconds)"), min_value=0)
    default_locale = forms.CharField(label=_("Default template locale"))
