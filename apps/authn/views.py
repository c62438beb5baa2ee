"""The login portal: ``/authenticationendpoint/login`` (each step), ``select`` and ``logout``.

Plain HTML forms with CSRF; the views parse and delegate to the flow services."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from apps.authn.discovery import organization_login_url
from apps.authn.ratelimit import rate_count, rate_limited
from apps.authn.services.flows import (
    flow_choose,
    flow_current,
    flow_discard,
    flow_finish,
    flow_password_renewed,
    flow_start,
    flow_submit,
    step_authenticator,
    step_choices,
)
from apps.authn.services.scripts import script_failure, script_failure_redirect
from apps.authn.services.sessions import sso_logout
from apps.core.errors import DomainError
from apps.core.middleware import allow_form_targets
from apps.users.services import user_set_password

EXPIRED_FLOW = _lazy("Your sign-in took too long or was interrupted. Please start again.")


class NewPasswordForm(forms.Form):
    password = forms.CharField(
        label=_lazy("New password"),
        strip=False,
        max_length=1024,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "autofocus": True}),
    )
    password_again = forms.CharField(
        label=_lazy("New password again"),
        strip=False,
        max_length=1024,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("password") and data.get("password_again") is not None:
            if data["password"] != data["password_again"]:
                self.add_error("password_again", _("The passwords do not match."))
        return data


def safe_next(request: HttpRequest) -> str:
    """``next`` when it is a path on this site (never another host, never a scheme-relative URL)."""
    candidate = (request.POST.get("next") or request.GET.get("next") or "")[:4096]
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return ""
    if not candidate.startswith("/") or parts.scheme or parts.netloc or "\\" in candidate:
        return ""
    if not url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()}):
        return ""
    return candidate


def _client_id_of(next_url: str, request: HttpRequest) -> str:
    """The application: ``client_id`` given explicitly or inside an authorize ``next`` URL."""
    explicit = request.POST.get("client_id") or request.GET.get("client_id") or ""
    if explicit:
        return explicit[:255]
    from django.http import QueryDict

    return (QueryDict(urlsplit(next_url).query).get("client_id") or "")[:255] if next_url else ""


def _optional_url(name: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:  # the flows app that owns the page is not installed yet
        return ""


def _flow_link(request: HttpRequest, flow_type: str, flow: Any) -> str:
    """The target of "Create account" / "Forgot password?": the flow's page keeping the application
    context, or "" when the organization has not enabled that flow."""
    if not _optional_url("flows:register"):
        return ""
    from apps.flows.page_views import flow_entry_url

    return flow_entry_url(request, flow_type, next_url=flow.next_url, client_id=flow.client_id)


def _too_many(request: HttpRequest, retry_after: int) -> HttpResponse:
    context = {"organization": request.organization, "retry_after": retry_after}
    response = render(request, "authn/too_many.html", context, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def _client_ip(request: HttpRequest) -> str:
    from apps.core import context

    return context.current().ip or request.META.get("REMOTE_ADDR", "")


def _with_form_targets(response: HttpResponse, flow: Any) -> HttpResponse:
    """The last step's POST ends at the application's redirect URI: let the page's forms go there."""
    from apps.oauth.clients import client_get

    client = client_get(flow.client_id) if flow.client_id else None
    return allow_form_targets(response, getattr(client, "redirect_uris", ()))


def _render_step(
    request: HttpRequest,
    flow: Any,
    *,
    form: Any = None,
    error: str = "",
    notice: str = "",
    status: int = 200,
) -> HttpResponse:
    organization = request.organization
    base = {
        "organization": organization,
        "flow_id": str(flow.pk),
        "error": error,
        "notice": notice,
        "recovery_url": _flow_link(request, "PASSWORD_RECOVERY", flow),
        "register_url": _flow_link(request, "REGISTRATION", flow),
        "step_number": flow.step_index + 1,
        "step_count": len(flow.steps),
        "organization_login_url": organization_login_url(request, flow),  # apps.authn.discovery
    }
    failure = script_failure(flow)
    if failure is not None:
        return _script_failed(request, flow, failure, base)
    if flow.state.get("password_expired"):
        context = {**base, "form": form or NewPasswordForm(), "password_setup": flow.state.get("password_setup", "")}
        response = render(request, "authn/password_expired.html", context, status=status)
        return _with_form_targets(response, flow)
    authenticator = step_authenticator(flow)
    if authenticator is None:
        flow_discard(request, flow)
        message = _("This account cannot complete the sign-in for this application. Contact your administrator.")
        return render(request, "authn/error.html", {**base, "description": message}, status=400)
    step_context = authenticator.begin(request, flow)
    flow.save(update_fields=["state"])
    if form is not None:
        step_context["form"] = form
    others = [item for item in step_choices(flow) if item.id != authenticator.id]
    context = {
        **base,
        **step_context,
        "authenticator": authenticator,
        "step_template": authenticator.template,
        "others": others,
        "signed_in_user": flow.user,
    }
    return _with_form_targets(render(request, "authn/login.html", context, status=status), flow)


