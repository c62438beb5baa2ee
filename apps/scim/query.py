"""Filter AST → Django ``Q`` (one SQL WHERE clause; nothing is evaluated in Python over rows).

A resource type describes its attributes with a *resolver*: a function from an attribute path to

* a ``Field`` (a column, a key of the ``attributes`` JSON column, or a computed predicate),
* a ``Complex`` (single-valued complex attribute: sub-attribute → Field),
* ``Slots`` (a multi-valued attribute stored in a fixed set of places, e.g. emails: the email
  column plus one JSON key per type; a value filter is evaluated per slot and OR-ed), or
* a ``Related`` (a multi-valued attribute that is a relation: groups, members, users, permissions;
  the sub-filter becomes a subquery on the relation's table).

Comparisons follow RFC 7644: ``caseExact=false`` strings compare case-insensitively (through
``UPPER(...)``, as Django's ``iexact`` does, so one expression index serves both), ``pr`` means
present and non-empty, ``gt``/``ge``/``lt``/``le`` are lexical for strings and chronological for
dateTime. PostgreSQL indexes backing these lookups are created by the ``users`` migrations.
"""

from __future__ import annotations

import decimal
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import DecimalField, F, FloatField, Q, Value
from django.db.models.expressions import RawSQL
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast, Upper
from django.db.models.lookups import (
    Contains,
    EndsWith,
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    LessThan,
    LessThanOrEqual,
    StartsWith,
)
from django.utils.dateparse import parse_datetime

from apps.scim.errors import invalid_filter
from apps.scim.filters import AttrPath, Compare, Logical, Node, Not, ValueFilter

MATCH_NOTHING = Q(pk__in=[])
MATCH_ALL = ~Q(pk__in=[])

_ORDERING = {"gt": GreaterThan, "ge": GreaterThanOrEqual, "lt": LessThan, "le": LessThanOrEqual}
_DJANGO_LOOKUP = {"gt": "gt", "ge": "gte", "lt": "lt", "le": "lte"}


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise invalid_filter(message)


