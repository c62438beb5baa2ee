"""Reads of users, groups, roles and what a principal is allowed to do."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from apps.applications.models import Scope
from apps.core.ids import parse_uuid
from apps.users.models import Group, Role, User


def user_scope_names(*, user: User) -> frozenset[str]:
    """Scopes granted by the organization roles of ``user`` (directly or through groups)."""
    cached = getattr(user, "_scope_names_cache", None)
    if cached is not None:
        return cached
    roles = Role.objects.filter(organization_id=user.organization_id, audience=Role.Audience.ORGANIZATION).filter(
        Q(users=user) | Q(groups__members=user)
    )
    names = frozenset(Scope.objects.filter(roles__in=roles).values_list("name", flat=True).distinct())
    user._scope_names_cache = names
    return names


PENDING_MOBILE_VERIFICATION = "pending_mobile_verification"
# The account filters of the Console user list: the states, plus verification of a new (or
# unverified) email address or mobile number, which apps.notifications keeps in ``attributes``.
ACCOUNT_FILTERS: tuple[tuple[str, str], ...] = (
    (User.State.PENDING_PASSWORD_RESET, User.State.PENDING_PASSWORD_RESET.label),
    (User.State.PENDING_ASK_PASSWORD, User.State.PENDING_ASK_PASSWORD.label),
    (User.State.PENDING_EMAIL_VERIFICATION, User.State.PENDING_EMAIL_VERIFICATION.label),
    (PENDING_MOBILE_VERIFICATION, _("Pending mobile verification")),
    (User.State.LOCKED, User.State.LOCKED.label),
    (User.State.DISABLED, User.State.DISABLED.label),
    (User.State.ACTIVE, User.State.ACTIVE.label),
    (User.State.PENDING_ADMIN_APPROVAL, User.State.PENDING_ADMIN_APPROVAL.label),
)


def account_filter_q(value: str) -> Q | None:
    """The condition behind one of ``ACCOUNT_FILTERS`` (None for an unknown value)."""
    if value == User.State.PENDING_EMAIL_VERIFICATION:
        return Q(state=value) | Q(attributes__has_key="pendingEmail")
    if value == PENDING_MOBILE_VERIFICATION:
        return Q(attributes__has_key="pendingMobile") | (~Q(phone="") & Q(attributes__phoneVerified=False))
    if value in User.State.values:
        return Q(state=value)
    return None


def user_list(*, organization: Any, search: str = "", state: str = "") -> QuerySet[User]:
    qs = User.objects.for_org(organization)
    if search:
        qs = qs.filter(
            Q(username__icontains=search)
            | Q(email__icontains=search)
            | Q(given_name__icontains=search)
            | Q(family_name__icontains=search)
        )
    if state:
        condition = account_filter_q(state)
        qs = qs.filter(condition) if condition is not None else qs.none()  # an unknown state matches nobody
    return qs.order_by("username")


def user_get(*, organization: Any, user_id: Any) -> User | None:
    pk = parse_uuid(user_id)
    return None if pk is None else User.objects.for_org(organization).filter(pk=pk).first()


def group_list(*, organization: Any, search: str = "") -> QuerySet[Group]:
    qs = Group.objects.for_org(organization)
    if search:
        qs = qs.filter(name__icontains=search)
    return qs.order_by("name")


def group_get(*, organization: Any, group_id: Any) -> Group | None:
    pk = parse_uuid(group_id)
    return None if pk is None else Group.objects.for_org(organization).filter(pk=pk).first()


def role_list(*, organization: Any, search: str = "") -> QuerySet[Role]:
    qs = Role.objects.for_org(organization)
    if search:
        qs = qs.filter(name__icontains=search)
    return qs.order_by("name")


def role_get(*, organization: Any, role_id: Any) -> Role | None:
    pk = parse_uuid(role_id)
    return None if pk is None else Role.objects.for_org(organization).filter(pk=pk).first()
