"""PATCH (RFC 7644 §3.5.2): parse a PatchOp request and apply its operations to a resource document.

The document is the resource's SCIM representation (core attributes at the top, extension
attributes under their schema URN). Users are patched this way and the resulting document is
written back through the user services; groups and roles route their membership operations to
set-based services instead (see ``groups.py`` / ``roles.py``) and use ``parse_patch_request`` and
``element_matches`` from here.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from apps.scim.errors import ScimError, invalid_path, invalid_syntax, invalid_value, mutability, no_target
from apps.scim.filters import AttrPath, Compare, Logical, Node, Not, PatchPath, ValueFilter, parse_patch_path
from apps.scim.schema import PATCH_OP, Attr, Schema, match_schema_urn

MAX_OPERATIONS = 1000


@dataclass(frozen=True)
class PatchOperation:
    op: str  # add | replace | remove
    path: PatchPath | None
    value: Any
    raw_path: str | None = None


def parse_patch_request(body: Any) -> list[PatchOperation]:
    if not isinstance(body, dict):
        raise invalid_syntax("The request body must be a PatchOp JSON object.")
    schemas = body.get("schemas")
    if not isinstance(schemas, list) or PATCH_OP not in schemas:
        raise invalid_syntax(f'"schemas" must list {PATCH_OP}.')
    operations = body.get("Operations", body.get("operations"))
    if not isinstance(operations, list) or not operations:
        raise invalid_syntax('"Operations" must be a non-empty list.')
    if len(operations) > MAX_OPERATIONS:
        raise ScimError(400, f"A PATCH request may hold at most {MAX_OPERATIONS} operations.", "tooMany")
    out = []
    for item in operations:
        if not isinstance(item, dict):
            raise invalid_syntax("Each operation must be an object.")
        op = item.get("op")
        if not isinstance(op, str) or op.lower() not in ("add", "replace", "remove"):
            raise invalid_syntax('"op" must be add, replace or remove.')
        op = op.lower()
        raw_path = item.get("path")
        if raw_path is not None and not isinstance(raw_path, str):
            raise invalid_path('"path" must be a string.')
        path = parse_patch_path(raw_path) if raw_path else None
        if op == "remove" and path is None:
            raise no_target('A "remove" operation needs a "path".')
        if op != "remove" and "value" not in item:
            raise invalid_value(f'An "{op}" operation needs a "value".')
        if path is None and not isinstance(item.get("value"), dict):
            raise invalid_value(f'An "{op}" operation without "path" needs an object "value".')
        out.append(PatchOperation(op, path, item.get("value"), raw_path))
    return out


# --- value filters on in-memory values ------------------------------------------------


def _compare(actual: Any, op: str, expected: Any, *, case_exact: bool) -> bool:
    if op == "pr":
        return actual not in (None, "", [], {})
    if op == "ne":
        return not _compare(actual, "eq", expected, case_exact=case_exact)
    if actual is None:
        return op == "eq" and expected is None
    if isinstance(actual, str) and isinstance(expected, str) and not case_exact:
        actual, expected = actual.lower(), expected.lower()
    if op == "eq":
        return actual == expected
    if isinstance(actual, str) and isinstance(expected, str):
        if op == "co":
            return expected in actual
        if op == "sw":
            return actual.startswith(expected)
        if op == "ew":
            return actual.endswith(expected)
    try:
        return {"gt": actual > expected, "ge": actual >= expected, "lt": actual < expected, "le": actual <= expected}[
            op
        ]
    except (TypeError, KeyError):
        return False


def element_matches(node: Node, element: Any, attr: Attr | None = None) -> bool:
    """Whether one value of a multi-valued attribute satisfies a value filter."""
    if isinstance(node, Logical):
        left = element_matches(node.left, element, attr)
        right = element_matches(node.right, element, attr)
        return (left and right) if node.op == "and" else (left or right)
    if isinstance(node, Not):
        return not element_matches(node.expr, element, attr)
    if isinstance(node, ValueFilter):
        raise invalid_path("Value filters cannot be nested.")
    assert isinstance(node, Compare)
    if node.path.schema or node.path.sub:
        raise invalid_path(f"Unknown attribute {node.path} in a value filter.")
    name = node.path.attr
    if isinstance(element, dict):
        actual = next((v for k, v in element.items() if k.lower() == name.lower()), None)
    else:
        actual = element if name.lower() == "value" else None
    sub = attr.sub(name) if attr is not None else None
    return _compare(actual, node.op, node.value, case_exact=bool(sub and sub.case_exact))


# --- applying operations to a document ----------------------------------------------


class DocumentPatcher:
    """Applies operations to a copy of a resource document described by ``core`` + ``extensions``."""

    def __init__(self, doc: dict[str, Any], core: Schema, extensions: dict[str, Schema]) -> None:
        self.doc = copy.deepcopy(doc)
        self.core = core
        self.extensions = extensions

    # --- resolving where a path points -----------------------------------------

    def _container(self, path: AttrPath) -> tuple[dict[str, Any], Schema, str]:
        """The dict holding ``path.attr``, its schema, and the attribute's canonical name."""
        if path.schema is None or path.schema.lower() == self.core.id.lower():
            schema, holder = self.core, self.doc
        else:
            urn = match_schema_urn(path.schema, list(self.extensions))
            if urn is None:
                raise invalid_path(f"Unknown schema {path.schema}.")
            schema = self.extensions[urn]
            holder = self.doc.setdefault(urn, {})
        attr = schema.attr(path.attr)
        if attr is None:
            raise invalid_path(f"Unknown attribute {path}.")
        return holder, schema, attr.name

    def _whole_extension(self, raw_path: str | None) -> str | None:
        return match_schema_urn(raw_path, list(self.extensions)) if raw_path else None

    @staticmethod
    def _check_writable(attr: Attr, sub: Attr | None = None) -> None:
        for candidate in (attr, sub):
            if candidate is not None and candidate.mutability in ("readOnly", "immutable"):
                raise mutability(f"{candidate.name} cannot be modified.")

    # --- operations -------------------------------------------------------------

    def apply(self, operations: list[PatchOperation]) -> dict[str, Any]:
        for operation in operations:
            urn = self._whole_extension(operation.raw_path)
            if operation.path is None or urn is not None:
                if operation.op == "remove":
                    self.doc.pop(urn, None)
                    continue
                self._apply_object(operation.op, operation.value, urn)
            else:
                self._apply_path(operation.op, operation.path, operation.value)
        return self.doc

    def _apply_object(self, op: str, value: Any, urn: str | None) -> None:
        if not isinstance(value, dict):
            raise invalid_value("The value must be an object.")
        for key, item in value.items():
            if key == "schemas":
                continue
            ext = match_schema_urn(key, list(self.extensions)) if urn is None else None
            if ext is not None:
                if not isinstance(item, dict):
                    raise invalid_value(f"{key} must be an object.")
                for sub_key, sub_item in item.items():
                    self._apply_path(op, PatchPath(AttrPath(sub_key, None, ext)), sub_item)
                continue
            self._apply_path(op, PatchPath(AttrPath(key, None, urn)), item)

    def _apply_path(self, op: str, path: PatchPath, value: Any) -> None:
        holder, schema, name = self._container(path.path)
        attr = schema.attr(name)
        assert attr is not None
        sub_name = path.path.sub or path.sub
        sub = attr.sub(sub_name) if sub_name else None
        if sub_name and sub is None:
            raise invalid_path(f"Unknown attribute {name}.{sub_name}.")
        self._check_writable(attr, sub)
        if path.value_filter is not None:
            self._apply_filtered(op, holder, attr, path.value_filter, sub, value)
            return
        if sub is not None:
            if attr.multi_valued:
                raise invalid_path(f'Select values of {name} with a filter, e.g. {name}[type eq "work"].{sub.name}.')
            current = holder.get(name) if isinstance(holder.get(name), dict) else {}
            current = dict(current)
            if op == "remove":
                current.pop(sub.name, None)
            else:
                current[sub.name] = value
            holder[name] = current
            return
        if op == "remove":
            if attr.multi_valued and value is not None:
                holder[name] = self._without(holder.get(name) or [], value, attr)
            else:
                holder.pop(name, None)
            return
        if attr.multi_valued:
            values = value if isinstance(value, list) else [value]
            if op == "add":
                holder[name] = self._merged(holder.get(name) or [], values)
            else:
                holder[name] = values
            return
        if attr.type == "complex" and op == "add" and isinstance(value, dict) and isinstance(holder.get(name), dict):
            holder[name] = {**holder[name], **value}
            return
        holder[name] = value

    def _apply_filtered(self, op: str, holder: dict, attr: Attr, node: Node, sub: Attr | None, value: Any) -> None:
        if not attr.multi_valued:
            raise invalid_path(f"{attr.name} is not multi-valued.")
        values = list(holder.get(attr.name) or [])
        matched = [i for i, element in enumerate(values) if element_matches(node, element, attr)]
        if not matched:
            if op == "remove" or op == "replace":
                raise no_target(f"No value of {attr.name} matches the filter.")
            return
        for index in matched:
            element = dict(values[index]) if isinstance(values[index], dict) else {"value": values[index]}
            if op == "remove":
                if sub is None:
                    values[index] = None
                    continue
                element.pop(sub.name, None)
            elif sub is not None:
                element[sub.name] = value
            else:
                if not isinstance(value, dict):
                    raise invalid_value(f"The value for {attr.name} must be an object.")
                element = {**element, **value} if op == "add" else {**value}
            values[index] = element
        holder[attr.name] = [v for v in values if v is not None]

    @staticmethod
    def _key(element: Any) -> Any:
        if isinstance(element, dict):
            value = element.get("value")
            return (value.lower() if isinstance(value, str) else value, str(element.get("type", "")).lower())
        return element

    def _merged(self, current: list[Any], new: list[Any]) -> list[Any]:
        out = list(current)
        keys = [self._key(e) for e in out]
        for element in new:
            key = self._key(element)
            if key in keys:
                out[keys.index(key)] = element
            else:
                out.append(element)
                keys.append(key)
        return out

    def _without(self, current: list[Any], value: Any, attr: Attr) -> list[Any]:
        removed = value if isinstance(value, list) else [value]
        keys = {self._key(e)[0] if isinstance(e, dict) else e for e in removed}
        return [e for e in current if (self._key(e)[0] if isinstance(e, dict) else e) not in keys]