@dataclass(frozen=True)
class Field:
    """A comparable scalar: ``column`` (a model field path) or ``json_key`` (in ``json_column``)."""

    kind: str = "string"  # string | boolean | dateTime | integer | decimal | uuid
    column: str | None = None
    json_key: tuple[str, ...] = ()
    json_column: str = "attributes"
    case_exact: bool = False
    multi_valued: bool = False  # a JSON list of scalars
    predicate: Callable[[str, Any], Q] | None = None  # a computed attribute
    constant: Any = None  # slots: a sub-attribute whose value is fixed for that slot (e.g. type)
    is_constant: bool = False

    # --- the SQL operand -----------------------------------------------------

    def _lookup_path(self) -> str:
        if self.column:
            return self.column
        return "__".join((self.json_column, *self.json_key))

    def _expression(self) -> Any:
        if self.column:
            return F(self.column)
        expression: Any = F(self.json_column)
        for key in self.json_key[:-1]:
            expression = KeyTransform(key, expression)
        return KeyTextTransform(self.json_key[-1], expression)

    # --- comparisons ---------------------------------------------------------

    def compare(self, op: str, value: Any) -> Q:
        if self.is_constant:
            return _constant_compare(self.constant, op, value)
        if self.predicate is not None:
            return self.predicate(op, value)
        if op == "pr":
            return self._present()
        if op == "ne":
            return ~self.compare("eq", value)
        if value is None:
            _expect(op == "eq", f'"{op}" cannot compare with null.')
            return ~self._present()
        if self.multi_valued:
            return _json_list_compare(self, op, self._coerce(op, value))
        value = self._coerce(op, value)
        if self.kind == "string":
            return self._string_compare(op, value)
        _expect(op in ("eq", "gt", "ge", "lt", "le"), f'"{op}" does not apply to {self.kind} attributes.')
        if self.kind in ("integer", "decimal") and not self.column:
            if op == "eq":
                return self._json_equals(value)
            cast = Cast(self._expression(), DecimalField(max_digits=40, decimal_places=12))
            if connection.vendor == "sqlite":
                cast = Cast(self._expression(), FloatField())
                value = float(value)
            return Q(_ORDERING[op](cast, value))
        if self.kind == "boolean":
            _expect(op == "eq", f'"{op}" does not apply to boolean attributes.')
            return self._json_equals(value) if not self.column else Q(**{self.column: value})
        if self.kind == "dateTime" and not self.column:
            # Stored as normalised ISO 8601 UTC text: text order is time order.
            text = value.isoformat().replace("+00:00", "Z")
            if op == "eq":
                return Q(**{self._lookup_path(): text})
            return Q(_ORDERING[op](self._expression(), Value(text)))
        if op == "eq":
            return Q(**{self.column: value})
        return Q(**{f"{self.column}__{_DJANGO_LOOKUP[op]}": value})

    def _present(self) -> Q:
        path = self._lookup_path()
        if self.column:
            if self.kind == "string":
                return Q(**{f"{path}__isnull": False}) & ~Q(**{path: ""})
            return Q(**{f"{path}__isnull": False})
        has_key = Q(**{f"{'__'.join((self.json_column, *self.json_key[:-1]))}__has_key": self.json_key[-1]})
        present = has_key & ~Q(**{f"{path}__isnull": True})
        if self.kind == "string" and not self.multi_valued:
            present &= ~Q(**{path: ""})
        if self.multi_valued:
            present &= ~Q(**{path: []})
        return present

    def _json_equals(self, value: Any) -> Q:
        if connection.vendor == "postgresql" and len(self.json_key) == 1:
            # jsonb containment: served by the GIN (jsonb_path_ops) index on the attributes column.
            return Q(**{f"{self.json_column}__contains": {self.json_key[0]: value}})
        return Q(**{self._lookup_path(): value})

    def _string_compare(self, op: str, value: str) -> Q:
        path = self._lookup_path()
        if op == "eq":
            if self.case_exact:
                return self._json_equals(value) if not self.column else Q(**{path: value})
            return Q(**{f"{path}__iexact": value})
        if op in ("co", "sw", "ew"):
            if self.case_exact and not self.column:
                # On a JSON key, ``__contains`` would be JSON containment: compare the key's text instead.
                return Q({"co": Contains, "sw": StartsWith, "ew": EndsWith}[op](self._expression(), value))
            lookup = {"co": "contains", "sw": "startswith", "ew": "endswith"}[op]
            return Q(**{f"{path}__{'' if self.case_exact else 'i'}{lookup}": value})
        expression = self._expression()
        if self.case_exact:
            return Q(_ORDERING[op](expression, Value(value)))
        return Q(_ORDERING[op](Upper(expression), Upper(Value(value))))

    def _coerce(self, op: str, value: Any) -> Any:
        kind = self.kind
        if kind in ("string", "uuid"):
            _expect(isinstance(value, str), f"{op} needs a string value here.")
            if kind == "uuid":
                _expect(op == "eq", f'"{op}" does not apply to ids.')
            return value
        if kind == "boolean":
            _expect(isinstance(value, bool), "A boolean attribute compares with true or false.")
            return value
        if kind in ("integer", "decimal"):
            _expect(isinstance(value, int | float) and not isinstance(value, bool), "A number is expected.")
            if kind == "integer" and isinstance(value, float) and value.is_integer():
                return int(value)
            return decimal.Decimal(str(value)) if kind == "decimal" and op != "eq" else value
        if kind == "dateTime":
            parsed = parse_datetime(value) if isinstance(value, str) else None
            _expect(parsed is not None and parsed.tzinfo is not None, "A dateTime needs an ISO 8601 value with zone.")
            return parsed
        raise invalid_filter(f"Cannot compare {kind} attributes.")


