from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

PER_PAGE = 20


def paginate(request: HttpRequest, queryset: QuerySet, *, per_page: int = PER_PAGE) -> Page:
    """The page named by ``?page=`` (the first or last page when it is out of range)."""
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def search_query(request: HttpRequest, name: str = "q", *, max_length: int = 255) -> str:
    """A search box's text, trimmed; NUL characters dropped (PostgreSQL rejects them in a query)."""
    return request.GET.get(name, "").replace("\x00", "").strip()[:max_length]
