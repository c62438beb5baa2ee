"""Request id / client IP context and the security headers of every HTML page."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from apps.core import context

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def client_ip(request: HttpRequest) -> str | None:
    if settings.SECURE_PROXY_SSL_HEADER:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR")


class RequestContextMiddleware:
    """Gives each request an id (honouring a sane incoming X-Request-ID)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _REQUEST_ID_RE.match(incoming) else str(uuid.uuid4())
        request.request_id = request_id
        token = context.activate(context.RequestContext(request_id=request_id, ip=client_ip(request)))
        try:
            response = self.get_response(request)
        finally:
            context.deactivate(token)
        response["X-Request-ID"] = request_id
        return response


class SecurityHeadersMiddleware:
    """Content-Security-Policy without 'unsafe-inline' scripts on every response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", settings.IAM_CSP)
        response.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response


def allow_form_targets(response: HttpResponse, uris: Iterable[str]) -> HttpResponse:
    """Let this page's form submissions end at ``uris`` (CSP 3 ``form-action`` also governs the
    redirects that follow a form POST: a login or consent answer ends at the client's redirect URI).
    A loopback http URI may use any port (RFC 8252), so its source allows any port too."""
    sources: list[str] = []
    for uri in uris:
        try:
            parts = urlsplit(uri)
            hostname = parts.hostname
        except ValueError:
            continue
        if not parts.scheme or any(c in uri for c in " ;,'\"\n\r"):
            continue
        if not parts.netloc:
            source = f"{parts.scheme}:"
        elif parts.scheme == "http" and hostname in ("127.0.0.1", "localhost", "::1"):
            host = f"[{hostname}]" if ":" in hostname else hostname
            source = f"http://{host}:*"
        else:
            source = f"{parts.scheme}://{parts.netloc}"
        if source not in sources:
            sources.append(source)
    if sources:
        policy = response.get("Content-Security-Policy") or settings.IAM_CSP
        response["Content-Security-Policy"] = policy.replace(
            "form-action 'self'", "form-action 'self' " + " ".join(sources)
        )
    return response
