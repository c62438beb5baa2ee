"""``FlowRun``: one request's view of an execution context (the plan, the progress, the opened
secrets) and what executors may read and record.

``FlowExecutionContext.state`` keeps only progress (which steps ran, which authenticators the user
passed); everything that identifies or authenticates someone (claims entered, the resolved user,
the password hash, code hashes) is in ``sealed``: AES-256-GCM under the master key, bound to the
context's id."""

from __future__ import annotations

import json
from typing import Any

from apps.flows.constants import EMAIL_CLAIM, USERNAME_CLAIM
from apps.flows.models import FlowExecutionContext
from apps.flows.plan import Plan
from apps.keystores.crypto import KeyDecryptionError, decrypt_private_key, encrypt_private_key
from apps.users.models import User


def _seal_context(flow_id: Any) -> str:
    return f"flows:context:{flow_id}"


def secrets_seal(flow_id: Any, values: dict[str, Any]) -> str:
    if not values:
        return ""
    return encrypt_private_key(json.dumps(values, separators=(",", ":")).encode("utf-8"), kid=_seal_context(flow_id))


def secrets_open(flow_id: Any, sealed: str) -> dict[str, Any]:
    if not sealed:
        return {}
    try:
        return json.loads(decrypt_private_key(sealed, kid=_seal_context(flow_id)).decode("utf-8"))
    except (KeyDecryptionError, ValueError):
        return {}


class FlowRun:
    def __init__(self, ctx: FlowExecutionContext, plan: Plan, *, organization: Any) -> None:
        self.ctx = ctx
        self.plan = plan
        self.organization = organization
        self.flow_type = ctx.flow_type
        self.sandbox = ctx.sandbox
        self.progress: dict[str, Any] = ctx.state if isinstance(ctx.state, dict) else {}
        self.secrets: dict[str, Any] = secrets_open(ctx.pk, ctx.sealed)
        self.sandbox_messages: list[dict[str, Any]] = []
        self._user: User | bool | None = False
        # What the executor's ``prepare`` did before this step's transaction (``Executor.prepare``).
        self.prepared: Any = None

    # --- persistence -------------------------------------------------------------------------

    def store(self) -> None:
        """Write progress and secrets back onto the context (the caller saves the row)."""
        self.ctx.state = self.progress
        self.ctx.sealed = secrets_seal(self.ctx.pk, self.secrets)

    # --- what was collected ------------------------------------------------------------------

    @property
    def claims(self) -> dict[str, Any]:
        return self.secrets.setdefault("claims", {})

    def username(self) -> str:
        """The username the account will have: the username claim, else the email (email as username)."""
        user = self.user()
        if user is not None:
            return user.username
        return str(self.claims.get(USERNAME_CLAIM) or self.claims.get(EMAIL_CLAIM) or "")

    def user(self) -> User | None:
        if self._user is False:
            user_id = self.secrets.get("userId")
            self._user = (
                User.objects.select_related("organization")
                .filter(pk=user_id, organization_id=self.organization.pk)
                .first()
                if user_id
                else None
            )
        return self._user  # type: ignore[return-value]

    def set_user(self, user: User | None) -> None:
        self._user = user
        if user is None:
            self.secrets.pop("userId", None)
        else:
            self.secrets["userId"] = str(user.pk)

    def authenticated(self, authenticator: str) -> None:
        """Record that the user passed ``authenticator`` in this flow (for auto-login)."""
        if not authenticator:
            return
        done = self.progress.setdefault("amr", [])
        if authenticator not in done:
            done.append(authenticator)

    def step_done(self, key: str) -> None:
        done = self.progress.setdefault("done", [])
        if key not in done:
            done.append(key)

    def sandbox_message(self, **entry: Any) -> None:
        self.sandbox_messages.append(entry)
