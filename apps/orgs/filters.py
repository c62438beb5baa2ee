"""WSO2's organization filter grammar, shared by the API list and the Console search.

``<attribute> <op> <value> [and <attribute> <op> <value> ...]`` with
``op`` in ``eq co sw ew ge le gt lt``; ``and`` only, no ``or`` or parentheses.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from apps.core.errors import InvalidInput

_CLAUSE_RE = re.compile(r"^\s*(?P<attr>[A-Za-z][\w.]*)\s+(?P<op>eq|co|sw|ew|ge|le|gt|lt)\s+(?P<value>.+?)\s*$", re.I)
_TEXT_ATTRS = {"name": "name", "orgHandle": "handle", "description": "description", "status": "status"}
_ID_ATTRS = {"id": "id", "parentId": "parent_id"}
_DATE_ATTRS = {"created": "created", "lastModified": "last_modified"}
_TEXT_OPS = {"eq": "iexact", "co": "icontains", "sw": "istartswith", "ew": "iendswith"}
_ORDER_OPS = {"ge": "gte", "le": "lte", "gt": "gt", "lt": "lt"}
FILTER_MAX_LENGTH = 2048


def _split_and(expression: str) -> list[str]:
    return re.split(r"\s+and\s+", expression.strip(), flags=re.I)


def organization_filter(queryset: QuerySet, expression: str | None) -> QuerySet:
    if not expression or not expression.strip():
        return queryset
    if len(expression) > FILTER_MAX_LENGTH:  # the clause regexes are quadratic on long blank runs
        raise InvalidInput("ORG-60023", _("The filter is too long."))
    if "\x00" in expression:  # PostgreSQL cannot compare text with NUL in it
        raise InvalidInput("ORG-60023", _("Invalid filter: it contains a NUL character."))
    if re.search(r"\s+or\s+|[()]", expression, flags=re.I):
        raise InvalidInput("ORG-60022", _("Only 'and' is supported in organization filters."))
    q = Q()
    for clause in _split_and(expression):
        match = _CLAUSE_RE.match(clause)
        if not match:
            raise InvalidInput("ORG-60023", _("Invalid filter: %(c)s") % {"c": clause.strip()})
        attr, op, value = match.group("attr"), match.group("op").lower(), match.group("value").strip().strip('"')
        if attr in _TEXT_ATTRS:
            lookup = _TEXT_OPS.get(op)
            if lookup is None:
                raise InvalidInput(
                    "ORG-60024", _("Operator %(op)s is not supported for %(a)s.") % {"op": op, "a": attr}
                )
            q &= Q(**{f"{_TEXT_ATTRS[attr]}__{lookup}": value})
        elif attr in _ID_ATTRS:
            if op != "eq":
                raise InvalidInput("ORG-60024", _("Only 'eq' is supported for %(a)s.") % {"a": attr})
            q &= Q(**{_ID_ATTRS[attr]: value})
        elif attr in _DATE_ATTRS:
            try:
                moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
                # In UTC up front: a date that leaves datetime's range there is invalid input.
                moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
            except (ValueError, OverflowError) as exc:
                raise InvalidInput("ORG-60071", _("Invalid date in filter: %(v)s") % {"v": value}) from exc
            lookup = _ORDER_OPS.get(op, "exact" if op == "eq" else None)
            if lookup is None:
                raise InvalidInput("ORG-60024", _("Operator %(op)s is not supported for dates.") % {"op": op})
            q &= Q(**{f"{_DATE_ATTRS[attr]}__{lookup}": moment})
        elif attr.startswith("attributes.") and len(attr) > len("attributes."):
            key = attr.split(".", 1)[1]
            lookup = _TEXT_OPS.get(op)
            if lookup is None:
                raise InvalidInput("ORG-60024", _("Operator %(op)s is not supported for attributes.") % {"op": op})
            q &= Q(**{f"attributes__{key}__{lookup}": value})
        else:
            raise InvalidInput("ORG-60025", _("Unsupported filter attribute: %(a)s") % {"a": attr})
    try:
        return queryset.filter(q)
    except (ValidationError, ValueError) as exc:  # e.g. a malformed UUID for id/parentId
        raise InvalidInput("ORG-60023", _("Invalid filter value.")) from exc
