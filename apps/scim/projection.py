"""``attributes`` / ``excludedAttributes`` (RFC 7644 §3.4.2.5) applied to a resource document.

Paths are case-insensitive and may carry a schema URN (``urn:...:enterprise:2.0:User:department``)
or a sub-attribute (``name.givenName``). ``id`` and ``schemas`` are always returned.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from apps.scim.errors import invalid_value
from apps.scim.filters import parse_attr_path

ALWAYS_RETURNED = frozenset({"id", "schemas"})
MAX_PATHS = 100


@dataclass(frozen=True)
class Projection:
    include: frozenset[tuple[str, str, str]] | None = None  # (schema or "", attr, sub or "") lower-case
    exclude: frozenset[tuple[str, str, str]] = frozenset()

    def wants(self, attr: str, schema: str = "") -> bool:
        """Whether a top-level attribute may appear (lets a resource skip costly parts)."""
        key = (schema.lower(), attr.lower())
        if (*key, "") in self.exclude:
            return False
        if self.include is None:
            return True
        return any(p[:2] == key or (p[0] == "" and p[1] == key[1]) for p in self.include)


def _paths(raw: str | None, urns: frozenset[str]) -> frozenset[tuple[str, str, str]] | None:
    if raw is None or not raw.strip():
        return None
    items = [item.strip() for item in raw.split(",") if item.strip()]
    if len(items) > MAX_PATHS:
        raise invalid_value(f"At most {MAX_PATHS} attribute names may be listed.")
    out = set()
    for item in items:
        if item.lower() in urns:  # a bare extension URN names the whole extension
            out.add((item.lower(), "*", ""))
            continue
        path = parse_attr_path(item, error=invalid_value)
        out.add(((path.schema or "").lower(), path.attr.lower(), (path.sub or "").lower()))
    return frozenset(out)


def parse_projection(
    attributes: str | None, excluded: str | None, *, extension_urns: tuple[str, ...] = ()
) -> Projection:
    urns = frozenset(u.lower() for u in extension_urns)
    return Projection(include=_paths(attributes, urns), exclude=_paths(excluded, urns) or frozenset())


def _matches(paths: frozenset[tuple[str, str, str]], schema: str, attr: str, core_schema: str) -> set[str] | None:
    """Sub-attributes named for ``attr`` ({""} = the whole attribute); None when not named."""
    subs = set()
    for p_schema, p_attr, p_sub in paths:
        if p_attr == "*" and p_schema == schema:
            subs.add("")
        elif p_attr == attr.lower() and (p_schema in ("", schema) or (p_schema == core_schema and schema == "")):
            if p_schema == "" and schema and schema != core_schema:
                continue  # a bare name addresses the core schema
            subs.add(p_sub)
    return subs or None


def _pick(value: Any, subs: set[str], *, keep: bool) -> Any:
    if "" in subs:
        return value if keep else None
    if isinstance(value, list):
        items = [_pick(v, subs, keep=keep) for v in value]
        return [i for i in items if i]
    if isinstance(value, dict):
        if keep:
            return {k: v for k, v in value.items() if k.lower() in subs}
        return {k: v for k, v in value.items() if k.lower() not in subs}
    return value if not keep else None


def apply_projection(doc: dict[str, Any], projection: Projection, *, core_schema: str) -> dict[str, Any]:
    if projection.include is None and not projection.exclude:
        return doc
    core = core_schema.lower()
    out: dict[str, Any] = {}
    for key, value in doc.items():
        if key in ALWAYS_RETURNED:
            out[key] = value
            continue
        if key.lower().startswith("urn:") and isinstance(value, dict):
            part = {}
            for sub_key, sub_value in value.items():
                kept = _project_one(projection, key.lower(), sub_key, sub_value, core)
                if kept is not None:
                    part[sub_key] = kept
            if part:
                out[key] = part
            continue
        kept = _project_one(projection, "", key, value, core)
        if kept is not None:
            out[key] = kept
    return out


def _project_one(projection: Projection, schema: str, key: str, value: Any, core: str) -> Any:
    if projection.include is not None:
        subs = _matches(projection.include, schema, key, core)
        if subs is None:
            return None
        value = _pick(value, subs, keep=True)
    excluded = _matches(projection.exclude, schema, key, core)
    if excluded is not None:
        value = _pick(value, excluded, keep=False)
    return value if value not in (None, [], {}) else None
