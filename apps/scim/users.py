"""The SCIM User resource: representation, filter/sort mapping and writes (through the user services)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Concat, Trim, Upper
from django.db.models.lookups import Exact
from django.utils import timezone

from apps.core.errors import DomainError
from apps.scim import query as sq
from apps.scim.context import ScimContext, iso, json_member, version_of
from apps.scim.errors import invalid_filter, invalid_value
from apps.scim.filters import AttrPath
from apps.scim.patch import DocumentPatcher, PatchOperation
from apps.scim.projection import Projection
from apps.scim.schema import (
    ACCOUNT_STATES,
    CORE_ATTRIBUTE_KEYS,
    DISPLAY_NAME_KEY,
    EMAIL_TYPES,
    EXTERNAL_ID_KEY,
    PHONE_TYPES,
    USER,
    USER_SCHEMA,
    WSO2_SCHEMA,
    Attr,
    email_key,
    match_schema_urn,
    phone_key,
)
from apps.users import services
from apps.users.models import Group, Role, User

ENDPOINT = "Users"
NO_ADDRESS_CODES = ("NTF-60056", "NTF-60057")  # apps.notifications: the user has no email / mobile
State = User.State


# --- representation ----------------------------------------------------------------


def user_queryset(organization: Any, projection: Projection | None = None) -> QuerySet[User]:
    qs = User.objects.for_org(organization)
    if projection is None or projection.wants("groups"):
        qs = qs.prefetch_related("member_groups")
    if projection is None or projection.wants("roles"):
        qs = qs.prefetch_related("roles")
    return qs


def account_locked(user: User) -> bool:
    return user.state == State.LOCKED and (user.locked_until is None or user.locked_until > timezone.now())


def _emails(user: User) -> list[dict[str, Any]]:
    attributes = user.attributes or {}
    out: list[dict[str, Any]] = []
    primary_seen = False
    for kind in EMAIL_TYPES:
        value = attributes.get(email_key(kind))
        if isinstance(value, str) and value:
            primary = bool(user.email) and value.lower() == user.email.lower() and not primary_seen
            primary_seen = primary_seen or primary
            out.append({"value": value, "type": kind, "primary": primary})
    if user.email and not primary_seen:
        out.insert(0, {"value": user.email, "primary": True})
    return out


def _phones(user: User) -> list[dict[str, Any]]:
    attributes = user.attributes or {}
    out = [{"value": user.phone, "type": "mobile"}] if user.phone else []
    for kind in PHONE_TYPES:
        value = attributes.get(phone_key(kind))
        if isinstance(value, str) and value:
            out.append({"value": value, "type": kind})
    return out


def user_to_scim(ctx: ScimContext, user: User, projection: Projection | None = None) -> dict[str, Any]:
    attributes = user.attributes or {}
    name = {"givenName": user.given_name, "familyName": user.family_name}
    name = {k: v for k, v in name.items() if v}
    formatted = f"{user.given_name} {user.family_name}".strip()
    if formatted:
        name["formatted"] = formatted
    doc: dict[str, Any] = {"schemas": [USER_SCHEMA], "id": str(user.id)}
    if attributes.get(EXTERNAL_ID_KEY):
        doc["externalId"] = attributes[EXTERNAL_ID_KEY]
    doc["userName"] = user.username
    if name:
        doc["name"] = name
    doc["displayName"] = attributes.get(DISPLAY_NAME_KEY) or user.display_name
    doc["active"] = user.state != State.DISABLED
    emails, phones = _emails(user), _phones(user)
    if emails:
        doc["emails"] = emails
    if phones:
        doc["phoneNumbers"] = phones
    if projection is None or projection.wants("groups"):
        groups = [
            {"value": str(g.id), "display": g.name, "$ref": ctx.location("Groups", g.id), "type": "direct"}
            for g in user.member_groups.all()
        ]
        if groups:
            doc["groups"] = groups
    if projection is None or projection.wants("roles"):
        roles = [
            {"value": str(r.id), "display": r.name, "$ref": ctx.location("v2/Roles", r.id), "audienceType": r.audience}
            for r in user.roles.all()
        ]
        if roles:
            doc["roles"] = roles
    for urn, schema in ctx.extensions().items():
        part: dict[str, Any] = {}
        if urn == WSO2_SCHEMA:
            part = {
                "accountLocked": account_locked(user),
                "accountDisabled": user.state == State.DISABLED,
                "accountState": ACCOUNT_STATES.get(user.state, user.state.upper()),
            }
            # Addresses waiting for verification before they replace the current ones.
            if attributes.get("pendingEmail"):
                part["pendingEmails"] = [attributes["pendingEmail"]]
            if attributes.get("pendingMobile"):
                part["pendingMobileNumber"] = attributes["pendingMobile"]
        for attr in schema.attributes:
            if attr.storage_key and attr.returned != "never" and attributes.get(attr.storage_key) is not None:
                part[attr.name] = attributes[attr.storage_key]
        if part:
            doc["schemas"].append(urn)
            doc[urn] = part
    doc["meta"] = {
        "resourceType": "User",
        "created": iso(user.created),
        "lastModified": iso(user.last_modified),
        "location": ctx.location(ENDPOINT, user.id),
        "version": version_of(user.last_modified),
    }
    return doc


# --- filtering and sorting -----------------------------------------------------------


def _formatted_name(op: str, value: Any) -> Q:
    expression = Trim(Concat("given_name", Value(" "), "family_name"))
    if op == "pr":
        return ~Q(given_name="") | ~Q(family_name="")
    if not isinstance(value, str):
        raise invalid_filter("name.formatted compares with a string.")
    if op == "eq":
        return Q(Exact(Upper(expression), Upper(Value(value))))
    if op == "ne":
        return ~Q(Exact(Upper(expression), Upper(Value(value))))
    if op == "co":
        return Q(given_name__icontains=value) | Q(family_name__icontains=value)
    if op == "sw":
        return Q(given_name__istartswith=value) | (Q(given_name="") & Q(family_name__istartswith=value))
    if op == "ew":
        return Q(family_name__iendswith=value) | (Q(family_name="") & Q(given_name__iendswith=value))
    raise invalid_filter(f'"{op}" does not apply to name.formatted.')


def _display_name(op: str, value: Any) -> Q:
    stored = sq.Field(json_key=(DISPLAY_NAME_KEY,))
    derived = _formatted_name(op, value) if op != "pr" else sq.MATCH_ALL
    if op == "ne":
        return ~_display_name("eq", value)
    no_stored = ~Q(attributes__has_key=DISPLAY_NAME_KEY)
    return stored.compare(op, value) | (no_stored & derived)


def _boolean_predicate(true_q: Q) -> Any:
    def predicate(op: str, value: Any) -> Q:
        if op == "pr":
            return sq.MATCH_ALL
        if op not in ("eq", "ne") or not isinstance(value, bool):
            raise invalid_filter("A boolean attribute compares with eq/ne true or false.")
        return true_q if (value == (op == "eq")) else ~true_q

    return predicate


def _account_locked_q() -> Q:
    return Q(state=State.LOCKED) & (Q(locked_until__isnull=True) | Q(locked_until__gt=timezone.now()))


def _account_state(op: str, value: Any) -> Q:
    if op == "pr":
        return sq.MATCH_ALL
    if not isinstance(value, str):
        raise invalid_filter("accountState compares with a string.")
    states = [s for s, v in ACCOUNT_STATES.items() if sq._constant_compare(v, op, value) == sq.MATCH_ALL]
    return Q(state__in=states)


def user_resolver(ctx: ScimContext) -> sq.Resolver:
    emails = sq.Slots(
        (
            {"value": sq.Field(column="email"), "type": sq.constant(None), "primary": sq.constant(True)},
            *(
                {
                    "value": sq.Field(json_key=(email_key(kind),)),
                    "type": sq.constant(kind),
                    "primary": sq.constant(False),
                }
                for kind in EMAIL_TYPES
            ),
        )
    )
    phones = sq.Slots(
        (
            {"value": sq.Field(column="phone"), "type": sq.constant("mobile")},
            *({"value": sq.Field(json_key=(phone_key(kind),)), "type": sq.constant(kind)} for kind in PHONE_TYPES),
        )
    )
    membership = Group.members.through
    groups = sq.Related(
        resolver=_flat_resolver({"value": sq.uuid_field("group_id"), "display": sq.Field(column="group__name")}),
        subquery=lambda q: Q(pk__in=membership.objects.filter(q).values("user_id")),
    )
    assignment = Role.users.through
    roles = sq.Related(
        resolver=_flat_resolver({"value": sq.uuid_field("role_id"), "display": sq.Field(column="role__name")}),
        subquery=lambda q: Q(pk__in=assignment.objects.filter(q).values("user_id")),
    )
    core: dict[str, Any] = {
        "id": sq.uuid_field("pk"),
        "externalid": sq.Field(json_key=(EXTERNAL_ID_KEY,), case_exact=True),
        "username": sq.Field(column="username"),
        "name": sq.Complex(
            {
                "givenName": sq.Field(column="given_name"),
                "familyName": sq.Field(column="family_name"),
                "formatted": sq.Field(predicate=_formatted_name),
            }
        ),
        "displayname": sq.Field(predicate=_display_name),
        "active": sq.Field(predicate=_boolean_predicate(~Q(state=State.DISABLED))),
        "emails": emails,
        "phonenumbers": phones,
        "groups": groups,
        "roles": roles,
        "meta": _meta_fields("User"),
    }
    extensions = ctx.extensions()

    def resolve(path: AttrPath) -> Any:
        if path.schema is None or path.schema.lower() == USER_SCHEMA.lower():
            target = core.get(path.attr.lower())
            if target is None:
                raise invalid_filter(f"Unknown or unfilterable attribute {path}.")
            return target
        urn = match_schema_urn(path.schema, list(extensions))
        if urn is None:
            raise invalid_filter(f"Unknown schema {path.schema}.")
        if urn == WSO2_SCHEMA:
            owned = {
                "accountlocked": sq.Field(predicate=_boolean_predicate(_account_locked_q())),
                "accountdisabled": sq.Field(predicate=_boolean_predicate(Q(state=State.DISABLED))),
                "accountstate": sq.Field(predicate=_account_state),
                # addresses waiting for verification (apps.notifications)
                "pendingemails": sq.Field(json_key=("pendingEmail",)),
                "pendingmobilenumber": sq.Field(json_key=("pendingMobile",)),
            }.get(path.attr.lower())
            if owned is not None:
                return owned
        attr = extensions[urn].attr(path.attr)
        if attr is None or attr.storage_key is None or attr.returned == "never":
            raise invalid_filter(f"Unknown or unfilterable attribute {path}.")
        return extension_field(attr)

    return resolve


def extension_field(attr: Attr) -> Any:
    if attr.type == "complex":
        return sq.Complex(
            {
                sub.name: sq.Field(kind=sub.type, json_key=(attr.storage_key, sub.name), case_exact=sub.case_exact)
                for sub in attr.sub_attributes
            },
            default="value",
        )
    return sq.Field(
        kind=attr.type, json_key=(attr.storage_key,), case_exact=attr.case_exact, multi_valued=attr.multi_valued
    )


def _flat_resolver(fields: dict[str, sq.Field]) -> sq.Resolver:
    lowered = {k.lower(): v for k, v in fields.items()}

    def resolve(path: AttrPath) -> sq.Field:
        target = lowered.get(path.attr.lower())
        if target is None or path.schema is not None:
            raise invalid_filter(f"Unknown attribute {path}.")
        return target

    return resolve


def _meta_fields(resource_type: str) -> sq.Complex:
    return sq.Complex(
        {
            "created": sq.Field(kind="dateTime", column="created"),
            "lastModified": sq.Field(kind="dateTime", column="last_modified"),
            "resourceType": sq.constant(resource_type),
        }
    )


SORT_FIELDS = {
    "id": "id",
    "username": "username",
    "name.givenname": "given_name",
    "name.familyname": "family_name",
    "displayname": "given_name",
    "emails": "email",
    "emails.value": "email",
    "phonenumbers": "phone",
    "phonenumbers.value": "phone",
    "meta.created": "created",
    "meta.lastmodified": "last_modified",
}


# --- writes --------------------------------------------------------------------------


_FLAGS = ("active", "accountLocked", "accountDisabled", "askPassword", "verifyEmail", "forcePasswordReset")


@dataclass
class UserWrite:
    """A SCIM User document reduced to what the user services store."""

    username: Any = None
    email: str = ""
    given_name: str = ""
    family_name: str = ""
    phone: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)  # the SCIM-owned keys of User.attributes
    password: Any = None
    flags: dict[str, bool] = field(default_factory=dict)


def _text(value: Any, name: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise invalid_value(f"{name} must be a string.")
    return value


def _boolean(value: Any, name: str) -> bool | None:
    if value is None:
        return None
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"  # some provisioning clients send booleans as strings
    if not isinstance(value, bool):
        raise invalid_value(f"{name} must be true or false.")
    return value


def _typed_values(value: Any, name: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise invalid_value(f"{name} must be a list.")
    out = []
    for item in value:
        if isinstance(item, str):
            item = {"value": item}
        if not isinstance(item, dict):
            raise invalid_value(f"Each of {name} must be an object with a value.")
        out.append(
            {
                "value": _text(json_member(item, "value"), f"{name}.value"),
                "type": _text(json_member(item, "type"), f"{name}.type").lower(),
                "primary": bool(_boolean(json_member(item, "primary"), f"{name}.primary")),
            }
        )
    return [item for item in out if item["value"]]


def _place_emails(write: UserWrite, value: Any) -> None:
    items = _typed_values(value, "emails")
    primaries = [item for item in items if item["primary"]]
    if len(primaries) > 1:
        raise invalid_value("Only one email may be primary.")
    primary = primaries[0] if primaries else (items[0] if items else None)
    write.email = primary["value"] if primary else ""
    for item in items:
        kind = item["type"]
        if not kind:
            if item is primary:
                continue
            kind = "other"
        if kind not in EMAIL_TYPES:
            raise invalid_value(f"Email type must be one of {', '.join(EMAIL_TYPES)}.")
        if email_key(kind) in write.attributes:
            raise invalid_value(f"Only one {kind} email is supported.")
        write.attributes[email_key(kind)] = item["value"]


def _place_phones(write: UserWrite, value: Any) -> None:
    for item in _typed_values(value, "phoneNumbers"):
        kind = item["type"] or ("mobile" if not write.phone else "other")
        if kind == "mobile":
            if write.phone:
                raise invalid_value("Only one mobile number is supported.")
            write.phone = item["value"]
            continue
        if kind not in PHONE_TYPES:
            raise invalid_value(f"Phone number type must be one of mobile, {', '.join(PHONE_TYPES)}.")
        if phone_key(kind) in write.attributes:
            raise invalid_value(f"Only one {kind} phone number is supported.")
        write.attributes[phone_key(kind)] = item["value"]


def document_to_write(ctx: ScimContext, doc: Any) -> UserWrite:
    """Read a User document (POST/PUT body or a patched representation); read-only attributes are ignored."""
    if not isinstance(doc, dict):
        raise invalid_value("The request body must be a JSON object.")
    write = UserWrite(username=json_member(doc, "userName"))
    name = json_member(doc, "name")
    if name is not None and not isinstance(name, dict):
        raise invalid_value("name must be an object.")
    write.given_name = _text(json_member(name, "givenName"), "name.givenName")
    write.family_name = _text(json_member(name, "familyName"), "name.familyName")
    for key, attr_name in ((DISPLAY_NAME_KEY, "displayName"), (EXTERNAL_ID_KEY, "externalId")):
        value = _text(json_member(doc, attr_name), attr_name)
        if value:
            write.attributes[key] = value
    _place_emails(write, json_member(doc, "emails"))
    _place_phones(write, json_member(doc, "phoneNumbers"))
    password = json_member(doc, "password")
    if password is not None:
        write.password = password
    active = _boolean(json_member(doc, "active"), "active")
    if active is not None:
        write.flags["active"] = active
    extensions = ctx.extensions()
    for key, value in doc.items():
        urn = match_schema_urn(key, list(extensions)) if isinstance(key, str) else None
        if urn is None:
            continue
        if not isinstance(value, dict):
            raise invalid_value(f"{key} must be an object.")
        for attr_name, attr_value in value.items():
            attr = extensions[urn].attr(attr_name)
            if attr is None:
                continue  # unknown attributes are ignored, as for the core schema
            if attr.name in _FLAGS:
                flag = _boolean(attr_value, attr.name)
                if flag is not None:
                    write.flags[attr.name] = flag
            elif attr.storage_key and attr.mutability not in ("readOnly",) and attr_value is not None:
                write.attributes[attr.storage_key] = attr_value
    return write


def owned_attribute_keys(ctx: ScimContext) -> set[str]:
    keys = set(CORE_ATTRIBUTE_KEYS)
    for schema in ctx.extensions().values():
        keys.update(a.storage_key for a in schema.attributes if a.storage_key and a.mutability != "readOnly")
    return keys


def _target_state(user: User | None, flags: dict[str, bool], current: dict[str, bool]) -> str | None:
    """The account state the flags ask for, or None when they ask for no change."""
    changed = {k: v for k, v in flags.items() if current.get(k) != v}
    if not changed:
        return None
    state = user.state if user is not None else State.ACTIVE
    if changed.get("active") is False or changed.get("accountDisabled") is True:
        return State.DISABLED
    if (changed.get("active") is True or changed.get("accountDisabled") is False) and state == State.DISABLED:
        state = State.ACTIVE
    if changed.get("accountLocked") is True:
        return State.LOCKED
    if changed.get("accountLocked") is False and state == State.LOCKED:
        state = State.ACTIVE
    if changed.get("forcePasswordReset"):
        return State.PENDING_PASSWORD_RESET
    if user is None and changed.get("askPassword"):
        return State.PENDING_ASK_PASSWORD
    if user is None and changed.get("verifyEmail"):
        return State.PENDING_EMAIL_VERIFICATION
    return state if user is None or state != user.state else None


def _current_flags(user: User) -> dict[str, bool]:
    return {
        "active": user.state != State.DISABLED,
        "accountDisabled": user.state == State.DISABLED,
        "accountLocked": account_locked(user),
        "askPassword": False,
        "verifyEmail": False,
        "forcePasswordReset": False,
    }


@transaction.atomic
def scim_user_create(ctx: ScimContext, body: Any) -> User:
    write = document_to_write(ctx, body)
    if write.username is None:
        raise invalid_value("userName is required.")
    user = services.user_create(
        actor=ctx.actor,
        organization=ctx.organization,
        username=write.username,
        password=write.password,
        email=write.email,
        given_name=write.given_name,
        family_name=write.family_name,
        phone=write.phone,
        attributes=write.attributes,
    )
    state = _target_state(None, write.flags, {"active": True, "accountDisabled": False, "accountLocked": False})
    if state is not None and state != State.ACTIVE:
        user = services.user_set_state(actor=ctx.actor, user=user, state=state)
    # WSO2's transient triggers: invite to set a password, or verify the email address
    # (channel per the organization's settings; apps.notifications).
    try:
        if state == State.PENDING_ASK_PASSWORD:
            from apps.notifications.services.lifecycle import user_invite

            user_invite(actor=ctx.actor, user=user)
        elif state == State.PENDING_EMAIL_VERIFICATION:
            from apps.notifications.services.verification import email_verification_start

            email_verification_start(actor=ctx.actor, user=user)
    except DomainError as exc:
        if exc.code not in NO_ADDRESS_CODES:
            raise
        # No email address / mobile number for the channel yet: the account stays pending and the
        # Console (or resend-code) sends once an address is added.
    return user


@transaction.atomic
def scim_user_replace(ctx: ScimContext, user: User, body: Any) -> User:
    """PUT: the document replaces every writable attribute (absent ones are cleared)."""
    return _write_back(ctx, user, document_to_write(ctx, body))


@transaction.atomic
def scim_user_patch(ctx: ScimContext, user: User, operations: list[PatchOperation]) -> User:
    current = user_to_scim(ctx, user)
    current.pop("meta", None)
    patched = DocumentPatcher(current, USER, ctx.extensions()).apply(operations)
    if DISPLAY_NAME_KEY not in (user.attributes or {}) and patched.get("displayName") == current.get("displayName"):
        patched.pop("displayName", None)  # derived from the name parts, not stored
    return _write_back(ctx, user, document_to_write(ctx, patched))


def _write_back(ctx: ScimContext, user: User, write: UserWrite) -> User:
    if write.username is None:
        raise invalid_value("userName is required.")
    owned = owned_attribute_keys(ctx)
    attributes = {k: v for k, v in (user.attributes or {}).items() if k not in owned}
    attributes.update(write.attributes)
    changes: dict[str, Any] = {}
    for name, value in (
        ("username", write.username),
        ("email", write.email),
        ("given_name", write.given_name),
        ("family_name", write.family_name),
        ("phone", write.phone),
        ("attributes", attributes),
    ):
        if getattr(user, name) != value:
            changes[name] = value
    if changes and getattr(ctx.actor, "pk", None) == user.pk:
        # /Me: a new email or mobile is verified before it replaces the old one (apps.notifications).
        from apps.notifications.services.verification import profile_update_by_owner

        user, _sent = profile_update_by_owner(user=user, changes=changes)
    elif changes:
        user = services.user_update(actor=ctx.actor, user=user, **changes)
    if write.password is not None:
        services.user_set_password(actor=ctx.actor, user=user, password=write.password)
    state = _target_state(user, write.flags, _current_flags(user))
    if state == State.PENDING_PASSWORD_RESET:
        # forcePasswordReset: the reset link or code goes out by the organization's channel.
        from apps.notifications.services.lifecycle import password_reset_force

        password_reset_force(actor=ctx.actor, user=user)
        user.refresh_from_db()
    elif state is not None:
        user = services.user_set_state(actor=ctx.actor, user=user, state=state)
    return User.objects.prefetch_related("member_groups", "roles").get(pk=user.pk)
