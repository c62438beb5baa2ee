"""Writes to local claims (attribute definitions), with WSO2's ``CMT-`` rules.

* ``claimURI`` is ``http://wso2.org/claims/<name>`` and never changes.
* Built-in (system) claims keep their data type (CMT-60013) and multi-valued
  setting (CMT-60012) and cannot be deleted.
* Booleans are never multi-valued (CMT-60018); options (canonical values) are
  for text only (CMT-60019); an object needs sub-attributes (CMT-60014) that are
  not objects or sub-attributes of another object themselves (CMT-60016); the
  input format must fit the data type (CMT-60017).
* A new attribute gets a mapping in the custom SCIM schema
  (``urn:scim:schemas:extension:custom:User:<name>``) unless told otherwise.
* Changing the data type (or multi-valued) of an attribute that users already
  have values for re-validates every stored value under the new definition:
  all are converted (``"42"`` -> ``42``) or the change is refused (CMT-60020).
* A claim still mapped by another dialect cannot be deleted (CMT-50031)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from apps.attributes.models import (
    COLUMN_STORAGE,
    DERIVED_STORAGE,
    LOCAL_CLAIM_PREFIX,
    SCIM_CUSTOM_DIALECT_URI,
    ClaimDialect,
    DataType,
    ExternalClaim,
    LocalClaim,
)
from apps.attributes.selectors import definition_of, definitions_owner_id
from apps.attributes.services.common import clean_label, definitions_changed, require_root
from apps.attributes.types import DATA_TYPE_ALIASES, allowed_input_formats
from apps.core.audit import audit_record
from apps.core.errors import Conflict, DomainError, InvalidInput
from apps.core.events import emit

_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9._-]{0,99}$")
MAX_OPTIONS = 200

# Fields a caller may set, with their defaults for a new claim.
CLAIM_FIELDS: dict[str, Any] = {
    "display_name": "",
    "description": "",
    "data_type": DataType.STRING,
    "multi_valued": False,
    "required": False,
    "read_only": False,
    "unique": False,
    "supported_by_default": False,
    "regex": "",
    "min_length": None,
    "max_length": None,
    "min_value": None,
    "max_value": None,
    "display_order": 0,
    "input_format": "",
    "canonical_values": [],
    "sub_attributes": [],
}


def _bad(message: str, *, field: str | None = None, code: str = "CMT-50037") -> InvalidInput:
    return InvalidInput(code, message, field=field)


def _clean_name(claim_uri: Any) -> str:
    if not isinstance(claim_uri, str) or not claim_uri.strip():
        raise _bad(_("Claim URI is required."), field="claimURI", code="CMT-50029")
    claim_uri = claim_uri.strip()
    name = claim_uri.removeprefix(LOCAL_CLAIM_PREFIX)
    if not claim_uri.startswith(LOCAL_CLAIM_PREFIX) or not _NAME_RE.match(name) or "__" in name:
        raise _bad(
            _("Claim URI must be http://wso2.org/claims/ followed by a name of letters, digits, '.', '_' or '-'."),
            field="claimURI",
        )
    return claim_uri


def _clean_storage(value: Any, *, default: str) -> str:
    storage = default if value in (None, "") else value
    if not isinstance(storage, str) or not _NAME_RE.match(storage) or "__" in storage:
        raise _bad(_("The mapped attribute must be a name of letters, digits, '.', '_' or '-'."), field="storage")
    if storage in COLUMN_STORAGE or storage in DERIVED_STORAGE:
        raise _bad(_("The mapped attribute “%(s)s” is reserved.") % {"s": storage}, field="storage")
    return storage


def _bool(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise _bad(_("%(f)s must be true or false.") % {"f": field}, field=field)
    return value


def _optional_int(value: Any, field: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1_000_000:
        raise _bad(_("%(f)s must be a whole number from 0 to 1000000.") % {"f": field}, field=field)
    return value


def _optional_decimal(value: Any, field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise _bad(_("%(f)s must be a number.") % {"f": field}, field=field)
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise _bad(_("%(f)s must be a number.") % {"f": field}, field=field) from exc
    if not number.is_finite() or abs(number) >= Decimal(10) ** 19:
        raise _bad(_("%(f)s must be a number.") % {"f": field}, field=field)
    return number


def _clean_options(value: Any) -> list[dict[str, str]]:
    if value in (None, ""):
        return []
    if not isinstance(value, list) or len(value) > MAX_OPTIONS:
        raise _bad(
            _("Options must be a list of at most %(n)d label/value pairs.") % {"n": MAX_OPTIONS}, field="options"
        )
    options: list[dict[str, str]] = []
    for item in value:
        if not isinstance(item, dict) or set(item) - {"label", "value"}:
            raise _bad(_("Each option must be a {label, value} pair."), field="options")
        option_value = clean_label(
            item.get("value"), field="options", label=_("Option value"), code="CMT-50037", max_length=255, required=True
        )
        label = clean_label(
            item.get("label"),
            field="options",
            label=_("Option label"),
            code="CMT-50037",
            max_length=255,
            required=False,
        )
        if any(o["value"] == option_value for o in options):
            raise _bad(_("Option values must be unique: “%(v)s” repeats.") % {"v": option_value}, field="options")
        options.append({"label": label or option_value, "value": option_value})
    return options


def _clean_fields(fields: dict[str, Any], *, claim: LocalClaim | None, organization: Any) -> dict[str, Any]:
    """Every field checked alone and together; ``claim`` is the current row on update."""
    data = dict(fields)
    data["display_name"] = clean_label(
        data["display_name"],
        field="displayName",
        label=_("Display name"),
        code="CMT-60003",
        max_length=255,
        required=True,
    )
    data["description"] = clean_label(
        data["description"],
        field="description",
        label=_("Description"),
        code="CMT-50037",
        max_length=1024,
        required=False,
    )
    data_type = DATA_TYPE_ALIASES.get(data["data_type"], data["data_type"])
    if data_type not in DataType.values:
        raise _bad(_("Data type must be one of: %(t)s.") % {"t": ", ".join(DataType.values)}, field="dataType")
    data["data_type"] = data_type
    for name in ("multi_valued", "required", "read_only", "unique", "supported_by_default"):
        data[name] = _bool(data[name], name)
    if isinstance(data["display_order"], bool) or not isinstance(data["display_order"], int):
        raise _bad(_("Display order must be a whole number."), field="displayOrder")
    if claim is not None and claim.system:
        if data_type != claim.data_type:
            raise _bad(_("Cannot update the data type of system attributes."), field="dataType", code="CMT-60013")
        if data["multi_valued"] != claim.multi_valued:
            raise _bad(
                _("Cannot update the multi-valued state of system attributes."), field="multiValued", code="CMT-60012"
            )
    if data_type == DataType.BOOLEAN and data["multi_valued"]:
        raise _bad(_("Boolean attributes cannot be multi-valued."), field="multiValued", code="CMT-60018")
    data["canonical_values"] = _clean_options(data["canonical_values"])
    if data["canonical_values"] and data_type != DataType.STRING:
        raise _bad(
            _("Canonical values are only supported for string data type."), field="canonicalValues", code="CMT-60019"
        )
    _clean_rules(data)
    data["sub_attributes"] = _clean_sub_attributes(data, claim=claim, organization=organization)
    allowed = allowed_input_formats(
        data_type, multi_valued=data["multi_valued"], has_options=bool(data["canonical_values"])
    )
    input_format = data["input_format"] or ""
    if input_format and input_format not in allowed:
        raise _bad(
            _("The provided input type doesn't match with the configured attribute meta data."),
            field="inputFormat",
            code="CMT-60017",
        )
    data["input_format"] = input_format or (allowed[0] if allowed else "")
    return data


def _clean_rules(data: dict[str, Any]) -> None:
    data_type = data["data_type"]
    regex = data["regex"] or ""
    if not isinstance(regex, str) or len(regex) > 255:
        raise _bad(_("The regular expression must be at most 255 characters."), field="regEx")
    if regex:
        if data_type != DataType.STRING:
            raise _bad(_("A regular expression applies to text attributes only."), field="regEx")
        try:
            re.compile(regex)
        except re.error as exc:
            raise _bad(_("The regular expression is not valid: %(e)s.") % {"e": exc}, field="regEx") from exc
    data["regex"] = regex
    data["min_length"] = _optional_int(data["min_length"], "minLength")
    data["max_length"] = _optional_int(data["max_length"], "maxLength")
    data["min_value"] = _optional_decimal(data["min_value"], "minValue")
    data["max_value"] = _optional_decimal(data["max_value"], "maxValue")
    if (data["min_length"] is not None or data["max_length"] is not None) and data_type != DataType.STRING:
        raise _bad(_("Minimum and maximum length apply to text attributes only."), field="minLength")
    if (data["min_value"] is not None or data["max_value"] is not None) and data_type not in (
        DataType.INTEGER,
        DataType.DECIMAL,
    ):
        raise _bad(_("Minimum and maximum value apply to number attributes only."), field="minValue")
    for low, high, field in (("min_length", "max_length", "maxLength"), ("min_value", "max_value", "maxValue")):
        if data[low] is not None and data[high] is not None and data[low] > data[high]:
            raise _bad(_("The maximum must not be less than the minimum."), field=field)
    if data["unique"] and data_type in (DataType.COMPLEX, DataType.BOOLEAN):
        raise _bad(_("Only text, number and date-time attributes can be unique."), field="uniquenessScope")


def _clean_sub_attributes(data: dict[str, Any], *, claim: LocalClaim | None, organization: Any) -> list[str]:
    subs = data["sub_attributes"] or []
    if data["data_type"] != DataType.COMPLEX:
        if subs:
            raise _bad(_("Only object attributes have sub-attributes."), field="subAttributes")
        return []
    if data["multi_valued"]:
        raise _bad(_("Object attributes cannot be multi-valued."), field="multiValued")
    if not isinstance(subs, list) or not subs:
        raise _bad(
            _("Sub attributes cannot be empty when the data type is complex."), field="subAttributes", code="CMT-60014"
        )
    if len(subs) > 50 or not all(isinstance(uri, str) for uri in subs):
        raise _bad(_("Sub attributes must be a list of at most 50 claim URIs."), field="subAttributes")
    subs = list(dict.fromkeys(subs))
    owner = definitions_owner_id(organization)
    rows = {c.claim_uri: c for c in LocalClaim.objects.filter(organization_id=owner, claim_uri__in=subs)}
    own_uri = claim.claim_uri if claim is not None else data.get("claim_uri")
    for uri in subs:
        sub = rows.get(uri)
        if sub is None or uri == own_uri:
            raise _bad(
                _("Sub-attribute %(u)s is not an attribute of this organization.") % {"u": uri}, field="subAttributes"
            )
        if sub.data_type == DataType.COMPLEX:
            raise _bad(_("A Sub Attribute cannot have sub attributes."), field="subAttributes", code="CMT-60016")
    if own_uri:
        parents = LocalClaim.objects.filter(organization_id=owner, data_type=DataType.COMPLEX).exclude(
            claim_uri=own_uri
        )
        for parent in parents:
            if own_uri in (parent.sub_attributes or []):
                raise _bad(_("A Sub Attribute cannot have sub attributes."), field="subAttributes", code="CMT-60016")
    return subs


def _record(actor: Any, organization: Any, action: str, claim: LocalClaim, **data: Any) -> None:
    audit_record(
        actor=actor,
        action=f"attribute.{action}",
        target_type="attribute",
        target_id=claim.claim_uri,
        organization=organization,
        data=data or None,
    )
    emit(f"attribute.{action}", organization=organization, payload={"claimURI": claim.claim_uri, **data})
    definitions_changed()


def _custom_dialect(organization: Any) -> ClaimDialect:
    dialect, _created = ClaimDialect.objects.get_or_create(
        organization_id=definitions_owner_id(organization),
        dialect_uri=SCIM_CUSTOM_DIALECT_URI,
        defaults={"kind": ClaimDialect.Kind.SCIM, "system": True},
    )
    return dialect


def _map_sub_attributes_in_custom_schema(claim: LocalClaim) -> None:
    """In the custom SCIM schema an object's sub-attributes are ``<object>.<sub>`` (CMT-60015's shape)."""
    dialect = _custom_dialect(claim.organization)
    parent = ExternalClaim.objects.filter(dialect=dialect, local_claim=claim).first()
    if parent is None:
        return
    for sub in LocalClaim.objects.filter(organization_id=claim.organization_id, claim_uri__in=claim.sub_attributes):
        wanted = f"{parent.claim_uri}.{sub.name.rsplit('.', 1)[-1]}"
        mapped = ExternalClaim.objects.filter(dialect=dialect, local_claim=sub).first()
        if mapped is not None and mapped.claim_uri != wanted:
            mapped.claim_uri = wanted
            mapped.save(update_fields=["claim_uri"])


@transaction.atomic
def local_claim_create(
    *, actor: Any, organization: Any, claim_uri: Any, storage: Any = None, scim_mapping: bool = True, **fields: Any
) -> LocalClaim:
    """Define a custom attribute of the root organization ``organization``."""
    require_root(organization)
    unknown = set(fields) - set(CLAIM_FIELDS)
    if unknown:
        raise _bad(_("Unknown field: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    claim_uri = _clean_name(claim_uri)
    if LocalClaim.objects.filter(organization_id=organization.pk, claim_uri=claim_uri).exists():
        raise Conflict(
            "CMT-50039", _("Local claim URI already exists. Local claim URI must be unique."), field="claimURI"
        )
    data = _clean_fields({**CLAIM_FIELDS, **fields, "claim_uri": claim_uri}, claim=None, organization=organization)
    data.pop("claim_uri")
    storage = _clean_storage(storage, default=claim_uri.removeprefix(LOCAL_CLAIM_PREFIX))
    if LocalClaim.objects.filter(organization_id=organization.pk, storage=storage).exists():
        raise Conflict(
            "CMT-50039",
            _("Another attribute already uses the mapped attribute “%(s)s”.") % {"s": storage},
            field="storage",
        )
    claim = LocalClaim(organization=organization, claim_uri=claim_uri, storage=storage, **data)
    try:
        with transaction.atomic():
            claim.save(force_insert=True)
    except IntegrityError as exc:
        raise Conflict("CMT-50039", _("Local claim URI already exists. Local claim URI must be unique.")) from exc
    if scim_mapping:
        ExternalClaim.objects.create(
            dialect=_custom_dialect(organization),
            claim_uri=f"{SCIM_CUSTOM_DIALECT_URI}:{claim.name}",
            local_claim=claim,
        )
        if claim.data_type == DataType.COMPLEX:
            _map_sub_attributes_in_custom_schema(claim)
    _record(actor, organization, "created", claim)
    return claim


def _revalidate_stored_values(claim: LocalClaim, data: dict[str, Any]) -> None:
    """Convert every stored value to a changed data type / multi-valued setting, or refuse."""
    from apps.attributes.services.values import _normalize
    from apps.users.models import User

    if data["data_type"] == claim.data_type and data["multi_valued"] == claim.multi_valued:
        return
    candidate = LocalClaim(**{**{f: getattr(claim, f) for f in CLAIM_FIELDS}, **data, "storage": claim.storage})
    definition = definition_of(candidate)
    users = User.objects.filter(organization__root_id=claim.organization_id, attributes__has_key=claim.storage)
    changed: list[Any] = []
    failures = 0
    for user in users.select_for_update():
        value = user.attributes.get(claim.storage)
        if isinstance(value, list) and not definition.multi_valued:
            value = value[0] if len(value) == 1 else value
        if definition.data_type == DataType.STRING:
            value = _as_text(value)
        try:
            converted = _normalize(definition, value)
        except DomainError:
            failures += 1
            continue
        user.attributes = {**user.attributes, claim.storage: converted}
        changed.append(user)
    if failures:
        raise _bad(
            ngettext(
                "%(n)d user has a value that cannot be converted to the new data type; correct it first.",
                "%(n)d users have values that cannot be converted to the new data type; correct them first.",
                failures,
            )
            % {"n": failures},
            field="dataType",
            code="CMT-60020",
        )
    User.objects.bulk_update(changed, ["attributes"])


def _as_text(value: Any) -> Any:
    """Numbers and booleans become text when an attribute turns into a text attribute."""
    if isinstance(value, list):
        return [_as_text(item) for item in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return value


@transaction.atomic
def local_claim_update(
    *, actor: Any, organization: Any, claim: LocalClaim, claim_uri: Any = None, storage: Any = None, **fields: Any
) -> LocalClaim:
    """Replace the settings of ``claim`` (WSO2's PUT: fields left out take their defaults)."""
    require_root(organization)
    unknown = set(fields) - set(CLAIM_FIELDS)
    if unknown:
        raise _bad(_("Unknown field: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    claim = LocalClaim.objects.select_for_update().get(pk=claim.pk)
    if claim_uri is not None and claim_uri != claim.claim_uri:
        raise _bad(
            _("Existing local claim uri %(u)s cannot be changed.") % {"u": claim.claim_uri},
            code="CMT-50021",
            field="claimURI",
        )
    if storage not in (None, "", claim.storage):
        raise _bad(_("The mapped attribute of an attribute cannot be changed."), field="storage")
    data = _clean_fields({**CLAIM_FIELDS, **fields}, claim=claim, organization=organization)
    _revalidate_stored_values(claim, data)
    changed = sorted(name for name, value in data.items() if getattr(claim, name) != value)
    for name, value in data.items():
        setattr(claim, name, value)
    claim.save()
    if claim.data_type == DataType.COMPLEX:
        _map_sub_attributes_in_custom_schema(claim)
    if changed:
        _record(actor, organization, "updated", claim, changed=changed)
    return claim


@transaction.atomic
def local_claim_delete(*, actor: Any, organization: Any, claim: LocalClaim) -> None:
    """Delete a custom attribute. Its custom-schema mapping goes with it; other mappings block it.
    Values users hold stay in ``User.attributes`` as undeclared keys."""
    require_root(organization)
    if claim.system:
        raise _bad(_("System attributes cannot be deleted."))
    mappings = ExternalClaim.objects.filter(local_claim=claim).exclude(dialect__dialect_uri=SCIM_CUSTOM_DIALECT_URI)
    if mappings.exists():
        dialects = sorted(set(mappings.values_list("dialect__dialect_uri", flat=True)))
        raise InvalidInput(
            "CMT-50031",
            _("Unable to remove local claim while having associations with external claims."),
            _("Delete its mappings in these dialects first: %(d)s.") % {"d": ", ".join(dialects)},
        )
    parents = [
        parent.display_name
        for parent in LocalClaim.objects.filter(organization_id=claim.organization_id, data_type=DataType.COMPLEX)
        if claim.claim_uri in (parent.sub_attributes or [])
    ]
    if parents:
        raise _bad(_("The attribute is a sub-attribute of %(p)s; remove it there first.") % {"p": ", ".join(parents)})
    ExternalClaim.objects.filter(local_claim=claim).delete()
    claim.delete()
    _record(actor, organization, "deleted", claim)
