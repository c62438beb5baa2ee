"""THE form-field factory for user attributes, used by the Console user forms
and the My Account profile: one field per attribute, rendered with its input
format. Fields only parse (every value is text, a list or a boolean); the
attribute service checks and reports, so a bad value gets the same message
here as on the API."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext as _

from apps.attributes.models import DataType, InputFormat
from apps.attributes.selectors import AttributeDefinition

FIELD_PREFIX = "attr_"


def field_name(storage_key: str) -> str:
    return f"{FIELD_PREFIX}{storage_key}"


class ListField(forms.Field):
    """Several values from one name (multi-select, checkbox group) or one per line (text area)."""

    def __init__(self, *, lines: bool = False, **kwargs: Any) -> None:
        self.lines = lines
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[str]:
        if value in (None, ""):
            return []
        if self.lines or isinstance(value, str):
            return [line.strip() for line in str(value).splitlines() if line.strip()]
        return [str(item) for item in value]

    def prepare_value(self, value: Any) -> Any:
        if self.lines and isinstance(value, list):
            return "\n".join(str(item) for item in value)
        return value


def _choices(definition: AttributeDefinition, *, blank: bool) -> list[tuple[str, str]]:
    options = [(value, label) for label, value in definition.options]
    return [("", _("— Select —")), *options] if blank else options


def _picker_value(value: Any) -> Any:
    """``2024-05-31T14:30:00`` (UTC, no offset) for a ``datetime-local`` input."""
    if not isinstance(value, str):
        return value
    try:
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(datetime.UTC).replace(tzinfo=None)
    return parsed.isoformat(timespec="seconds")


def attribute_field(definition: AttributeDefinition) -> forms.Field:
    """The form field (and widget) for ``definition``'s input format."""
    fmt, multi = definition.input_format, definition.multi_valued
    help_parts = [definition.description] if definition.description else []
    if definition.required:
        help_parts.append(_("Required."))
    attrs: dict[str, Any] = {}
    field: forms.Field
    if fmt == InputFormat.TOGGLE:
        field = forms.BooleanField(widget=forms.CheckboxInput(attrs={"role": "switch", "class": "switch"}))
    elif fmt == InputFormat.CHECKBOX:
        field = forms.BooleanField(widget=forms.CheckboxInput)
    elif fmt == InputFormat.DROPDOWN:
        field = forms.CharField(widget=forms.Select(choices=_choices(definition, blank=True)))
    elif fmt == InputFormat.RADIO_GROUP:
        field = forms.CharField(widget=forms.RadioSelect(choices=_choices(definition, blank=False)))
    elif fmt == InputFormat.MULTI_SELECT_DROPDOWN:
        field = ListField(widget=forms.SelectMultiple(choices=_choices(definition, blank=False)))
    elif fmt == InputFormat.CHECKBOX_GROUP:
        field = ListField(widget=forms.CheckboxSelectMultiple(choices=_choices(definition, blank=False)))
    elif multi:
        field = ListField(lines=True, widget=forms.Textarea(attrs={"rows": 3}))
        help_parts.append(_("One value per line."))
    elif fmt == InputFormat.NUMBER_INPUT:
        step = "1" if definition.data_type == DataType.INTEGER else "any"
        attrs = {"type": "number", "step": step, "inputmode": "decimal"}
        field = forms.CharField(widget=forms.TextInput(attrs=attrs))
    elif fmt == InputFormat.DATE_PICKER:
        field = forms.CharField(widget=forms.TextInput(attrs={"type": "datetime-local", "step": "1"}))
        help_parts.append(_("In UTC."))
    else:
        field = forms.CharField(widget=forms.TextInput)
    if isinstance(field.widget, (forms.RadioSelect, forms.CheckboxSelectMultiple)):
        field.choices = field.widget.choices  # type: ignore[attr-defined]  # components/field.html lists them
    field.required = False
    field.label = definition.display_name
    field.help_text = " ".join(str(part) for part in help_parts)
    if isinstance(field, forms.CharField):
        field.strip = False  # the service trims and normalises
    field.disabled = definition.read_only
    field.attribute = definition  # type: ignore[attr-defined]
    return field


class AttributeFieldsMixin:
    """Adds one field per attribute to a ``forms.Form``; ``attribute_values()`` parses them."""

    fields: dict[str, forms.Field]
    cleaned_data: dict[str, Any]

    def add_attribute_fields(self, definitions: list[AttributeDefinition], values: dict[str, Any] | None) -> None:
        values = values or {}
        self.attribute_definitions = definitions
        for definition in self._flat(definitions):
            name = field_name(definition.storage)
            field = attribute_field(definition)
            current = values.get(definition.storage)
            if definition.input_format == InputFormat.DATE_PICKER and not definition.multi_valued:
                current = _picker_value(current)
            field.initial = current
            self.fields[name] = field

    @staticmethod
    def _flat(definitions: list[AttributeDefinition]) -> list[AttributeDefinition]:
        out: list[AttributeDefinition] = []
        for definition in definitions:
            if definition.data_type == DataType.COMPLEX:
                out.extend(definition.children)
            else:
                out.append(definition)
        return out

    def attribute_field_map(self) -> dict[str, str]:
        """Storage key -> form field name, so a service error lands on its field."""
        return {d.storage: field_name(d.storage) for d in self._flat(self.attribute_definitions)}

    def attribute_values(self) -> dict[str, Any]:
        """Parsed values by storage key for the editable attributes; empty means "remove"."""
        out: dict[str, Any] = {}
        for definition in self._flat(self.attribute_definitions):
            if definition.read_only:
                continue
            value = self.cleaned_data.get(field_name(definition.storage))
            if value in ("", []):
                value = None
            elif definition.input_format == InputFormat.DATE_PICKER and isinstance(value, str):
                value = _with_utc_offset(value)
            out[definition.storage] = value
        return out

    def attribute_rows(self) -> list[dict[str, Any]]:
        """What the template renders: single fields, and objects with their sub-fields."""
        rows: list[dict[str, Any]] = []
        for definition in self.attribute_definitions:
            if definition.data_type == DataType.COMPLEX:
                children = [self[field_name(child.storage)] for child in definition.children]  # type: ignore[index]
                rows.append({"definition": definition, "object": True, "children": children})
            else:
                bound = self[field_name(definition.storage)]  # type: ignore[index]
                rows.append(
                    {"definition": definition, "object": False, "field": bound, "format": definition.input_format}
                )
        return rows


def _with_utc_offset(value: str) -> str:
    """A ``datetime-local`` value has no offset; the picker is labelled UTC."""
    value = value.strip()
    if value and "T" in value and not value.endswith(("Z", "z")) and "+" not in value[10:] and "-" not in value[10:]:
        return f"{value}Z"
    return value
