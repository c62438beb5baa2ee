"""Executor contract and registry.

An executor is a class registered under its public WSO2 name. The engine calls

* ``prepare(run, action, inputs)`` before the step's transaction, for slow external calls (optional);
* ``initiate(run, action)`` when the flow arrives at a view whose button uses the executor (send
  the code, the link); it may return messages to show with the view;
* ``execute(run, action, inputs)`` when the user presses that button (or the flow reaches an
  EXECUTION step): it returns an ``ExecutorResult`` whose ``status`` tells the engine what next;
* ``rollback(run)`` when a later step of the same request fails (undo what is not transactional).

``get_initiation_data`` lists the input keys the executor reads (WSO2's ``requiredData``)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from apps.flows.engine.run import FlowRun
    from apps.flows.plan import PlanAction

COMPLETE = "COMPLETE"
RETRY = "RETRY"  # same view again, with a message (wrong code with attempts left)
USER_INPUT_REQUIRED = "USER_INPUT_REQUIRED"
USER_ERROR = "USER_ERROR"  # 400 with an FE- code
ERROR = "ERROR"  # 500 with an FE-65xxx code
EXTERNAL_REDIRECTION = "EXTERNAL_REDIRECTION"


@dataclass
class ExecutorResult:
    status: str
    code: str = ""
    message: str = ""
    description: str = ""
    messages: list[dict[str, Any]] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    required: list[str] = field(default_factory=list)
    redirect_url: str = ""
    # COMPLETE only: continue at this step instead of the action's ``next`` (a view the executor
    # added to the context's plan, e.g. the attributes a federated IdP did not send).
    next_step: str = ""

    @classmethod
    def complete(cls, **data: Any) -> ExecutorResult:
        return cls(COMPLETE, data=data)

    @classmethod
    def retry(cls, message: str, *, i18n_key: str = "", **data: Any) -> ExecutorResult:
        return cls(RETRY, message=message, messages=[message_error(message, i18n_key)], data=data)

    @classmethod
    def user_error(cls, code: str, message: str, description: str = "") -> ExecutorResult:
        return cls(USER_ERROR, code=code, message=message, description=description)

    @classmethod
    def error(cls, code: str, message: str, description: str = "") -> ExecutorResult:
        return cls(ERROR, code=code, message=message, description=description)


def message_error(text: str, i18n_key: str = "") -> dict[str, str]:
    return {"type": "ERROR", "message": text, "i18nKey": i18n_key or "flows.error"}


def message_info(text: str, i18n_key: str = "") -> dict[str, str]:
    return {"type": "INFO", "message": text, "i18nKey": i18n_key or "flows.info"}


class Executor(ABC):
    name: ClassVar[str] = ""
    required_inputs: ClassVar[tuple[str, ...]] = ()
    # The login authenticator this executor counts as when the flow signs the user in (assertion ``amr``).
    authenticator: ClassVar[str] = ""
    # False: its button does not submit the view's fields (a "Sign up with <IdP>" button next to a
    # form), so the view's required inputs are not checked when it is pressed or called back.
    reads_view_inputs: ClassVar[bool] = True

    def get_initiation_data(self) -> list[str]:
        return list(self.required_inputs)

    def initiate(self, run: FlowRun, action: PlanAction) -> ExecutorResult | None:
        return None

    def prepare(self, run: FlowRun, action: PlanAction, inputs: dict[str, str]) -> Any:
        """Slow external work for the coming ``execute`` (an IdP's code exchange), run before the step's
        transaction on an unlocked copy of the context: it must not change the context. Its result
        reaches ``execute`` as ``run.prepared``; ``execute`` re-checks it under the lock."""
        return None

    @abstractmethod
    def execute(self, run: FlowRun, action: PlanAction, inputs: dict[str, str]) -> ExecutorResult:
        """Run the step: every executor answers with a result (complete, re-prompt, redirect, error)."""

    def rollback(self, run: FlowRun) -> None:
        return None


_REGISTRY: dict[str, type[Executor]] = {}


def executor_register(cls: type[Executor]) -> type[Executor]:
    _REGISTRY[cls.name] = cls
    return cls


def executor_get(name: str) -> Executor | None:
    from apps.flows import executors  # noqa: F401  (registers the built-in executors)

    cls = _REGISTRY.get(name)
    return cls() if cls is not None else None


def executor_names() -> list[str]:
    from apps.flows import executors  # noqa: F401

    return sorted(_REGISTRY)
