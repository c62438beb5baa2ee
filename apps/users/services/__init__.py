"""Every write to users, groups and roles, and password checks.

Rules that live here and nowhere else:

* usernames are NFC-normalised, 1-150 characters, no whitespace or control
  characters, and unique per organization ignoring case;
* passwords pass Django's validators and are hashed with Argon2id;
* an id passed in (group members, role permissions, ...) must belong to the
  same organization, or the whole change is refused.
"""

from apps.users.services.groups import group_create, group_delete, group_update
from apps.users.services.roles import role_create, role_delete, role_update
from apps.users.services.users import (
    USER_EDITABLE_FIELDS,
    user_check_password,
    user_create,
    user_delete,
    user_set_password,
    user_set_state,
    user_update,
)
from apps.users.services.validation import normalize_username

__all__ = [
    "USER_EDITABLE_FIELDS",
    "group_create",
    "group_delete",
    "group_update",
    "normalize_username",
    "role_create",
    "role_delete",
    "role_update",
    "user_check_password",
    "user_create",
    "user_delete",
    "user_set_password",
    "user_set_state",
    "user_update",
]
