"""WSO2's list filter grammar for applications and API resources, shared by the
management API and the Console search:

``<attribute> <op> <value>`` clauses joined by ``and`` / ``or`` (``and`` binds
tighter; no parentheses), ``op`` in ``eq co sw ew``; a value may be quoted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from apps.core.errors import InvalidInput

_CLAUSE_RE = re.compile(r"^\s*(?P<attr>[A-Za-z][\w.]*)\s+(?P<op>eq|co|sw|ew)\s+(?P<value>.+?)\s*$", re.I)
_OPS = {"eq": "iexact", "co": "icontains", "sw": "istartswith", "ew": "iendswith"}
FILTER_MAX_LENGTH = 1024

APPLICATION_FILTER_ATTRIBUTES = {"name": "name", "clientId": "client_id", "templateId": "template_id"}
API_RESOURCE_FILTER_ATTRIBUTES = {"name": "name", "identifier": "identifier", "type": "type"}


def _clause(text: str, attributes: Mapping[str, str], prefix: str) -> Q:
    match = _CLAUSE_RE.match(text)
    if not match:
        raise InvalidInput(f"{prefix}-60021", _("Invalid filter: %(c)s") % {"c": text.strip()[:200]})
    attr, op = match.group("attr"), match.group("op").lower()
    value = match.group("value").strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    field = attributes.get(attr)
    if field is None:
        raise InvalidInput(
            f"{prefix}-60022",
            _("Unsupported filter attribute %(a)s; use one of: %(all)s.")
            % {"a": attr[:64], "all": ", ".join(attributes)},
        )
    return Q(**{f"{field}__{_OPS[op]}": value})


def list_filter(queryset: QuerySet, expression: str | None, *, attributes: Mapping[str, str], prefix: str) -> QuerySet:
    """``queryset`` narrowed by ``expression`` (empty: unchanged)."""
    if not expression or not expression.strip():
        return queryset
    if len(expression) > FILTER_MAX_LENGTH:
        raise InvalidInput(f"{prefix}-60021", _("The filter is too long."))
    if "\x00" in expression:  # PostgreSQL cannot compare text with NUL in it
        raise InvalidInput(f"{prefix}-60021", _("Invalid filter: it contains a NUL character."))
    if "(" in expression or ")" in expression:
        raise InvalidInput(f"{prefix}-60021", _("Parentheses are not supported in filters."))
    query = Q()
    for alternative in re.split(r"\s+or\s+", expression.strip(), flags=re.I):
        conjunction = Q()
        for clause in re.split(r"\s+and\s+", alternative, flags=re.I):
            conjunction &= _clause(clause, attributes, prefix)
        query |= conjunction
    return queryset.filter(query)
