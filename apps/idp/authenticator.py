"""``federated:<idp>``: "Sign in with <IdP>" as a step of the login portal.

The step page links to ``/commonauth/start`` (``apps.idp.views``), which sends the browser
to the IdP; the IdP's redirect to ``/commonauth`` exchanges the code, keeps the verified
identity in the flow's state and submits the step, which resolves the local user here
(association, account linking, JIT). When JIT needs attributes the IdP did not send, the
step shows a form for them and completes on its POST."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from apps.authn.authenticators.base import FEDERATED, Authenticator, Outcome
from apps.idp.models import IdentityProvider

STATE_IDENTITY = "federated_identity"  # the verified upstream identity, between callback and resolution
STATE_PROMPT = "federated_prompt"  # JIT: attributes to ask for
STATE_ERROR = "federated_error"  # a failure to show on the step page
STATE_DONE = "federated"  # step number -> {idp, subject, claims}: what conditional scripts read


class ProfileForm(forms.Form):
    """The attributes JIT provisioning needs and the IdP did not send."""

    def __init__(self, *args: Any, definitions: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.definitions = definitions
        for index, definition in enumerate(definitions):
            self.fields[f"attr_{index}"] = forms.CharField(
                label=definition.display_name,
                required=definition.required,
                max_length=1024,
                help_text=definition.description,
            )

    def provided(self) -> dict[str, str]:
        return {
            definition.claim_uri: self.cleaned_data.get(f"attr_{index}", "")
            for index, definition in enumerate(self.definitions)
        }


class FederatedAuthenticator(Authenticator):
    kind = FEDERATED
    template = "idp/steps/federated.html"
    amr = "fed"  # not in RFC 8176's registry, which has no value for "another IdP authenticated the user"

    def __init__(self, idp_name: str) -> None:
        self.idp_name = idp_name
        self.id = f"federated:{idp_name}"
        self.display_name = _lazy("Sign in with %(idp)s") % {"idp": idp_name}

    def _idp(self, flow: Any) -> IdentityProvider | None:
        from apps.idp.selectors import idp_get

        idp = idp_get(flow.organization, self.idp_name)
        return idp if idp is not None and idp.is_enabled else None

    def _prompt_definitions(self, flow: Any) -> list[Any]:
        from apps.attributes.selectors import attribute_definitions

        wanted = (flow.state.get(STATE_PROMPT) or {}).get("uris", [])
        by_uri = {d.claim_uri: d for d in attribute_definitions(organization=flow.organization)}
        return [by_uri[uri] for uri in wanted if uri in by_uri]

    def begin(self, request: HttpRequest, flow: Any) -> dict[str, Any]:
        context: dict[str, Any] = {"idp_name": self.idp_name}
        error = flow.state.pop(STATE_ERROR, "")
        if error:
            context["error"] = error
        prompt = flow.state.get(STATE_PROMPT)
        if prompt is not None and flow.state.get(STATE_IDENTITY):
            context.update(
                federated_prompt=True,
                form=ProfileForm(definitions=self._prompt_definitions(flow)),
                preview=prompt.get("preview", []),
            )
            if prompt.get("message") and not error:
                context["error"] = prompt["message"]
            return context
        idp = self._idp(flow)
        context["idp_available"] = idp is not None
        if idp is not None:
            context["idp_image"] = idp.image_url
            context["start_url"] = f"{reverse('idp:federated-start')}?flow={flow.pk}&idp={self.idp_name}"
        return context

    def complete(self, request: HttpRequest, flow: Any, data: Any) -> Outcome:
        from apps.authn.services.events import auth_event
        from apps.idp.services.federation import federated_user_resolve, identity_from_state

        stored = flow.state.get(STATE_IDENTITY)
        if not isinstance(stored, dict) or stored.get("idp") != self.idp_name:
            return Outcome(
                reason="invalid_form", message=_("Use the button to sign in with %(idp)s.") % {"idp": self.idp_name}
            )
        identity = identity_from_state(flow.organization, stored)
        if identity is None or not identity.idp.is_enabled:
            flow.state.pop(STATE_IDENTITY, None)
            return Outcome(reason="idp_unavailable", message=_("This sign-in option is not available right now."))
        provided = None
        if flow.state.get(STATE_PROMPT) is not None and not data.get("federated_resume"):
            form = ProfileForm(data, definitions=self._prompt_definitions(flow))
            if not form.is_valid():
                return Outcome(reason="invalid_form", form=form)
            provided = form.provided()
        resolution = federated_user_resolve(identity=identity, provided=provided)
        if resolution.how == "prompt":
            preview = [[uri.rsplit("/", 1)[-1], str(value)] for uri, value in resolution.profile.items()][:20]
            flow.state[STATE_PROMPT] = {
                "uris": [d.claim_uri for d in resolution.missing],
                "message": resolution.message,
                "preview": preview,
            }
            return Outcome(pending=True)
        flow.state.pop(STATE_PROMPT, None)
        flow.state.pop(STATE_IDENTITY, None)
        if not resolution.ok:
            flow.state[STATE_ERROR] = resolution.message
            return Outcome(reason=resolution.reason, message=resolution.message)
        user = resolution.user
        if flow.user_id is not None and flow.user_id != user.pk:
            # step-up of a signed-in user: the federated account must be theirs
            message = _("That %(idp)s account belongs to someone else.") % {"idp": self.idp_name}
            flow.state[STATE_ERROR] = message
            return Outcome(user=user, reason="different_user", message=message)
        done = flow.state.setdefault(STATE_DONE, {})
        done[str(flow.step_index + 1)] = {"idp": self.idp_name, "subject": identity.subject, "claims": identity.claims}
        auth_event(
            "authentication.federated",
            user=user,
            organization=flow.organization,
            data={
                "idp": self.idp_name,
                "federatedUserId": identity.subject,
                "resolution": resolution.how,
                "application": flow.client_id,
            },
        )
        return Outcome(user=user)


def federated_authenticator_for(name: str) -> FederatedAuthenticator | None:
    """The registry's factory for ``federated:<name>``: known when some organization has that IdP."""
    if not name or len(name) > 100 or not IdentityProvider.objects.filter(name=name).exists():
        return None
    return FederatedAuthenticator(name)


def federated_authenticators_of(organization: Any) -> list[Authenticator]:
    from apps.idp.selectors import idp_list

    return [FederatedAuthenticator(name) for name in idp_list(organization=organization).values_list("name", flat=True)]
