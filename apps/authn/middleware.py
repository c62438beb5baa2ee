"""``request.user`` per root organization, and signing a browser out as soon as its SSO session was
revoked (My Account, Console) or expired."""

from __future__ import annotations

from collections.abc import Callable

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from apps.authn.services.sessions import session_check
from apps.authn.services.sso_entries import signed_in


class TenantAuthenticationMiddleware:
    """Instead of ``django.contrib.auth``'s middleware (whose user is site-wide): the user signed in at
    the request's root organization, resolved lazily. Runs after TenantMiddleware and SessionMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.user = SimpleLazyObject(lambda: signed_in(request).user)

        async def auser() -> object:
            return await sync_to_async(lambda: signed_in(request).user)()

        request.auser = auser
        return self.get_response(request)


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
