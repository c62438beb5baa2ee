"""Federated sign-up executors: ``OpenIDConnectExecutor`` (any identity provider of the organization)
and the aliases ``GoogleExecutor``, ``GithubExecutor``, ... bound to IdPs made from that template.
``meta.idpName`` names the IdP (``apps.idp.selectors.idp_get``).

1. The button is pressed: a pending authorization request at the IdP (``federated_authorization_start``
   with purpose ``flow`` and the flow id as reference) and a ``REDIRECTION`` answer with its URL.
2. The IdP redirects to ``/commonauth``. A browser on the flow page is continued there (``flow_callback``
   in ``apps.flows.federation``); a native client reads ``code`` and ``state`` from that redirect and
   posts them as the inputs of the flow (``{"flowId", "inputs": {"code", "state"}}``).
3. The code is exchanged (``federated_authorization_complete``, in ``prepare``: before the step's
   transaction, so the HTTP call holds no lock); the IdP's claims, mapped by its attribute
   mappings and checked by the same rules as typed inputs, become the new account's claims. Required
   attributes the IdP did not send are asked for in a view the executor adds to this flow's plan.
4. At the end of the flow ``UserOnboardingExecutor`` creates the account (no password) and
   ``federated_association_record`` links the federated identity to it.

Sign-up never takes over or links an existing account: when the identity is already linked, or matches
a local account by the IdP's account-lookup mappings, or its username is taken, the view comes back with
an ERROR message (``code`` ``FE-60003``); signing in with the IdP links per the IdP's settings.
Every failure of the callback (altered state, a code the IdP refuses, the user cancelled) is the same
view again with an ERROR message; the pending request is spent either way (fail closed)."""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from apps.core.errors import DomainError
from apps.flows.constants import COMPLETE, EMAIL_CLAIM, FEDERATED_EXECUTORS, USERNAME_CLAIM
from apps.flows.executors.base import (
    EXTERNAL_REDIRECTION,
    RETRY,
    Executor,
    ExecutorResult,
    executor_register,
    message_error,
)

if TYPE_CHECKING:
    from apps.flows.engine.run import FlowRun
    from apps.flows.plan import PlanAction, PlanNode

log = logging.getLogger(__name__)

CALLBACK_PURPOSE = "flow"  # FederatedAuthRequest.purpose of a flow's authorization requests
CALLBACK_KEYS = ("code", "state", "error")
PENDING = "federated"  # secrets: the pending authorization request
IDENTITY = "federatedIdentity"  # secrets: the verified identity, linked at onboarding
# Executors bound to one IdP template; OpenIDConnectExecutor takes any IdP.
EXECUTOR_TEMPLATES = {
    "GoogleExecutor": "google",
    "GithubExecutor": "github",
    "FacebookExecutor": "facebook",
    "Office365Executor": "office365",
    "AppleExecutor": "apple",
}


def idp_fits(executor_name: str, idp: Any) -> bool:
    template = EXECUTOR_TEMPLATES.get(executor_name)
    return template is None or getattr(idp, "template_id", "") == template


def idp_lookup(organization: Any, name: str, executor_name: str = "OpenIDConnectExecutor") -> Any:
    """The identity provider named ``name`` that ``executor_name`` can use; False when there is none."""
    from apps.idp.selectors import idp_get

    try:
        found = idp_get(organization, name)
    except Exception:  # a lookup that fails is "not found", never a 500 at save time
        return False
    return found if found is not None and idp_fits(executor_name, found) else False


def federated_connections(organization: Any) -> dict[str, list[str]]:
    """Federated executor name -> the names of the organization's IdPs it can use (``flow/meta``'s
    ``executorConnections``; the Builder offers them for ``meta.idpName``)."""
    from apps.idp.selectors import idp_list

    idps = list(idp_list(organization=organization).only("name", "template_id"))
    return {name: [idp.name for idp in idps if idp_fits(name, idp)] for name in FEDERATED_EXECUTORS}


# --- claims from the IdP ------------------------------------------------------------------------------


def _definitions(organization: Any) -> dict[str, Any]:
    from apps.attributes.selectors import attribute_definitions

    return {d.claim_uri: d for d in attribute_definitions(organization=organization)}


def _cleaned_profile(run: FlowRun, profile: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    """The IdP's values checked by the rules a typed input passes; a value the account could not
    hold is dropped (and asked for when the attribute is required)."""
    from apps.flows.engine.collect import _claim_value
    from apps.flows.plan import PlanInput

    out: dict[str, Any] = {}
    for uri, value in profile.items():
        if uri not in definitions or isinstance(value, list):
            continue  # a multi-valued claim is not mapped at sign-up (a required one is asked for)
        text = value if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)
        spec = PlanInput(identifier=uri, component_id="", variant="TEXT", required=False)
        try:
            cleaned = _claim_value(run, spec, text, definitions)
        except DomainError as exc:
            log.info("flows: %s from the IdP not usable: %s", uri, exc.message)
            continue
        if cleaned not in (None, ""):
            out[uri] = cleaned
    return out


