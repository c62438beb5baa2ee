"""SCIM errors (RFC 7644 §3.12): ``{"schemas": [Error], "status": "400", "scimType": ..., "detail": ...}``."""

from __future__ import annotations

from typing import Any

from apps.core.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


class ScimError(Exception):
    """A SCIM protocol error; ``scim_type`` is one of RFC 7644 Table 9 (or None)."""

    def __init__(self, status: int, detail: str, scim_type: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.scim_type = scim_type

    def body(self) -> dict[str, Any]:
        return error_body(self.status, self.detail, self.scim_type)


def error_body(status: int, detail: str, scim_type: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"schemas": [ERROR_SCHEMA], "status": str(status), "detail": detail}
    if scim_type:
        body["scimType"] = scim_type
    return body


def invalid_filter(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidFilter")


def invalid_path(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidPath")


def invalid_value(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidValue")


def invalid_syntax(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidSyntax")


def mutability(detail: str) -> ScimError:
    return ScimError(400, detail, "mutability")


def no_target(detail: str) -> ScimError:
    return ScimError(400, detail, "noTarget")


def not_found(detail: str) -> ScimError:
    return ScimError(404, detail)


def from_domain_error(exc: DomainError) -> ScimError:
    """A service's domain error in SCIM terms; the service's message is kept word for word."""
    if isinstance(exc, Conflict) or exc.status == 409:  # e.g. a unique attribute's value already taken
        return ScimError(409, exc.message, "uniqueness")
    if isinstance(exc, NotFound):
        return ScimError(404, exc.message)
    if isinstance(exc, Forbidden):
        return ScimError(403, exc.message)
    if isinstance(exc, InvalidInput) or exc.status == 400:
        return ScimError(400, exc.message, "invalidValue")
    return ScimError(exc.status, exc.message)
