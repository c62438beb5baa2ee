"""GET/POST /oauth2/logout: RP-initiated logout.

The user is signed out at once when a valid ``id_token_hint`` names the
signed-in user (or nobody is signed in); otherwise they confirm on a page
whose form carries a token bound to their session, so another site cannot
sign them out silently."""

from __future__ import annotations

from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from apps.authn.services.sessions import sso_logout
from apps.oauth.logout import LogoutFatal, LogoutRequest, logout_request_parse
from apps.oauth.views.authorize import error_page, redirect_to_client

_SALT = "apps.oauth.logout"
_PASSED_ON = ("id_token_hint", "client_id", "post_logout_redirect_uri", "state")


def _confirmation_token(request: HttpRequest) -> str:
    return signing.dumps(request.session.session_key or "", salt=_SALT)


def _confirmed(request: HttpRequest) -> bool:
    token = request.POST.get("logout_token", "")
    try:
        return bool(token) and signing.loads(token, salt=_SALT, max_age=600) == request.session.session_key
    except signing.BadSignature:
        return False


def _finish(request: HttpRequest, logout_request: LogoutRequest) -> HttpResponse:
    sso_logout(request)  # ends the SSO session of every application, with back-channel logout
    if logout_request.redirect:
        return redirect_to_client(logout_request.redirect)
    return render(request, "oauth/logged_out.html", {"client": logout_request.client})


@csrf_exempt  # RPs may POST here; the confirmation form is protected by its own session-bound token
@never_cache
def end_session(request: HttpRequest) -> HttpResponse:
    organization = request.organization
    if organization is None or request.method not in ("GET", "POST"):
        raise Http404
    params = request.GET if request.method == "GET" else request.POST
    try:
        logout_request = logout_request_parse(params, organization=organization)
    except LogoutFatal as exc:
        return error_page(request, exc.description)
    user = request.user if request.user.is_authenticated else None
    if (
        user is None
        or (request.method == "POST" and _confirmed(request))
        or (logout_request.hint_subject is not None and logout_request.hint_subject == str(user.pk))
    ):
        return _finish(request, logout_request)
    hidden = {name: params[name] for name in _PASSED_ON if params.get(name)}
    context = {"hidden": hidden, "logout_token": _confirmation_token(request), "client": logout_request.client}
    return render(request, "oauth/logout_confirm.html", context)
