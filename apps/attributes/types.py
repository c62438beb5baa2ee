"""Data types and the input formats each allows (WSO2 7.2's table).

| data type              | multi-valued | input formats (first = default)           |
| ---------------------- | ------------ | ----------------------------------------- |
| string                 | either       | text_input                                |
| string + options       | no           | dropdown, radio_group                     |
| string + options       | yes          | multi_select_dropdown, checkbox_group     |
| integer / decimal      | either       | number_input, text_input                  |
| boolean                | never        | toggle, checkbox                          |
| date_time              | either       | date_picker, text_input                   |
| complex (object)       | no           | none: rendered as grouped sub-fields      |
"""

from __future__ import annotations

from apps.attributes.models import DataType, InputFormat

SCIM_TYPES = {
    DataType.STRING: "string",
    DataType.INTEGER: "integer",
    DataType.DECIMAL: "decimal",
    DataType.BOOLEAN: "boolean",
    DataType.DATE_TIME: "dateTime",
    DataType.COMPLEX: "complex",
}

# WSO2's OpenAPI spells ``date_time`` as ``data_time``; both are accepted on input.
DATA_TYPE_ALIASES = {"data_time": DataType.DATE_TIME, "date_time": DataType.DATE_TIME}


def allowed_input_formats(data_type: str, *, multi_valued: bool, has_options: bool) -> tuple[str, ...]:
    """The input formats a definition may use; the first is the default."""
    if data_type == DataType.STRING:
        if has_options:
            if multi_valued:
                return (InputFormat.MULTI_SELECT_DROPDOWN, InputFormat.CHECKBOX_GROUP)
            return (InputFormat.DROPDOWN, InputFormat.RADIO_GROUP)
        return (InputFormat.TEXT_INPUT,)
    if data_type in (DataType.INTEGER, DataType.DECIMAL):
        return (InputFormat.NUMBER_INPUT, InputFormat.TEXT_INPUT)
    if data_type == DataType.BOOLEAN:
        return (InputFormat.TOGGLE, InputFormat.CHECKBOX)
    if data_type == DataType.DATE_TIME:
        return (InputFormat.DATE_PICKER, InputFormat.TEXT_INPUT)
    return ()


def effective_input_format(data_type: str, *, multi_valued: bool, has_options: bool, chosen: str) -> str:
    """``chosen`` when allowed, else the default for the data type ("" for objects)."""
    allowed = allowed_input_formats(data_type, multi_valued=multi_valued, has_options=has_options)
    if chosen in allowed:
        return chosen
    return allowed[0] if allowed else ""
