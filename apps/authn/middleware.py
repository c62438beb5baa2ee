"""Signs a browser out as soon as its SSO session was revoked (My Account, Console) or expired."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from apps.authn.services.sessions import session_check


class AuthSessionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if hasattr(request, "session"):
            session_check(request)
        response = self.get_response(request)
        if getattr(request, "_authn_script_cookies", None):  # set by a conditional-authentication script
            from apps.authn.services.scripts import script_cookies_apply

            script_cookies_apply(request, response)
        return response