def _constant_compare(constant: Any, op: str, value: Any) -> Q:
    if op == "pr":
        return MATCH_ALL if constant not in (None, "") else MATCH_NOTHING
    if op == "ne":
        return ~_constant_compare(constant, "eq", value)
    left, right = constant, value
    if isinstance(left, str) and isinstance(right, str):
        left, right = left.lower(), right.lower()
    elif left is None:
        return MATCH_ALL if op == "eq" and right is None else MATCH_NOTHING
    result = {
        "eq": lambda: left == right,
        "co": lambda: isinstance(right, str) and right in left,
        "sw": lambda: isinstance(right, str) and left.startswith(right),
        "ew": lambda: isinstance(right, str) and left.endswith(right),
    }.get(op)
    if result is None:
        try:
            ok = {"gt": left > right, "ge": left >= right, "lt": left < right, "le": left <= right}[op]
        except TypeError:
            ok = False
        return MATCH_ALL if ok else MATCH_NOTHING
    return MATCH_ALL if result() else MATCH_NOTHING


def _json_list_compare(spec: Field, op: str, value: Any) -> Q:
    """A multi-valued extension attribute (a JSON list): does any element match?"""
    key = spec.json_key[0]
    if op == "eq" and connection.vendor == "postgresql":
        return Q(**{f"{spec.json_column}__contains": {key: [value]}})
    table = "users_user"
    if isinstance(value, str):
        pattern = {"eq": "{}", "co": "%{}%", "sw": "{}%", "ew": "%{}"}.get(op)
        _expect(pattern is not None, f'"{op}" does not apply here.')
        escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = pattern.format(escaped)
        if connection.vendor == "postgresql":
            compare = "e = %s" if op == "eq" and spec.case_exact else "upper(e) LIKE upper(%s) ESCAPE '\\'"
            sql = (
                f"EXISTS (SELECT 1 FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof({table}.attributes -> %s) "  # noqa: S608
                f"= 'array' THEN {table}.attributes -> %s ELSE '[]'::jsonb END) AS x(e) WHERE {compare})"
            )
            params = [key, key, value if op == "eq" and spec.case_exact else like]
        else:
            compare = "j.value = %s" if op == "eq" and spec.case_exact else "j.value LIKE %s ESCAPE '\\'"
            sql = f"EXISTS (SELECT 1 FROM json_each({table}.attributes, %s) AS j WHERE j.type = 'text' AND {compare})"  # noqa: S608
            params = [f'$."{key}"', value if op == "eq" and spec.case_exact else like]
        return Q(Exact(RawSQL(sql, params, output_field=_bool_field()), True))  # noqa: S611  (values are bound)
    _expect(op == "eq", f'"{op}" does not apply to this multi-valued attribute.')
    if connection.vendor == "postgresql":
        return Q(**{f"{spec.json_column}__contains": {key: [value]}})
    sql = f"EXISTS (SELECT 1 FROM json_each({table}.attributes, %s) AS j WHERE j.value = %s)"  # noqa: S608
    return Q(Exact(RawSQL(sql, [f'$."{key}"', value], output_field=_bool_field()), True))  # noqa: S611  (values are bound)


def _bool_field() -> Any:
    from django.db.models import BooleanField

    return BooleanField()


@dataclass(frozen=True)
class Complex:
    sub_attributes: dict[str, Field]
    default: str | None = None  # the sub-attribute a bare ``attr op value`` means


@dataclass(frozen=True)
class Slots:
    """A multi-valued complex attribute kept in a fixed set of places."""

    slots: tuple[dict[str, Field], ...]


@dataclass(frozen=True)
class Related:
    """A multi-valued attribute that is a relation; ``subquery(q)`` selects base rows having a match."""

    resolver: Callable[[AttrPath], Any]
    subquery: Callable[[Q], Q]
    default: str = "value"
    extra: dict[str, Any] = field(default_factory=dict)


Resolver = Callable[[AttrPath], Any]


def _sub_field(target: Complex | dict[str, Field], sub: str, path: AttrPath) -> Field:
    fields = target.sub_attributes if isinstance(target, Complex) else target
    lowered = sub.lower()
    for name, spec in fields.items():
        if name.lower() == lowered:
            return spec
    raise invalid_filter(f"Unknown attribute {path}.")


