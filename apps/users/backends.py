"""Password authentication within one organization (usernames are per organization)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from apps.users.models import User
from apps.users.services import user_check_password


class OrganizationUserBackend:
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        organization: Any = None,
        **kwargs: Any,
    ) -> User | None:
        organization = organization or getattr(request, "organization", None)
        if organization is None or not username or password is None:
            return None
        return user_check_password(organization=organization, username=username, password=password)

    def get_user(self, user_id: Any) -> User | None:
        return User.objects.select_related("organization").filter(pk=user_id).first()
