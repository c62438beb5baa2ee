"""Console forms. They only parse the request: every rule (lengths, formats,
uniqueness) is checked by the services, whose errors the views show inline."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.attributes.forms import AttributeFieldsMixin
from apps.orgs.models import Organization
from apps.users.models import User


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("Username"), strip=True, widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True})
    )
    password = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


def _text(label: Any, *, required: bool = False, textarea: bool = False, **attrs: Any) -> forms.CharField:
    widget_attrs = {"required": True} if required else {}
    widget_attrs.update(attrs)
    widget = forms.Textarea(attrs={"rows": 3, **widget_attrs}) if textarea else forms.TextInput(attrs=widget_attrs)
    return forms.CharField(label=label, required=False, widget=widget)


# --- organizations -----------------------------------------------------------


class OrganizationCreateForm(forms.Form):
    name = _text(_("Name"), required=True)
    handle = _text(
        _("Handle"),
        autocomplete="off",
        spellcheck="false",
    )
    description = _text(_("Description"), textarea=True)
    parent = forms.ChoiceField(label=_("Parent organization"))

    def __init__(self, *args: Any, parents: Iterable[tuple[Organization, int]], **kwargs: Any) -> None:
        """``parents``: the organizations a new one may go under, with their depth below the current one."""
        super().__init__(*args, **kwargs)
        self.fields["handle"].help_text = _("Optional, lowercase letters, digits, '.' and '-'; cannot change later.")
        self.fields["parent"].choices = [(str(org.pk), "· " * level + org.name) for org, level in parents]


class OrganizationUpdateForm(forms.Form):
    name = _text(_("Name"), required=True)
    description = _text(_("Description"), textarea=True)
    status = forms.ChoiceField(label=_("Status"), choices=Organization.Status.choices)


# --- users ---------------------------------------------------------------------


class UserProfileForm(AttributeFieldsMixin, forms.Form):
    """The built-in profile fields, then one field per attribute (``apps.attributes.forms``)."""

    username = _text(_("Username"), required=True, autocomplete="off", spellcheck="false")
    email = _text(_("Email"), type="email", autocomplete="off")
    given_name = _text(_("First name"))
    family_name = _text(_("Last name"))
    phone = _text(_("Mobile"), type="tel")

    def __init__(
        self,
        *args: Any,
        attributes: list[Any] | None = None,
        attribute_values: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.add_attribute_fields(list(attributes or []), attribute_values)


class UserCreateForm(UserProfileForm):
    password = forms.CharField(
        label=_("Initial password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to create the account without a password."),
    )
    # Invite instead: the user sets their own password (apps.notifications; WSO2's "ask password").
    invite = forms.ChoiceField(
        label=_("Password setup"),
        required=False,
        choices=[
            ("", _("Set the initial password above (or none)")),
            ("email_link", _("Invite the user: email link")),
            ("email_otp", _("Invite the user: email one-time code")),
            ("sms_otp", _("Invite the user: SMS one-time code")),
            ("offline", _("Invite the user: one-time code shown to me")),
        ],
    )


class PasswordSetForm(forms.Form):
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


USER_STATE_ACTIONS = {
    "lock": User.State.LOCKED,
    "unlock": User.State.ACTIVE,
    "disable": User.State.DISABLED,
    "enable": User.State.ACTIVE,
}


class UserStateForm(forms.Form):
    action = forms.ChoiceField(choices=[(key, key) for key in USER_STATE_ACTIONS])


# --- groups and roles --------------------------------------------------------------


def _user_label(user: User) -> str:
    return user.username if user.display_name == user.username else f"{user.username} — {user.display_name}"


def _user_choices(users: Iterable[User]) -> list[tuple[str, str]]:
    return [(str(user.pk), _user_label(user)) for user in users]


class GroupForm(forms.Form):
    name = _text(_("Name"), required=True)
    description = _text(_("Description"), textarea=True)
    members = forms.MultipleChoiceField(label=_("Members"), required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, users: Iterable[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["members"].choices = _user_choices(users)


class RoleForm(forms.Form):
    name = _text(_("Name"), required=True)
    permissions = forms.MultipleChoiceField(label=_("Permissions"), required=False)
    user_ids = forms.MultipleChoiceField(label=_("Users"), required=False, widget=forms.CheckboxSelectMultiple)
    group_ids = forms.MultipleChoiceField(label=_("Groups"), required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(
        self, *args: Any, api_resources: Iterable[Any], users: Iterable[User], groups: Iterable[Any], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.api_resources = list(api_resources)
        self.fields["permissions"].choices = [
            (scope.name, scope.display_name or scope.name)
            for resource in self.api_resources
            for scope in resource.scopes.all()
        ]
        self.fields["user_ids"].choices = _user_choices(users)
        self.fields["group_ids"].choices = [(str(g.pk), g.name) for g in groups]

    def permission_groups(self) -> list[dict[str, Any]]:
        """The permission picker: one fieldset per API resource, its scopes as checkboxes."""
        selected = set(self["permissions"].value() or [])
        return [
            {
                "resource": resource,
                "scopes": [
                    {
                        "name": scope.name,
                        "label": scope.display_name or scope.name,
                        "checked": scope.name in selected,
                        "id": f"perm-{scope.pk}",
                    }
                    for scope in resource.scopes.all()
                ],
            }
            for resource in self.api_resources
        ]


# Organization discovery: form field -> the root's discovery property (``apps.orgs.discovery``).
DISCOVERY_PROPERTIES = {
    "org_handle": "orgHandle.enable",
    "email_domain": "emailDomain.enable",
    "organization_picker": "organizationPicker.enable",
    "default_param": "defaultParam",
}


class DiscoveryConfigForm(forms.Form):
    org_handle = forms.BooleanField(
        label=_("Organization handle or name"),
        required=False,
        help_text=_("Users type their organization's handle (or name) on the login page."),
    )
    email_domain = forms.BooleanField(
        label=_("Email domain"),
        required=False,
        help_text=_("Users type their email address; its domain leads to the organization that owns it."),
    )
    organization_picker = forms.BooleanField(
        label=_("Organization picker"),
        required=False,
        help_text=_("Users pick from the organizations the application is shared with."),
    )
    default_param = forms.ChoiceField(
        label=_("Ask first for"),
        choices=[
            ("orgHandle", _("Organization handle")),
            ("orgName", _("Organization name")),
            ("emailDomain", _("Email address")),
        ],
    )

    def properties(self) -> dict[str, Any]:
        return {DISCOVERY_PROPERTIES[name]: value for name, value in self.cleaned_data.items()}


class EmailDomainsForm(forms.Form):
    domains = forms.CharField(
        label=_("Email domains"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text=_("One per line (or separated by commas). Users whose email address ends with one sign in here."),
    )

    def domain_list(self) -> list[str]:
        return [item for item in self.cleaned_data["domains"].replace(",", " ").split() if item]
