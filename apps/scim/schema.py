"""SCIM schemas (RFC 7643) as this server implements them, and where each User attribute is stored.

Core User mapping (fixed):

==========================  ======================================================
``userName``                ``User.username``
``name.givenName``          ``User.given_name``
``name.familyName``         ``User.family_name``
``name.formatted``          derived ("given family"), read-only
``displayName``             ``User.attributes["displayName"]``, else derived
``externalId``              ``User.attributes["externalId"]``
``emails``                  primary → ``User.email``; typed (work/home/other) →
                            ``User.attributes["emails.<type>"]``
``phoneNumbers``            mobile → ``User.phone``; work/home/other →
                            ``User.attributes["phoneNumbers.<type>"]``
``active``                  ``User.state != disabled``
``groups`` / ``roles``      memberships / role assignments, read-only
``meta``                    created, lastModified, version (weak ETag), location
==========================  ======================================================

The WSO2 extension's account-state attributes (``accountLocked``, ``accountDisabled``,
``accountState``) are derived from ``User.state``/``locked_until``. Enterprise and custom
extension attributes come from the attribute definitions (``apps.attributes``) and are stored in
``User.attributes`` under their storage keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ROLE_SCHEMA = "urn:ietf:params:scim:schemas:extension:2.0:Role"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
WSO2_SCHEMA = "urn:scim:wso2:schema"
CUSTOM_SCHEMA = "urn:scim:schemas:extension:custom:User"
EXTENSION_SCHEMAS = (ENTERPRISE_SCHEMA, WSO2_SCHEMA, CUSTOM_SCHEMA)

LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
BULK_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
SEARCH_REQUEST = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
SPC_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"

# Keys of User.attributes that the core mapping owns.
DISPLAY_NAME_KEY = "displayName"
EXTERNAL_ID_KEY = "externalId"
EMAIL_TYPES = ("work", "home", "other")
PHONE_TYPES = ("work", "home", "other")


def email_key(kind: str) -> str:
    return f"emails.{kind}"


def phone_key(kind: str) -> str:
    return f"phoneNumbers.{kind}"


CORE_ATTRIBUTE_KEYS = frozenset(
    {DISPLAY_NAME_KEY, EXTERNAL_ID_KEY, *(email_key(t) for t in EMAIL_TYPES), *(phone_key(t) for t in PHONE_TYPES)}
)

# User.State → the WSO2 accountState claim value.
ACCOUNT_STATES = {
    "active": "UNLOCKED",
    "locked": "LOCKED",
    "disabled": "DISABLED",
    "pending_email_verification": "PENDING_EV",
    "pending_password_reset": "PENDING_FUPR",
    "pending_ask_password": "PENDING_AP",
    "pending_admin_approval": "PENDING_SR",
}

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100
MAX_BULK_OPERATIONS = 1000
MAX_BULK_PAYLOAD = 4 * 1024 * 1024
MAX_FILTER_RESULTS = MAX_PAGE_SIZE


@dataclass(frozen=True)
class Attr:
    """One attribute definition of a SCIM schema (RFC 7643 §7)."""

    name: str
    type: str = "string"
    multi_valued: bool = False
    required: bool = False
    case_exact: bool = False
    mutability: str = "readWrite"
    returned: str = "default"
    uniqueness: str = "none"
    description: str = ""
    canonical_values: tuple[str, ...] = ()
    sub_attributes: tuple[Attr, ...] = ()
    reference_types: tuple[str, ...] = ()
    storage_key: str | None = None  # extension attributes: key in User.attributes

    def sub(self, name: str) -> Attr | None:
        lowered = name.lower()
        return next((a for a in self.sub_attributes if a.name.lower() == lowered), None)

    def to_scim(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "multiValued": self.multi_valued,
            "description": self.description or self.name,
            "required": self.required,
            "caseExact": self.case_exact,
            "mutability": self.mutability,
            "returned": self.returned,
            "uniqueness": self.uniqueness,
        }
        if self.canonical_values:
            body["canonicalValues"] = list(self.canonical_values)
        if self.reference_types:
            body["referenceTypes"] = list(self.reference_types)
        if self.sub_attributes:
            body["subAttributes"] = [a.to_scim() for a in self.sub_attributes]
        return body


@dataclass(frozen=True)
class Schema:
    id: str
    name: str
    description: str
    attributes: tuple[Attr, ...] = field(default_factory=tuple)

    def attr(self, name: str) -> Attr | None:
        lowered = name.lower()
        return next((a for a in self.attributes if a.name.lower() == lowered), None)

    def to_scim(self, location: str) -> dict[str, Any]:
        return {
            "schemas": [SCHEMA_SCHEMA],
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "attributes": [a.to_scim() for a in self.attributes],
            "meta": {"resourceType": "Schema", "location": location},
        }


def _ref(name: str, types: tuple[str, ...]) -> Attr:
    return Attr(name, "reference", mutability="readOnly", reference_types=types, description="URI of the resource")


_META = Attr(
    "meta",
    "complex",
    mutability="readOnly",
    sub_attributes=(
        Attr("resourceType", mutability="readOnly", case_exact=True),
        Attr("created", "dateTime", mutability="readOnly"),
        Attr("lastModified", "dateTime", mutability="readOnly"),
        Attr("location", "reference", mutability="readOnly", reference_types=("uri",)),
        Attr("version", mutability="readOnly", case_exact=True),
    ),
)
_ID = Attr("id", mutability="readOnly", returned="always", uniqueness="server", case_exact=True)

USER = Schema(
    USER_SCHEMA,
    "User",
    "User Account",
    (
        _ID,
        Attr("externalId", case_exact=True, description="Identifier of the user in the provisioning client"),
        Attr("userName", required=True, uniqueness="server", description="Unique identifier used to sign in"),
        Attr(
            "name",
            "complex",
            sub_attributes=(
                Attr("formatted", mutability="readOnly", description="Full name, derived from the name parts"),
                Attr("familyName"),
                Attr("givenName"),
            ),
        ),
        Attr("displayName"),
        Attr("active", "boolean", description="False when the account is disabled"),
        Attr("password", mutability="writeOnly", returned="never", case_exact=True),
        Attr(
            "emails",
            "complex",
            multi_valued=True,
            description=f"The primary address, and one address per type ({', '.join(EMAIL_TYPES)})",
            sub_attributes=(
                Attr("value"),
                Attr("type", canonical_values=EMAIL_TYPES),
                Attr("primary", "boolean"),
            ),
        ),
        Attr(
            "phoneNumbers",
            "complex",
            multi_valued=True,
            description="One number per type (mobile, work, home, other)",
            sub_attributes=(Attr("value"), Attr("type", canonical_values=("mobile", *PHONE_TYPES))),
        ),
        Attr(
            "groups",
            "complex",
            multi_valued=True,
            mutability="readOnly",
            sub_attributes=(
                Attr("value", mutability="readOnly", case_exact=True),
                _ref("$ref", ("Group",)),
                Attr("display", mutability="readOnly"),
                Attr("type", mutability="readOnly", canonical_values=("direct",)),
            ),
        ),
        Attr(
            "roles",
            "complex",
            multi_valued=True,
            mutability="readOnly",
            description="Roles assigned to the user directly (assign them through /v2/Roles)",
            sub_attributes=(
                Attr("value", mutability="readOnly", case_exact=True),
                _ref("$ref", ("Role",)),
                Attr("display", mutability="readOnly"),
                Attr("audienceType", mutability="readOnly"),
            ),
        ),
        _META,
    ),
)

GROUP = Schema(
    GROUP_SCHEMA,
    "Group",
    "Group",
    (
        _ID,
        Attr("displayName", required=True, uniqueness="server"),
        Attr(
            "members",
            "complex",
            multi_valued=True,
            description="Users in the group (groups do not nest)",
            sub_attributes=(
                Attr("value", mutability="immutable", case_exact=True),
                _ref("$ref", ("User",)),
                Attr("display", mutability="readOnly"),
                Attr("type", mutability="immutable", canonical_values=("User",)),
            ),
        ),
        _META,
    ),
)

_AUDIENCE = Attr(
    "audience",
    "complex",
    mutability="immutable",
    sub_attributes=(
        Attr("value", mutability="immutable", case_exact=True),
        Attr("display", mutability="readOnly"),
        Attr("type", mutability="immutable", canonical_values=("organization", "application")),
    ),
)
ROLE = Schema(
    ROLE_SCHEMA,
    "Role",
    "Role (WSO2 Roles v2)",
    (
        _ID,
        Attr("displayName", required=True, uniqueness="server", description="Unique per audience"),
        _AUDIENCE,
        Attr(
            "permissions",
            "complex",
            multi_valued=True,
            sub_attributes=(Attr("value", case_exact=True, description="API resource scope name"), Attr("display")),
        ),
        Attr(
            "users",
            "complex",
            multi_valued=True,
            sub_attributes=(
                Attr("value", case_exact=True),
                Attr("display", mutability="readOnly"),
                _ref("$ref", ("User",)),
            ),
        ),
        Attr(
            "groups",
            "complex",
            multi_valued=True,
            sub_attributes=(
                Attr("value", case_exact=True),
                Attr("display", mutability="readOnly"),
                _ref("$ref", ("Group",)),
            ),
        ),
        _META,
    ),
)

# Attributes of the WSO2 extension that this module owns (derived from the account state).
ACCOUNT_STATE_ATTRIBUTES = (
    Attr("accountLocked", "boolean", description="True while the account is locked"),
    Attr("accountDisabled", "boolean", description="True when the account is disabled"),
    Attr(
        "accountState",
        mutability="readOnly",
        case_exact=True,
        canonical_values=tuple(dict.fromkeys(ACCOUNT_STATES.values())),
        description="WSO2 account state (PENDING_EV, PENDING_AP, PENDING_FUPR, LOCKED, DISABLED, UNLOCKED ...)",
    ),
    Attr(
        "askPassword",
        "boolean",
        mutability="writeOnly",
        returned="never",
        description="On create: invite the user to set a password (account pending initial password setup)",
    ),
    Attr(
        "verifyEmail",
        "boolean",
        mutability="writeOnly",
        returned="never",
        description="On create: the account stays pending email verification",
    ),
)
FORCE_PASSWORD_RESET = Attr(
    "forcePasswordReset",
    "boolean",
    mutability="writeOnly",
    returned="never",
    description="Set true to require a password reset (account pending password reset)",
)
OWNED_EXTENSION_NAMES = {
    WSO2_SCHEMA: {a.name.lower() for a in ACCOUNT_STATE_ATTRIBUTES},
    ENTERPRISE_SCHEMA: {FORCE_PASSWORD_RESET.name.lower()},
}

_EXTENSION_TITLES = {
    ENTERPRISE_SCHEMA: ("EnterpriseUser", "Enterprise User"),
    WSO2_SCHEMA: ("WSO2User", "WSO2 User extension (account state and system attributes)"),
    CUSTOM_SCHEMA: ("CustomUser", "Attributes defined by the administrators of this organization"),
}


def _from_definition(definition: Any) -> Attr:
    data_type = definition.data_type
    return Attr(
        definition.name,
        data_type,
        multi_valued=definition.multi_valued,
        required=definition.required,
        # Extension values are compared as stored (so an ``eq`` can use the JSON index).
        case_exact=data_type == "string",
        mutability=definition.mutability,
        uniqueness="server" if definition.unique else "none",
        description=definition.description,
        canonical_values=tuple(definition.canonical_values),
        sub_attributes=tuple(_from_definition(s) for s in definition.sub_attributes),
        storage_key=definition.storage_key,
    )


def extension_definitions(organization: Any) -> list[Any]:
    """The organization's extension attribute definitions (``apps.attributes``)."""
    try:
        from apps.attributes.selectors import scim_extension_attributes
    except ImportError:  # the attributes app predates typed definitions
        return []
    return list(scim_extension_attributes(organization))


def extension_schemas(organization: Any) -> dict[str, Schema]:
    """Enterprise, WSO2 and custom User extensions for ``organization``, keyed by schema URN."""
    grouped: dict[str, list[Attr]] = {ENTERPRISE_SCHEMA: [], WSO2_SCHEMA: [], CUSTOM_SCHEMA: []}
    for definition in extension_definitions(organization):
        owned = OWNED_EXTENSION_NAMES.get(definition.schema, set())
        if definition.schema in grouped and definition.name.lower() not in owned:
            grouped[definition.schema].append(_from_definition(definition))
    grouped[WSO2_SCHEMA][:0] = ACCOUNT_STATE_ATTRIBUTES
    grouped[ENTERPRISE_SCHEMA].append(FORCE_PASSWORD_RESET)
    return {
        urn: Schema(urn, _EXTENSION_TITLES[urn][0], _EXTENSION_TITLES[urn][1], tuple(attrs))
        for urn, attrs in grouped.items()
    }


def match_schema_urn(candidate: str, urns: tuple[str, ...] | list[str]) -> str | None:
    lowered = candidate.lower()
    return next((u for u in urns if u.lower() == lowered), None)