def to_q(node: Node, resolver: Resolver) -> Q:
    """Translate a parsed filter for the resource type described by ``resolver``."""
    if isinstance(node, Logical):
        left, right = to_q(node.left, resolver), to_q(node.right, resolver)
        return left & right if node.op == "and" else left | right
    if isinstance(node, Not):
        return ~to_q(node.expr, resolver)
    if isinstance(node, ValueFilter):
        target = resolver(node.path)
        if isinstance(target, Slots):
            result = MATCH_NOTHING
            for slot in target.slots:  # a slot holds a value only when its value is present
                result |= to_q(node.expr, _slot_resolver(slot)) & slot["value"].compare("pr", None)
            return result
        if isinstance(target, Related):
            return target.subquery(to_q(node.expr, target.resolver))
        if isinstance(target, Complex):
            return to_q(node.expr, _slot_resolver(target.sub_attributes))
        raise invalid_filter(f"{node.path} is not a complex attribute.")
    assert isinstance(node, Compare)
    base = AttrPath(node.path.attr, None, node.path.schema)
    target = resolver(base if node.path.sub else node.path)
    sub = node.path.sub
    if isinstance(target, Field):
        _expect(sub is None, f"{node.path.attr} has no sub-attributes.")
        return target.compare(node.op, node.value)
    if isinstance(target, Complex):
        name = sub or target.default
        _expect(name is not None, f"Name a sub-attribute of {node.path.attr}.")
        return _sub_field(target, name, node.path).compare(node.op, node.value)
    if isinstance(target, Slots):
        name = sub or "value"
        result = MATCH_NOTHING
        for slot in target.slots:
            result |= _sub_field(slot, name, node.path).compare(node.op, node.value) & slot["value"].compare("pr", None)
        return result
    if isinstance(target, Related):
        inner = Compare(AttrPath(sub or target.default), node.op, node.value)
        if node.op == "ne":
            return ~target.subquery(to_q(Compare(inner.path, "eq", node.value), target.resolver))
        return target.subquery(to_q(inner, target.resolver))
    raise invalid_filter(f"Unknown attribute {node.path}.")


def _slot_resolver(slot: dict[str, Field]) -> Resolver:
    def resolve(path: AttrPath) -> Field:
        _expect(path.schema is None and path.sub is None, f"Unknown attribute {path} in a value filter.")
        return _sub_field(slot, path.attr, path)

    return resolve


def uuid_field(column: str) -> Field:
    """An id column: ``eq`` with a value that is no UUID simply matches nothing."""

    def predicate(op: str, value: Any) -> Q:
        if op == "pr":
            return MATCH_ALL
        _expect(op in ("eq", "ne"), f'"{op}" does not apply to ids.')
        _expect(isinstance(value, str), "An id is a string.")
        try:
            q = Q(**{column: uuid.UUID(value)})
        except ValueError:
            q = MATCH_NOTHING
        return q if op == "eq" else ~q

    return Field(kind="uuid", predicate=predicate)


def constant(value: Any) -> Field:
    return Field(constant=value, is_constant=True)


def meta_fields(resource_type: str) -> Complex:
    """``meta`` of a resource stored with ``created`` / ``last_modified`` columns."""
    return Complex(
        {
            "created": Field(kind="dateTime", column="created"),
            "lastModified": Field(kind="dateTime", column="last_modified"),
            "resourceType": constant(resource_type),
        }
    )


def schema_resolver(schema: str, core: dict[str, Any]) -> Resolver:
    """Attribute paths of a resource with one schema: ``core`` maps lower-cased names to targets."""

    def resolve(path: AttrPath) -> Any:
        if path.schema is not None and path.schema.lower() != schema.lower():
            raise invalid_filter(f"Unknown schema {path.schema}.")
        target = core.get(path.attr.lower())
        if target is None:
            raise invalid_filter(f"Unknown or unfilterable attribute {path}.")
        return target

    return resolve


# sortBy of resources named by ``name`` (groups, roles).
NAMED_SORT_FIELDS = {"id": "id", "displayname": "name", "meta.created": "created", "meta.lastmodified": "last_modified"}
