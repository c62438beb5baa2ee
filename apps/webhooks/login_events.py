"""Login events from one place: Django's ``user_logged_in`` / ``user_login_failed``
signals, sent by every interactive sign-in that uses ``django.contrib.auth``
(the Console, My Account and the OAuth login page).

When the sign-in is part of an OAuth authorize request, the ``next`` URL
carries the ``client_id``; the application is named from it when it belongs
to the organization (best effort: an unknown client is simply left out)."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.http import HttpRequest

from apps.core import context
from apps.webhooks.payloads import AUTHENTICATOR_BASIC
from apps.webhooks.services import publish_login_failed, publish_login_succeeded

log = logging.getLogger(__name__)


def _application(request: HttpRequest | None, organization: Any) -> Any:
    if request is None or organization is None:
        return None
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    try:
        query = parse_qs(urlsplit(candidate).query)
    except ValueError:
        return None
    client_id = (query.get("client_id") or [""])[0][:255]
    if not client_id:
        return None
    from apps.applications.models import Application

    return (
        Application.objects.filter(organization_id=organization.pk, client_id=client_id)
        .only("id", "name", "client_id")
        .first()
    )


def _on_logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    organization = getattr(request, "organization", None) or getattr(user, "organization", None)
    try:
        publish_login_succeeded(
            organization=organization,
            user=user,
            application=_application(request, organization),
            authentication_methods=[AUTHENTICATOR_BASIC],
            ip=context.current().ip or "",
        )
    except Exception:  # an event must never break a sign-in
        log.exception("webhook: could not record the login event")


def _on_login_failed(sender: str, credentials: dict[str, Any], request: HttpRequest | None = None, **kw: Any) -> None:
    organization = getattr(request, "organization", None)
    try:
        publish_login_failed(
            organization=organization,
            username=str(credentials.get("username") or ""),
            application=_application(request, organization),
            authenticator=AUTHENTICATOR_BASIC,
            ip=context.current().ip or "",
        )
    except Exception:
        log.exception("webhook: could not record the failed login event")


def connect() -> None:
    user_logged_in.connect(_on_logged_in, dispatch_uid="webhooks-login-succeeded")
    user_login_failed.connect(_on_login_failed, dispatch_uid="webhooks-login-failed")
