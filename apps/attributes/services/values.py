"""THE validation of user attribute values against their definitions.

Every write of ``User.attributes`` (management API, Console, My Account, SCIM,
flows) goes through ``validate_user_attributes``, so a value is accepted or
refused with the same message wherever it comes from."""

from __future__ import annotations

import datetime
import math
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models.fields.json import KeyTransform
from django.utils.translation import gettext as _

from apps.attributes.models import DataType
from apps.attributes.selectors import AttributeDefinition, attribute_definitions
from apps.core.errors import InvalidInput
from apps.core.text import contains_unstorable_text

# Codes (UMG: the user management API's prefix; SCIM maps them to its own errors).
CODE_INVALID = "UMG-60003"
CODE_REQUIRED = "UMG-60002"
CODE_READ_ONLY = "UMG-60011"
CODE_NOT_UNIQUE = "UMG-60012"
MAX_TEXT_LENGTH = 1024
MAX_VALUES = 100


class AttributeValueConflict(InvalidInput):
    """A unique attribute's value is already held by another user of the organization."""

    status = 409


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _invalid(definition: AttributeDefinition, message: str) -> InvalidInput:
    return InvalidInput(CODE_INVALID, message, field=definition.storage)


def _text(definition: AttributeDefinition, value: Any) -> str:
    if not isinstance(value, str):
        raise _invalid(definition, _("%(name)s must be text.") % {"name": definition.display_name})
    if contains_unstorable_text(value):
        raise _invalid(
            definition,
            _("%(name)s must not contain NUL or surrogate characters.") % {"name": definition.display_name},
        )
    value = unicodedata.normalize("NFC", value.strip())
    limit = min(definition.max_length or MAX_TEXT_LENGTH, MAX_TEXT_LENGTH)
    if len(value) > limit:
        raise _invalid(
            definition,
            _("%(name)s must be at most %(n)d characters.") % {"name": definition.display_name, "n": limit},
        )
    if definition.min_length and len(value) < definition.min_length:
        raise _invalid(
            definition,
            _("%(name)s must be at least %(n)d characters.")
            % {"name": definition.display_name, "n": definition.min_length},
        )
    if definition.regex and not _regex_matches(definition.regex, value):
        raise _invalid(definition, _("%(name)s is not in the expected format.") % {"name": definition.display_name})
    if definition.options and value not in definition.option_values:
        raise _invalid(
            definition,
            _("%(name)s must be one of: %(options)s.")
            % {"name": definition.display_name, "options": ", ".join(label for label, _v in definition.options)},
        )
    return value


def _regex_matches(pattern: str, value: str) -> bool:
    try:
        return re.fullmatch(pattern, value) is not None
    except re.error:  # the definition service refuses bad patterns; an old one matches nothing
        return False


