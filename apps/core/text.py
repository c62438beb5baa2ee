"""Text that no database here can store: NUL and lone UTF-16 surrogates
(PostgreSQL rejects both; UTF-8 cannot encode surrogates)."""

from __future__ import annotations

import re
from typing import Any

_UNSTORABLE_RE = re.compile("[\x00\ud800-\udfff]")


def contains_unstorable_text(value: Any) -> bool:
    """True when ``value`` (a string, or a dict/list holding strings) has such characters."""
    if isinstance(value, str):
        return _UNSTORABLE_RE.search(value) is not None
    if isinstance(value, dict):
        return any(contains_unstorable_text(k) or contains_unstorable_text(v) for k, v in value.items())
    if isinstance(value, list):
        return any(contains_unstorable_text(v) for v in value)
    return False