def _username(profile: dict[str, Any], identity: Any) -> str:
    from apps.users.services.validation import normalize_username

    for candidate in (
        profile.get(USERNAME_CLAIM),
        profile.get(EMAIL_CLAIM),
        identity.claims.get("preferred_username"),
        f"{identity.idp.name}-{identity.subject}",
    ):
        if isinstance(candidate, str) and candidate:
            try:
                return normalize_username(candidate.replace(" ", "-"))
            except DomainError:
                continue
    return ""


def _collected_later(run: FlowRun, start: str) -> set[str]:
    """Identifiers the views reachable from ``start`` collect (those need no extra view)."""
    seen: set[str] = set()
    identifiers: set[str] = set()
    pending = [start]
    while pending:
        node_id = pending.pop()
        if node_id in seen or node_id == COMPLETE:
            continue
        seen.add(node_id)
        node = run.plan.node(node_id)
        if node is None:
            continue
        identifiers |= {spec.identifier for spec in node.inputs}
        pending += [a.next for a in node.actions.values()] + ([node.action.next] if node.action else [])
    return identifiers


def _missing_required(run: FlowRun, definitions: dict[str, Any], after: str) -> list[Any]:
    from apps.attributes.models import COLUMN_STORAGE

    later = _collected_later(run, after)
    missing = []
    for uri, definition in definitions.items():
        if not definition.required or definition.read_only or definition.data_type == "complex":
            continue
        if uri == USERNAME_CLAIM or uri in later:
            continue
        if definition.storage not in COLUMN_STORAGE and not definition.in_attributes:
            continue
        if run.claims.get(uri) in (None, "", []):
            missing.append(definition)
    return missing


INPUT_VARIANTS = {"integer": "NUMBER", "decimal": "NUMBER", "boolean": "CHECKBOX", "date": "DATE"}


def _attributes_view(run: FlowRun, action: PlanAction, missing: list[Any]) -> str:
    """Add a view asking for ``missing`` to this flow's own plan; returns its id."""
    from apps.flows.plan import plan_compile

    step_id = f"{action.id}~attributes"
    inputs = []
    for index, definition in enumerate(missing):
        variant = INPUT_VARIANTS.get(definition.data_type, "TEXT")
        if definition.storage == "email":
            variant = "EMAIL"
        elif definition.storage == "phone":
            variant = "TELEPHONE"
        inputs.append(
            {
                "id": f"{step_id}-input-{index}",
                "category": "FIELD",
                "type": "INPUT",
                "variant": variant,
                "config": {"identifier": definition.claim_uri, "label": definition.display_name, "required": True},
            }
        )
    step = {
        "id": step_id,
        "type": "VIEW",
        "data": {
            "components": [
                {
                    "id": f"{step_id}-heading",
                    "category": "DISPLAY",
                    "type": "TYPOGRAPHY",
                    "variant": "H3",
                    "config": {"text": _("A few more details")},
                },
                {
                    "id": f"{step_id}-form",
                    "category": "BLOCK",
                    "type": "FORM",
                    "config": {},
                    "components": [
                        *inputs,
                        {
                            "id": f"{step_id}-continue",
                            "category": "ACTION",
                            "type": "BUTTON",
                            "variant": "PRIMARY",
                            "config": {"text": _("Continue")},
                            "action": {"type": "NEXT", "next": action.next},
                        },
                    ],
                },
            ]
        },
    }
    node: PlanNode = plan_compile(run.flow_type, [step]).nodes[step_id]
    run.plan.nodes[step_id] = node
    run.ctx.plan = {**run.ctx.plan, "nodes": {**run.ctx.plan["nodes"], step_id: asdict(node)}}
    return step_id


# --- the executor -------------------------------------------------------------------------------------


def _refused(text: str, i18n_key: str, code: str = "") -> ExecutorResult:
    message = message_error(text, i18n_key)
    if code:
        message["code"] = code
    return ExecutorResult(RETRY, code=code, message=text, messages=[message])


