"""Password policy: length, character classes, history and expiry from the login settings."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.hashers import check_password
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from apps.authn.models import PasswordHistory
from apps.authn.services.settings import login_settings_for
from apps.core.errors import InvalidInput

_CODE = "UMG-60004"  # the users API's "password rejected" code, so clients see one code for it


def _count(password: str, test: Any) -> int:
    return sum(1 for char in password if test(char))


def password_policy_check(organization: Any, password: str, user: Any = None) -> None:
    """Raise ``InvalidInput`` when ``password`` breaks the organization's policy.

    For an existing user the new password must differ from the current one and
    the last ``history_count`` ones; the current hash then joins the history,
    inside the caller's transaction, so its time marks the change."""
    policy = login_settings_for(organization)
    problems: list[str] = []
    if len(password) < policy.password_min_length:
        problems.append(_("Use at least %(n)d characters.") % {"n": policy.password_min_length})
    if len(password) > policy.password_max_length:
        problems.append(_("Use at most %(n)d characters.") % {"n": policy.password_max_length})
    classes = (
        (policy.password_min_upper, str.isupper, "uppercase letter", "uppercase letters"),
        (policy.password_min_lower, str.islower, "lowercase letter", "lowercase letters"),
        (policy.password_min_digits, str.isdigit, "digit", "digits"),
        (policy.password_min_special, lambda c: not c.isalnum(), "special character", "special characters"),
    )
    for minimum, test, singular, plural in classes:
        if minimum and _count(password, test) < minimum:
            problems.append(
                ngettext(f"Use at least %(n)d {singular}.", f"Use at least %(n)d {plural}.", minimum) % {"n": minimum}
            )
    if problems:
        raise InvalidInput(_CODE, " ".join(problems), field="password")
    existing = user is not None and user.pk is not None and not user._state.adding
    if not existing:
        return
    current_hash = type(user).objects.filter(pk=user.pk).values_list("password", flat=True).first() or ""
    if policy.password_history_count:
        earlier_hashes = PasswordHistory.objects.filter(user_id=user.pk).values_list("password_hash", flat=True)
        recent = [current_hash, *earlier_hashes[: policy.password_history_count - 1]]
        if any(earlier and check_password(password, earlier) for earlier in recent):
            message = ngettext(
                "Choose a password you have not used for your last %(n)d password.",
                "Choose a password you have not used for your last %(n)d passwords.",
                policy.password_history_count,
            ) % {"n": policy.password_history_count}
            raise InvalidInput(_CODE, message, field="password")
    if current_hash:
        PasswordHistory.objects.create(user_id=user.pk, password_hash=current_hash)


def password_changed_at(user: Any) -> Any:
    latest = PasswordHistory.objects.filter(user_id=user.pk).values_list("created", flat=True).first()
    return latest or user.created


def password_expired(user: Any) -> bool:
    """True when the organization's expiry is on and the password is older than it."""
    days = login_settings_for(user.organization).password_expiry_days
    return bool(days) and timezone.now() - password_changed_at(user) > timedelta(days=days)
