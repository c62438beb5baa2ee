"""Query (GET list and POST .search): filter → SQL, sortBy/sortOrder, startIndex/count, projection."""

from __future__ import annotations

from typing import Any

from apps.scim.context import ScimContext
from apps.scim.errors import invalid_value
from apps.scim.filters import parse_filter
from apps.scim.projection import apply_projection, parse_projection
from apps.scim.query import to_q
from apps.scim.resources import ResourceType
from apps.scim.schema import DEFAULT_PAGE_SIZE, LIST_RESPONSE, MAX_PAGE_SIZE


def _sort(resource: ResourceType, sort_by: str | None, sort_order: str | None) -> list[str]:
    if not sort_by:
        return ["created", "id"] if resource.name != "User" else ["username", "id"]
    key = sort_by.strip()
    prefix = resource.schema.id.lower() + ":"
    if key.lower().startswith(prefix):
        key = key[len(prefix) :]
    column = resource.sort_fields.get(key.lower())
    if column is None:
        raise invalid_value(f"Cannot sort by {sort_by[:80]}.")
    order = (sort_order or "ascending").lower()
    if order not in ("ascending", "descending"):
        raise invalid_value('sortOrder must be "ascending" or "descending".')
    return [f"-{column}" if order == "descending" else column, "id"]


def _to_int(value: Any, name: str, default: int) -> int:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise invalid_value(f"{name} must be an integer.")
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise invalid_value(f"{name} must be an integer.") from exc


def list_resources(ctx: ScimContext, resource: ResourceType, params: dict[str, Any]) -> dict[str, Any]:
    """``params``: filter, sortBy, sortOrder, startIndex, count, attributes, excludedAttributes."""
    extension_urns = tuple(ctx.extensions()) if resource.has_extensions else ()
    projection = parse_projection(
        _joined(params.get("attributes")), _joined(params.get("excludedAttributes")), extension_urns=extension_urns
    )
    qs = resource.queryset(ctx.organization, projection)
    raw_filter = params.get("filter")
    if raw_filter not in (None, ""):
        qs = qs.filter(to_q(parse_filter(raw_filter), resource.resolver(ctx)))
    qs = qs.order_by(*_sort(resource, params.get("sortBy"), params.get("sortOrder")))
    start = max(_to_int(params.get("startIndex"), "startIndex", 1), 1)
    count = min(max(_to_int(params.get("count"), "count", DEFAULT_PAGE_SIZE), 0), MAX_PAGE_SIZE)
    total = qs.count()
    items = list(qs[start - 1 : start - 1 + count]) if count else []
    return {
        "schemas": [LIST_RESPONSE],
        "totalResults": total,
        "startIndex": start,
        "itemsPerPage": len(items),
        "Resources": [
            apply_projection(resource.to_scim(ctx, item, projection), projection, core_schema=resource.schema.id)
            for item in items
        ],
    }


def _joined(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        if not all(isinstance(v, str) for v in value):
            raise invalid_value("attributes must be a list of attribute names.")
        return ",".join(value)
    if not isinstance(value, str):
        raise invalid_value("attributes must be a list of attribute names.")
    return value
