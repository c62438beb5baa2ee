"""First-factor password check with account lockout.

Every failure reason (unknown user, wrong password, locked, disabled) is
reported to the caller for audit, but the portal shows one message for all of
them, and the hasher runs for unknown users so timing reveals nothing."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils import timezone

from apps.authn.models import AccountLockout
from apps.authn.services.events import auth_event
from apps.authn.services.settings import login_settings_for
from apps.core.errors import DomainError, InvalidInput
from apps.users.models import User
from apps.users.services import normalize_username, user_set_state

log = logging.getLogger(__name__)
_DUMMY_HASH: list[str] = []


@dataclass(frozen=True)
class PasswordCheck:
    user: User | None  # the account the username names, even when the check failed
    reason: str = ""  # "" | unknown_user | wrong_password | locked | disabled | inactive

    @property
    def ok(self) -> bool:
        return not self.reason


def user_find(*, organization: Any, username: str) -> User | None:
    try:
        username = normalize_username(username)
    except InvalidInput:
        return None
    if not username:
        return None
    return (
        User.objects.select_related("organization")
        .filter(organization_id=organization.pk, username__iexact=username)
        .first()
    )


def password_authenticate(*, organization: Any, username: str, password: str) -> PasswordCheck:
    """Check a username and password; counts failures and locks the account at the threshold."""
    user = user_find(organization=organization, username=username)
    if user is None:
        if not _DUMMY_HASH:
            _DUMMY_HASH.append(make_password("dummy-password-for-timing"))
        check_password(password, _DUMMY_HASH[0])
        return PasswordCheck(None, "unknown_user")
    correct = user.check_password(password)
    if user.state == User.State.LOCKED and user.locked_until and user.locked_until <= timezone.now():
        user = user_set_state(actor=None, user=user, state=User.State.ACTIVE)
    if user.state == User.State.LOCKED:
        return PasswordCheck(user, "locked")
    if user.state in (User.State.PENDING_ASK_PASSWORD, User.State.PENDING_PASSWORD_RESET):
        # Invited or forced to reset: the password no longer works; the one-time code that was
        # sent does, once, and the sign-in continues with "set your password" (apps.notifications).
        from apps.notifications.services.lifecycle import pending_password_otp_check

        if pending_password_otp_check(user=user, code=password):
            return PasswordCheck(user)
        return PasswordCheck(user, "pending_password_setup")
    if not correct:
        failure_record(user=user)
        user.refresh_from_db(fields=["state", "locked_until"])
        return PasswordCheck(user, "locked" if user.state == User.State.LOCKED else "wrong_password")
    if user.state == User.State.DISABLED:
        return PasswordCheck(user, "disabled")
    if not user.is_active or not user.organization.is_active:
        return PasswordCheck(user, "inactive")
    AccountLockout.objects.filter(user=user, failed_attempts__gt=0).update(failed_attempts=0)
    return PasswordCheck(user)


@transaction.atomic
def failure_record(*, user: User) -> bool:
    """Count a failed attempt; at the threshold lock the account. True when this failure locked it."""
    policy = login_settings_for(user.organization)
    counter, _created = AccountLockout.objects.select_for_update().get_or_create(user=user)
    counter.failed_attempts += 1
    counter.last_failure = timezone.now()
    locked = False
    if policy.lockout_enabled and counter.failed_attempts >= policy.lockout_max_failures:
        minutes = policy.lockout_minutes * policy.lockout_factor**counter.lock_count
        counter.lock_count += 1
        counter.failed_attempts = 0
        user_set_state(actor=None, user=user, state=User.State.LOCKED, lock_minutes=minutes)
        notified = policy.notify_on_lock and lock_notification_send(user=user, lock_minutes=minutes)
        auth_event(
            "account.locked",
            user=user,
            organization=user.organization,
            actor=None,
            data={
                "lockMinutes": minutes,
                "lockCount": counter.lock_count,
                "notify": policy.notify_on_lock,
                "notified": notified,
            },
        )
        locked = True
    counter.save()
    return locked


def lock_notification_send(*, user: User, lock_minutes: int) -> bool:
    """Email the user that the account is locked (template ``account_locked``); False when it cannot be sent.

    Queued in the lock's transaction, sent by the notifications worker after commit. Never fails the
    sign-in: no address or an unusable one only means no email."""
    if not user.email:
        return False
    from apps.notifications.services import notification_send

    try:
        notification_send(
            organization=user.organization,
            channel="email",
            template_type="account_locked",
            recipient=user.email,
            context={"user_name": user.display_name, "lock_minutes": lock_minutes},
        )
    except DomainError:
        log.warning("lockout: could not queue the lock notification of user %s", user.pk, exc_info=True)
        return False
    return True


@transaction.atomic
def account_unlock(*, actor: Any, user: User) -> User:
    """An administrator lifts a lock; the failure counters start again (the lock time backs off again too)."""
    user = user_set_state(actor=actor, user=user, state=User.State.ACTIVE)
    AccountLockout.objects.filter(user=user).update(failed_attempts=0, lock_count=0)
    auth_event("account.unlocked", user=user, organization=user.organization, actor=actor)
    return user
