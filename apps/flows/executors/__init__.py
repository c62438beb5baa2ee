"""The built-in executors, registered by name on import (see ``base`` for the contract)."""

from apps.flows.executors import federated, identity, onboarding, otp, password  # noqa: F401
from apps.flows.executors.base import (  # noqa: F401
    Executor,
    ExecutorResult,
    executor_get,
    executor_names,
    executor_register,
)
