"""What every SCIM operation needs to know about its request."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from apps.scim.schema import Schema, extension_schemas


@dataclass
class ScimContext:
    organization: Any
    actor: Any
    base_url: str  # absolute URL of this tenant's /scim2 root, without a trailing slash
    _extensions: dict[str, Schema] | None = field(default=None, repr=False)

    def extensions(self) -> dict[str, Schema]:
        """The User extension schemas of the organization (read once per request)."""
        if self._extensions is None:
            self._extensions = extension_schemas(self.organization)
        return self._extensions

    def location(self, endpoint: str, resource_id: object) -> str:
        return f"{self.base_url}/{endpoint}/{resource_id}"


def version_of(last_modified: datetime) -> str:
    """A weak ETag (RFC 7232) that changes with every write of the resource."""
    return f'W/"{int(last_modified.timestamp() * 1_000_000):x}"'


def iso(value: datetime) -> str:
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def json_member(mapping: Any, name: str) -> Any:
    """A member of a JSON object by case-insensitive name (RFC 7643 §2.1: attribute names are
    case-insensitive), or None."""
    if not isinstance(mapping, dict):
        return None
    lowered = name.lower()
    return next((v for k, v in mapping.items() if isinstance(k, str) and k.lower() == lowered), None)