def _number(definition: AttributeDefinition, value: Any, *, integer: bool) -> Decimal:
    if integer:
        message = _("%(name)s must be a whole number.") % {"name": definition.display_name}
    else:
        message = _("%(name)s must be a number.") % {"name": definition.display_name}
    if isinstance(value, bool):
        raise _invalid(definition, message)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _invalid(definition, message)
        number = Decimal(repr(value))
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, str) and re.fullmatch(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?\s*", value):
        try:
            number = Decimal(value.strip())
        except InvalidOperation as exc:
            raise _invalid(definition, message) from exc
    else:
        raise _invalid(definition, message)
    if integer and number != number.to_integral_value():
        raise _invalid(definition, message)
    if abs(number) >= Decimal(10) ** 20:
        raise _invalid(definition, _("%(name)s is too large.") % {"name": definition.display_name})
    if definition.min_value is not None and number < definition.min_value:
        raise _invalid(
            definition,
            _("%(name)s must be at least %(n)s.")
            % {"name": definition.display_name, "n": _plain(definition.min_value)},
        )
    if definition.max_value is not None and number > definition.max_value:
        raise _invalid(
            definition,
            _("%(name)s must be at most %(n)s.") % {"name": definition.display_name, "n": _plain(definition.max_value)},
        )
    return number


def _plain(number: Decimal) -> str:
    """``12.5`` for ``Decimal("12.5000000000")``; ``3`` for ``Decimal("3.00")``."""
    text = format(number.normalize(), "f")
    return text


def _boolean(definition: AttributeDefinition, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise _invalid(definition, _("%(name)s must be true or false.") % {"name": definition.display_name})


def _date_time(definition: AttributeDefinition, value: Any) -> str:
    message = _("%(name)s must be a date and time such as 2024-05-31T14:30:00Z.") % {"name": definition.display_name}
    if not isinstance(value, str) or len(value) > 64:
        raise _invalid(definition, message)
    try:
        parsed = datetime.datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError as exc:
        raise _invalid(definition, message) from exc
    if parsed.tzinfo is None:
        raise _invalid(definition, message)
    parsed = parsed.astimezone(datetime.UTC)
    timespec = "microseconds" if parsed.microsecond else "seconds"
    return parsed.isoformat(timespec=timespec).replace("+00:00", "Z")


def normalize_value(definition: AttributeDefinition, value: Any) -> Any:
    """One value (not a list) of ``definition``'s type, normalised; raises ``InvalidInput``."""
    data_type = definition.data_type
    if data_type == DataType.INTEGER:
        return int(_number(definition, value, integer=True))
    if data_type == DataType.DECIMAL:
        return _plain(_number(definition, value, integer=False))
    if data_type == DataType.BOOLEAN:
        return _boolean(definition, value)
    if data_type == DataType.DATE_TIME:
        return _date_time(definition, value)
    return _text(definition, value)


def _normalize(definition: AttributeDefinition, value: Any) -> Any:
    """The whole value: a list for a multi-valued attribute; None when empty."""
    if isinstance(value, str) and value.strip() == "" and definition.data_type != DataType.STRING:
        return None
    if definition.multi_valued:
        items = value if isinstance(value, list) else [value]
        if len(items) > MAX_VALUES:
            raise _invalid(
                definition,
                _("%(name)s takes at most %(n)d values.") % {"name": definition.display_name, "n": MAX_VALUES},
            )
        normalised: list[Any] = []
        for item in items:
            if _is_empty(item):
                continue
            one = normalize_value(definition, item)
            if one != "" and one not in normalised:
                normalised.append(one)
        return normalised or None
    if isinstance(value, (list, dict)):
        raise _invalid(definition, _("%(name)s takes a single value.") % {"name": definition.display_name})
    one = normalize_value(definition, value)
    return None if one == "" else one


def _flatten_objects(
    values: dict[str, Any], by_key: dict[str, AttributeDefinition], by_uri: dict[str, AttributeDefinition]
) -> dict[str, Any]:
    """An object attribute's value ``{sub storage key: value}`` is stored as its sub-attributes."""
    flat: dict[str, Any] = {}
    for key, value in values.items():
        definition = by_key.get(key)
        if definition is None or definition.data_type != DataType.COMPLEX:
            flat[key] = value
            continue
        if _is_empty(value):
            continue
        subs = {by_uri[uri].storage: by_uri[uri] for uri in definition.sub_attributes if uri in by_uri}
        if not isinstance(value, dict) or not set(value) <= set(subs):
            raise _invalid(
                definition,
                _("%(name)s must be an object with these fields: %(fields)s.")
                % {"name": definition.display_name, "fields": ", ".join(sorted(subs))},
            )
        flat.update(value)
    return flat


def _check_unique(organization: Any, definition: AttributeDefinition, value: Any, user: Any) -> None:
    """Unique within the user's own organization (another tenant or sub-organization may repeat it)."""
    from apps.users.models import User

    organization_id = user.organization_id if user is not None else organization.pk
    others = (
        User.objects.filter(organization_id=organization_id)
        .alias(_attribute=KeyTransform(definition.storage, "attributes"))
        .filter(_attribute=value)
    )
    if user is not None:
        others = others.exclude(pk=user.pk)
    if others.exists():
        raise AttributeValueConflict(
            CODE_NOT_UNIQUE,
            _("Another user already has this %(name)s.") % {"name": definition.display_name},
            field=definition.storage,
        )


def validate_user_attributes(
    organization: Any,
    values: dict[str, Any],
    *,
    user: Any = None,
    partial: bool = True,
    system: bool = False,
) -> dict[str, Any]:
    """Check and normalise ``values`` (``User.attributes`` keys) against the definitions
    of ``organization``; returns the normalised values, ``None`` meaning "remove".

    * ``partial=False``: ``values`` is the user's whole attribute set, so every
      required attribute must have a value.
    * ``user``: the user being changed (None on create). A read-only attribute may
      keep its current value; changing it needs ``system=True``. Uniqueness is
      checked among the other users of ``organization``.
    * Keys without a definition are kept as given (free-form, checked for
      storability by the caller)."""
    definitions = [d for d in attribute_definitions(organization=organization) if d.in_attributes]
    by_key = {d.storage: d for d in definitions}
    by_uri = {d.claim_uri: d for d in definitions}
    current = user.attributes if user is not None and isinstance(user.attributes, dict) else {}
    flat = _flatten_objects(values, by_key, by_uri)
    out: dict[str, Any] = {}
    for key, value in flat.items():
        definition = by_key.get(key)
        if definition is None:
            out[key] = value
            continue
        normalised = None if _is_empty(value) else _normalize(definition, value)
        if definition.read_only and not system and normalised != current.get(key):
            raise InvalidInput(
                CODE_READ_ONLY, _("%(name)s is read-only.") % {"name": definition.display_name}, field=key
            )
        if normalised is None and definition.required:
            raise InvalidInput(CODE_REQUIRED, _("%(name)s is required.") % {"name": definition.display_name}, field=key)
        if normalised is not None and definition.unique:
            _check_unique(organization, definition, normalised, user)
        out[key] = normalised
    if not partial:
        for definition in definitions:
            if (
                definition.required
                and definition.data_type != DataType.COMPLEX
                and _is_empty(out.get(definition.storage))
            ):
                raise InvalidInput(
                    CODE_REQUIRED,
                    _("%(name)s is required.") % {"name": definition.display_name},
                    field=definition.storage,
                )
    return out
