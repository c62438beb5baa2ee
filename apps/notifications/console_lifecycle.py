"""Console actions on a user's lifecycle: invite to set a password, force a password reset,
resend a pending code or link (one user, or many from the user list). Thin: parse, call the
services, say what happened."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from apps.console.access import console_view
from apps.core.errors import DomainError
from apps.notifications.models import PasswordSetupMethod
from apps.notifications.services.lifecycle import Delivery, password_reset_force, pending_resend, user_invite
from apps.notifications.services.settings import notification_settings_get
from apps.notifications.services.verification import (
    PENDING_EMAIL,
    PENDING_MOBILE,
    email_verification_pending,
    mobile_verification_pending,
)
from apps.users.models import User
from apps.users.selectors import user_get

BULK_LIMIT = 200


def lifecycle_context(user: User) -> dict[str, Any]:
    """What the user detail page shows about pending journeys and offers to do."""
    config = notification_settings_get(organization=user.organization)
    attributes = user.attributes or {}
    pending = user.state in (User.State.PENDING_ASK_PASSWORD, User.State.PENDING_PASSWORD_RESET)
    return {
        "setup_methods": PasswordSetupMethod.choices,
        "default_invite_method": config.ask_password_method,
        "default_reset_method": config.admin_reset_method,
        "pending_email": attributes.get(PENDING_EMAIL, ""),
        "pending_mobile": attributes.get(PENDING_MOBILE, ""),
        "can_resend": pending or email_verification_pending(user) or mobile_verification_pending(user),
    }


def _user(request: HttpRequest, user_id: uuid.UUID) -> User:
    user = user_get(organization=request.organization, user_id=user_id)
    if user is None:
        raise Http404
    return user


def _method(request: HttpRequest) -> str | None:
    value = request.POST.get("method", "")
    return value if value in PasswordSetupMethod.values else None


def _report(request: HttpRequest, user: User, delivery: Delivery, done: str) -> None:
    if delivery.code is not None:
        messages.warning(
            request,
            _("%(done)s One-time code for “%(name)s”: %(code)s — hand it over securely; it is shown only once.")
            % {"done": done, "name": user.username, "code": delivery.code},
        )
    else:
        messages.success(request, f"{done} ({delivery.masked_recipient})")


def invite_user_created(request: HttpRequest, user: User, method: str) -> None:
    """The Console's "New user" with an invitation (called inside the creating transaction)."""
    delivery = user_invite(actor=request.user, user=user, method=method)
    _report(request, user, delivery, _("Invitation to set a password sent."))


@require_POST
@console_view("internal_user_mgt_update")
def user_invite_view(request: HttpRequest, user_id: uuid.UUID) -> HttpResponse:
    user = _user(request, user_id)
    try:
        delivery = user_invite(actor=request.user, user=user, method=_method(request))
    except DomainError as exc:
        messages.error(request, exc.description if exc.description != exc.message else exc.message)
    else:
        _report(request, user, delivery, _("Invitation to set a password sent."))
    return redirect("console:user-detail", user_id=user.pk)


@require_POST
@console_view("internal_user_mgt_update")
def user_force_reset_view(request: HttpRequest, user_id: uuid.UUID) -> HttpResponse:
    user = _user(request, user_id)
    if user.pk == request.user.pk:
        messages.error(request, _("Change your own password in My Account."))
        return redirect("console:user-detail", user_id=user.pk)
    try:
        delivery = password_reset_force(actor=request.user, user=user, method=_method(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        _report(request, user, delivery, _("Password reset forced: the current password no longer works."))
    return redirect("console:user-detail", user_id=user.pk)


@require_POST
@console_view("internal_user_mgt_update")
def user_resend_view(request: HttpRequest, user_id: uuid.UUID) -> HttpResponse:
    user = _user(request, user_id)
    try:
        delivery = pending_resend(actor=request.user, user=user)
    except DomainError as exc:
        messages.error(request, f"{exc.message} {exc.description if exc.description != exc.message else ''}")
    else:
        _report(request, user, delivery, _("Sent again."))
    return redirect("console:user-detail", user_id=user.pk)


@require_POST
@console_view("internal_user_mgt_update")
def users_bulk_resend_view(request: HttpRequest) -> HttpResponse:
    """Resend to every selected user that waits for a code or link; the others are counted, not failed."""
    ids = request.POST.getlist("user")[:BULK_LIMIT]
    sent, skipped, failed = 0, 0, []
    for value in ids:
        user = user_get(organization=request.organization, user_id=value)
        if user is None:
            continue
        try:
            delivery = pending_resend(actor=request.user, user=user)
        except DomainError as exc:
            if exc.code == "NTF-60070":
                skipped += 1
            else:
                failed.append(f"{user.username}: {exc.message}")
            continue
        sent += 1
        if delivery.code is not None:
            _report(request, user, delivery, _("Sent again."))
    if sent:
        messages.success(
            request, ngettext("Sent again to %(n)d user.", "Sent again to %(n)d users.", sent) % {"n": sent}
        )
    if skipped:
        messages.info(
            request,
            ngettext(
                "%(n)d selected user was not waiting for anything.",
                "%(n)d selected users were not waiting for anything.",
                skipped,
            )
            % {"n": skipped},
        )
    for line in failed:
        messages.error(request, line)
    if not ids:
        messages.error(request, _("Select the users to send to again."))
    back = request.POST.get("back", "")
    query = back if back.startswith("?") and len(back) < 500 else ""
    return HttpResponseRedirect(reverse("console:user-list") + query)
