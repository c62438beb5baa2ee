"""``FlowError``: what the flow services raise, in WSO2's codes.

``FM-``/``RFM-`` codes come from flow management (save-time validation), ``FE-`` codes from the
execution engine. The management and execution APIs answer with the error body
``{code, message, description, traceId}``; ``errors`` carries every problem the validator found
(the Builder shows each next to its step or component)."""

from __future__ import annotations

from typing import Any

from apps.core.errors import DomainError


class FlowError(DomainError):
    def __init__(
        self,
        code: str,
        message: str,
        description: str = "",
        status: int = 400,
        *,
        errors: list[dict[str, Any]] | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(code, message, description)
        self.status = status
        self.errors = errors or []
        self.retry_after = retry_after

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "description": self.description}
