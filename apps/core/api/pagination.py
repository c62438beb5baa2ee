"""Offset pagination (``limit``/``offset``) as WSO2's management APIs use it.
Cursor pagination for organizations lives with the organizations API."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from rest_framework.request import Request

from apps.core.errors import InvalidInput

DEFAULT_LIMIT = 30
MAX_LIMIT = 500


def parse_int_param(request: Request, name: str, default: int, *, code: str, minimum: int = 0) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise InvalidInput(code, _("%(name)s must be an integer.") % {"name": name}) from exc
    if value < minimum:
        raise InvalidInput(code, _("%(name)s must be at least %(min)d.") % {"name": name, "min": minimum})
    return value


def parse_text_param(request: Request, name: str, *, code: str, max_length: int = 255) -> str:
    """A free-text query parameter (search, filter), cut to ``max_length``.

    NUL is refused: PostgreSQL cannot compare text containing it."""
    value = request.query_params.get(name, "")[:max_length]
    if "\x00" in value:
        raise InvalidInput(code, _("%(name)s must not contain NUL characters.") % {"name": name})
    return value


def paginate_offset(request: Request, queryset: QuerySet, *, prefix: str) -> tuple[list[Any], dict[str, Any]]:
    limit = min(parse_int_param(request, "limit", DEFAULT_LIMIT, code=f"{prefix}-60059"), MAX_LIMIT)
    offset = parse_int_param(request, "offset", 0, code=f"{prefix}-60059")
    total = queryset.count()
    # Past the end there is nothing to fetch; skipping the query also keeps an
    # absurd offset from overflowing the database's integer type.
    items = list(queryset[offset : offset + limit]) if offset < total else []
    links = []
    params = {k: v for k, v in request.query_params.items() if k not in {"limit", "offset"}}
    if offset + limit < total:
        links.append(
            {"rel": "next", "href": f"{request.path}?{urlencode({**params, 'limit': limit, 'offset': offset + limit})}"}
        )
    if offset > 0:
        prev = max(offset - limit, 0)
        links.append(
            {"rel": "previous", "href": f"{request.path}?{urlencode({**params, 'limit': limit, 'offset': prev})}"}
        )
    return items, {"totalResults": total, "startIndex": offset + 1, "count": len(items), "links": links}
