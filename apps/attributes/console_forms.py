"""Console forms for attribute definitions and OIDC scopes. They parse; the
services check every rule and the views show their errors inline."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.attributes.models import LOCAL_CLAIM_PREFIX, DataType, InputFormat
from apps.attributes.types import allowed_input_formats

# Service (API) field names -> form field names, for inline errors.
FIELD_MAP = {
    "claimURI": "name",
    "displayName": "display_name",
    "dataType": "data_type",
    "multiValued": "multi_valued",
    "regEx": "regex",
    "minLength": "min_length",
    "maxLength": "max_length",
    "minValue": "min_value",
    "maxValue": "max_value",
    "displayOrder": "display_order",
    "inputFormat": "input_format",
    "canonicalValues": "options",
    "options": "options",
    "subAttributes": "sub_attributes",
    "uniquenessScope": "unique",
    "storage": "name",
}


def _text(label: Any, *, help_text: Any = "", textarea: bool = False, **attrs: Any) -> forms.CharField:
    widget = forms.Textarea(attrs={"rows": 4, **attrs}) if textarea else forms.TextInput(attrs=attrs)
    return forms.CharField(label=label, required=False, strip=True, widget=widget, help_text=help_text)


def parse_options(text: str) -> list[dict[str, str]]:
    """``value = Label`` per line (``value`` alone uses it as the label)."""
    options = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        value, _sep, label = line.partition("=")
        options.append({"value": value.strip(), "label": label.strip() or value.strip()})
    return options


def format_options(options: list[dict[str, str]]) -> str:
    return "\n".join(
        o["value"] if o.get("label") in (None, "", o["value"]) else f"{o['value']} = {o['label']}" for o in options
    )


class LocalClaimForm(forms.Form):
    name = _text(
        _("Attribute name"),
        help_text=_("Letters, digits, '.', '_' or '-'; becomes http://wso2.org/claims/<name>. Cannot change later."),
        autocomplete="off",
        spellcheck="false",
    )
    display_name = _text(_("Display name"))
    description = _text(_("Description"), textarea=True, rows=2)
    data_type = forms.ChoiceField(label=_("Data type"), choices=DataType.choices)
    multi_valued = forms.BooleanField(label=_("Multi-valued"), required=False)
    options = _text(
        _("Options"),
        textarea=True,
        help_text=_("For text attributes: one option per line, as “value = Label”."),
        spellcheck="false",
    )
    sub_attributes = forms.MultipleChoiceField(
        label=_("Sub-attributes (objects)"), required=False, widget=forms.CheckboxSelectMultiple
    )
    input_format = forms.ChoiceField(label=_("Input format"), required=False)
    required = forms.BooleanField(label=_("Required"), required=False)
    read_only = forms.BooleanField(label=_("Read-only"), required=False)
    unique = forms.BooleanField(label=_("Unique in the organization"), required=False)
    supported_by_default = forms.BooleanField(
        label=_("Show on user profiles"), required=False, help_text=_("Console user forms and My Account.")
    )
    regex = _text(_("Regular expression"), help_text=_("Text attributes: the whole value must match."))
    min_length = forms.IntegerField(label=_("Minimum length"), required=False, min_value=0)
    max_length = forms.IntegerField(label=_("Maximum length"), required=False, min_value=0)
    min_value = forms.DecimalField(label=_("Minimum value"), required=False)
    max_value = forms.DecimalField(label=_("Maximum value"), required=False)
    display_order = forms.IntegerField(label=_("Display order"), required=False, initial=0)

    def __init__(self, *args: Any, sub_attribute_choices: list[tuple[str, str]], editing: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sub_attributes"].choices = sub_attribute_choices
        if editing:
            self.fields["name"].disabled = True
        self.fields["input_format"].choices = input_format_choices(self._current("data_type"), self)

    def _current(self, name: str) -> Any:
        return self[name].value()

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "display_name": data["display_name"],
            "description": data["description"],
            "data_type": data["data_type"],
            "multi_valued": data["multi_valued"],
            "canonical_values": parse_options(data["options"]),
            "sub_attributes": data["sub_attributes"] or [],
            "input_format": data["input_format"] or "",
            "required": data["required"],
            "read_only": data["read_only"],
            "unique": data["unique"],
            "supported_by_default": data["supported_by_default"],
            "regex": data["regex"],
            "min_length": data["min_length"],
            "max_length": data["max_length"],
            "min_value": data["min_value"],
            "max_value": data["max_value"],
            "display_order": data["display_order"] or 0,
        }

    def claim_uri(self) -> str:
        return LOCAL_CLAIM_PREFIX + (self.cleaned_data.get("name") or "")


def input_format_choices(data_type: Any, form: forms.Form) -> list[tuple[str, str]]:
    """The input formats that fit the form's current data type, multi-valued setting and options."""
    multi = bool(form["multi_valued"].value())
    has_options = bool(parse_options(form["options"].value() or ""))
    allowed = allowed_input_formats(str(data_type or DataType.STRING), multi_valued=multi, has_options=has_options)
    labels = dict(InputFormat.choices)
    if not allowed:
        return [("", _("None (grouped sub-fields)"))]
    return [(value, labels[value]) for value in allowed]


def local_claim_initial(claim: Any) -> dict[str, Any]:
    return {
        "name": claim.name,
        "display_name": claim.display_name,
        "description": claim.description,
        "data_type": claim.data_type,
        "multi_valued": claim.multi_valued,
        "options": format_options(claim.canonical_values or []),
        "sub_attributes": list(claim.sub_attributes or []),
        "input_format": claim.input_format,
        "required": claim.required,
        "read_only": claim.read_only,
        "unique": claim.unique,
        "supported_by_default": claim.supported_by_default,
        "regex": claim.regex,
        "min_length": claim.min_length,
        "max_length": claim.max_length,
        "min_value": claim.min_value,
        "max_value": claim.max_value,
        "display_order": claim.display_order,
    }


class OIDCScopeForm(forms.Form):
    name = _text(
        _("Scope name"), help_text=_("No spaces; cannot change later."), autocomplete="off", spellcheck="false"
    )
    display_name = _text(_("Display name"))
    description = _text(_("Description"), textarea=True, rows=2)
    claims = forms.MultipleChoiceField(label=_("Claims released"), required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, claim_choices: list[tuple[str, str]], editing: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["claims"].choices = claim_choices
        if editing:
            self.fields["name"].disabled = True
