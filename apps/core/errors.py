"""Domain errors raised by services. Each carries a WSO2-style code
(``<PREFIX>-<5 digits>``, 6xxxx client errors) and the HTTP status the
management API answers with; the Console shows ``message`` inline, on
``field`` when one is named."""

from __future__ import annotations


class DomainError(Exception):
    status = 400

    def __init__(self, code: str, message: str, description: str = "", *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.description = description or message
        self.field = field


class InvalidInput(DomainError):
    status = 400


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class Forbidden(DomainError):
    status = 403