def _script_failed(request: HttpRequest, flow: Any, failure: dict[str, Any], base: dict[str, Any]) -> HttpResponse:
    """The application's conditional-authentication script failed or refused: the login ends here (closed)."""
    flow_discard(request, flow)
    target = script_failure_redirect(failure)
    if target:  # sendError(url, params)
        return redirect(target)
    if failure.get("reason") in ("fail", "send_error"):
        message = failure.get("message") or _("You are not allowed to sign in to this application.")
    else:
        message = _(
            "The sign-in could not be completed because of a problem in this application's sign-in "
            "configuration. Contact your administrator."
        )
    return render(request, "authn/error.html", {**base, "description": message}, status=403)


def _start_from_request(request: HttpRequest, default_next: str) -> Any:
    next_url = safe_next(request) or default_next
    fresh = (request.GET.get("fresh") or request.POST.get("fresh")) == "1"
    hint = request.GET.get("login_hint", "")
    return flow_start(
        request, next_url=next_url, client_id=_client_id_of(next_url, request), fresh=fresh, login_hint=hint
    )


@sensitive_post_parameters("password", "password_again", "code")
@never_cache
@require_http_methods(["GET", "POST"])
def login(request: HttpRequest, default_next: str | None = None) -> HttpResponse:
    """Show the current step (GET) or complete it (POST)."""
    organization = request.organization
    if organization is None:
        raise Http404
    default_next = default_next or reverse("myaccount:home")
    if request.method == "GET":
        starting = any(request.GET.get(name) for name in ("next", "client_id", "fresh", "login_hint"))
        flow = None if starting else flow_current(request)
        if flow is None:
            flow = _start_from_request(request, default_next)
        if not flow.steps and not script_failure(flow):  # the SSO session already satisfies this application
            flow_discard(request, flow)
            return redirect(flow.next_url or default_next)
        return _render_step(request, flow)

    ip = _client_ip(request)
    wait = rate_limited("login-ip", ip, _setting("IAM_LOGIN_RATE_PER_IP"))
    if wait:
        return _too_many(request, wait)
    rate_count("login-ip", ip, _setting("IAM_LOGIN_RATE_PER_IP"))

    posted_flow = request.POST.get("flow", "")
    flow = flow_current(request)
    if flow is None or (posted_flow and posted_flow != str(flow.pk)):
        if posted_flow:  # expired, replayed from another browser or tampered with
            flow = _start_from_request(request, default_next)
            return _render_step(request, flow, error=str(EXPIRED_FLOW), status=400)
        flow = _start_from_request(request, default_next)  # a direct POST of the first step
        if not flow.steps and not script_failure(flow):
            flow_discard(request, flow)
            return redirect(flow.next_url or default_next)

    if flow.state.get("password_expired"):
        return _renew_password(request, flow, default_next)

    username = request.POST.get("username") or (flow.user.username if flow.user is not None else "")
    account = f"{organization.pk}:{username.strip().lower()}"
    if username:
        wait = rate_limited("login-account", account, _setting("IAM_LOGIN_RATE_PER_ACCOUNT"))
        if wait:
            return _too_many(request, wait)
    result = flow_submit(request, flow, request.POST)
    outcome = result.outcome
    if result.done:
        return redirect(flow_finish(request, flow) or default_next)
    if outcome.pending:
        if outcome.message:
            return _render_step(request, flow, notice=outcome.message)
        return redirect(reverse("authn:login"))
    if outcome.ok:  # step done, more to come
        return redirect(reverse("authn:login"))
    if username:
        rate_count("login-account", account, _setting("IAM_LOGIN_RATE_PER_ACCOUNT"))
    return _render_step(request, flow, form=outcome.form, error=outcome.message, status=400)


def _setting(name: str) -> tuple[int, int]:
    from django.conf import settings

    return tuple(getattr(settings, name))  # type: ignore[return-value]


def _renew_password(request: HttpRequest, flow: Any, default_next: str) -> HttpResponse:
    form = NewPasswordForm(request.POST)
    if form.is_valid():
        try:
            user_set_password(actor=flow.user, user=flow.user, password=form.cleaned_data["password"])
        except DomainError as exc:
            form.add_error("password", exc.message)
        else:
            if flow_password_renewed(flow):
                return redirect(flow_finish(request, flow) or default_next)
            return redirect(reverse("authn:login"))
    return _render_step(request, flow, form=form, status=400)


@never_cache
@require_POST
def select(request: HttpRequest) -> HttpResponse:
    """Choose another authenticator allowed by the current step."""
    if request.organization is None:
        raise Http404
    flow = flow_current(request)
    if flow is None or request.POST.get("flow") != str(flow.pk):
        return redirect(reverse("authn:login"))
    flow_choose(flow, request.POST.get("authenticator", "")[:100])
    return redirect(reverse("authn:login"))


@never_cache
@require_http_methods(["GET", "POST"])
def logout(request: HttpRequest) -> HttpResponse:
    """GET asks for confirmation (so a link cannot sign anyone out); POST ends the SSO session."""
    if request.organization is None:
        raise Http404
    if request.method == "POST":
        sso_logout(request)
        return render(request, "authn/logged_out.html", {"organization": request.organization})
    return render(request, "authn/logout.html", {"organization": request.organization})