class _FederatedExecutor(Executor):
    required_inputs = ("code", "state")
    reads_view_inputs = False

    def _idp(self, run: FlowRun, action: PlanAction) -> Any:
        name = action.meta.get("idpName")
        found = idp_lookup(run.organization, name, self.name) if isinstance(name, str) else False
        return found or None

    def execute(self, run: FlowRun, action: PlanAction, inputs: dict[str, str]) -> ExecutorResult:
        idp = self._idp(run, action)
        if idp is None:
            return _refused(_("This sign-up option is not available right now."), "flows.federated.unavailable")
        if any(inputs.get(key) for key in CALLBACK_KEYS):
            return self._callback(run, action, idp, inputs)
        return self._redirect(run, action, idp)

    def _redirect(self, run: FlowRun, action: PlanAction, idp: Any) -> ExecutorResult:
        from apps.idp.services import FederationFailed, federated_authorization_start

        if run.sandbox:
            run.sandbox_message(channel="federated", recipient=idp.name, template="", note="not redirected (sandbox)")
            return _refused(
                _("Signing up with %(idp)s is not tried in the sandbox.") % {"idp": idp.name},
                "flows.federated.sandbox",
            )
        try:
            start = federated_authorization_start(idp=idp, purpose=CALLBACK_PURPOSE, reference=str(run.ctx.pk))
        except FederationFailed as exc:
            return _refused(exc.message, "flows.federated.unavailable")
        run.secrets[PENDING] = {"requestId": start.request_id, "idpId": str(idp.pk), "action": action.id}
        return ExecutorResult(EXTERNAL_REDIRECTION, redirect_url=start.url)

    def prepare(self, run: FlowRun, action: PlanAction, inputs: dict[str, str]) -> Any:
        """The code exchange, before the step's transaction (an HTTP call to the IdP). Only a callback
        whose ``state`` is the pending request of this flow and this button is exchanged; the request
        is spent by the exchange whatever its outcome."""
        from apps.idp.services import FederationFailed, federated_authorization_complete, federated_request_for_state

        idp = self._idp(run, action)
        pending = run.secrets.get(PENDING)
        if idp is None or not isinstance(pending, dict) or pending.get("action") != action.id:
            return None
        auth_request = federated_request_for_state(organization=run.organization, state=inputs.get("state"))
        if (
            auth_request is None
            or str(auth_request.pk) != pending.get("requestId")
            or auth_request.purpose != CALLBACK_PURPOSE
            or auth_request.reference != str(run.ctx.pk)
            or auth_request.idp_id != idp.pk
        ):
            log.warning("flows: federated callback for flow %s with a state it did not send", run.ctx.pk)
            return None
        try:
            identity = federated_authorization_complete(
                auth_request=auth_request, code=inputs.get("code"), error=inputs.get("error", "")
            )
        except FederationFailed as exc:
            log.warning("flows: federated sign-up with %s failed: %s", idp.name, exc.reason)
            return {"requestId": pending["requestId"], "failure": exc.message}
        return {"requestId": pending["requestId"], "identity": identity}

    def _callback(self, run: FlowRun, action: PlanAction, idp: Any, inputs: dict[str, str]) -> ExecutorResult:
        from apps.idp.services import federated_account_match
        from apps.idp.services.federation import mapped_profile

        stale = _("This sign-up with %(idp)s is not valid any more. Please try again.") % {"idp": idp.name}
        pending = run.secrets.pop(PENDING, None)  # one callback per redirect, whatever its outcome
        prepared = run.prepared if isinstance(run.prepared, dict) else {}
        if (
            not isinstance(pending, dict)
            or pending.get("action") != action.id
            or prepared.get("requestId") != pending.get("requestId")
        ):
            return _refused(stale, "flows.federated.stale")
        if "failure" in prepared:
            return _refused(prepared["failure"], "flows.federated.failed")
        identity = prepared["identity"]
        if identity.idp.pk != idp.pk:
            return _refused(stale, "flows.federated.stale")
        if federated_account_match(identity=identity) is not None:
            return _refused(
                _("You already have an account. Sign in with %(idp)s instead.") % {"idp": idp.name},
                "flows.federated.accountExists",
                code="FE-60003",
            )
        definitions = _definitions(run.organization)
        profile = {**run.claims, **_cleaned_profile(run, mapped_profile(idp, identity.claims), definitions)}
        username = _username(profile, identity)
        if not username:
            return _refused(_("A username is required."), "flows.federated.noUsername", code="FE-60002")
        from apps.flows.executors.password import username_taken

        if username_taken(run.organization, username):
            return _refused(
                _("An account with the username %(u)s exists. Sign in instead.") % {"u": username},
                "flows.federated.accountExists",
                code="FE-60003",
            )
        run.claims.update(profile)  # what the IdP sent wins over what the user typed before
        run.claims[USERNAME_CLAIM] = username
        email = run.claims.get(EMAIL_CLAIM)
        if email and identity.claims.get("email_verified") in (True, "true"):
            run.secrets.setdefault("verified", {})["email"] = email
        run.secrets[IDENTITY] = {"idpId": str(idp.pk), "idp": idp.name, "subject": identity.subject}
        run.authenticated(f"federated:{idp.name}")
        missing = _missing_required(run, definitions, action.next)
        if missing:
            return ExecutorResult("COMPLETE", next_step=_attributes_view(run, action, missing))
        return ExecutorResult.complete()


def federated_association_record(run: FlowRun, user: Any) -> None:
    """Link the federated identity the flow verified to the account it created (onboarding)."""
    from apps.idp.models import IdentityProvider
    from apps.idp.services import association_create

    data = run.secrets.get(IDENTITY)
    if not isinstance(data, dict) or run.sandbox:
        return
    idp = IdentityProvider.objects.for_org(run.organization).filter(pk=data.get("idpId")).first()
    if idp is None:
        raise DomainError("FE-60003", _("The identity provider was removed during sign-up."))
    association_create(actor=None, user=user, idp=idp, subject=data["subject"], via="flow")


for _name in FEDERATED_EXECUTORS:
    executor_register(type(_name, (_FederatedExecutor,), {"name": _name}))
