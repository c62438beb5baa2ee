"""The attribute definitions every tenant starts with: WSO2's default local
claims, their SCIM 2.0 and OIDC mappings, and the default OIDC scopes."""

from __future__ import annotations

from dataclasses import dataclass

from apps.attributes.models import (
    OIDC_DIALECT_URI,
    SCIM_CORE_DIALECT_URI,
    SCIM_CUSTOM_DIALECT_URI,
    SCIM_ENTERPRISE_DIALECT_URI,
    SCIM_USER_DIALECT_URI,
    SCIM_WSO2_DIALECT_URI,
    DataType,
)


@dataclass(frozen=True)
class DefaultClaim:
    name: str  # local claim name: http://wso2.org/claims/<name>
    display_name: str
    storage: str  # a User column, a derived value or a User.attributes key (see models)
    data_type: str = DataType.STRING
    description: str = ""
    multi_valued: bool = False
    required: bool = False
    read_only: bool = False
    supported_by_default: bool = False
    regex: str = ""
    display_order: int = 0
    input_format: str = ""


S, B, DT = DataType.STRING, DataType.BOOLEAN, DataType.DATE_TIME

LOCAL_CLAIMS: tuple[DefaultClaim, ...] = (
    DefaultClaim("username", "Username", "username", required=True, read_only=True, display_order=1),
    DefaultClaim("userid", "User ID", "id", read_only=True, description="Unique identifier of the user."),
    DefaultClaim("givenname", "First Name", "given_name", display_order=2),
    DefaultClaim("lastname", "Last Name", "family_name", display_order=3),
    DefaultClaim("fullname", "Full Name", "display_name", read_only=True, description="First and last name."),
    DefaultClaim("emailaddress", "Email", "email", display_order=4),
    DefaultClaim("mobile", "Mobile", "phone", display_order=5),
    DefaultClaim("created", "Created Time", "created", DT, read_only=True),
    DefaultClaim("modified", "Last Modified Time", "last_modified", DT, read_only=True),
    DefaultClaim("accountLocked", "Account Locked", "state:locked", B, read_only=True),
    DefaultClaim("accountDisabled", "Account Disabled", "state:disabled", B, read_only=True),
    DefaultClaim("middleName", "Middle Name", "middleName", display_order=6),
    DefaultClaim("nickname", "Nick Name", "nickname", display_order=7),
    DefaultClaim("title", "Title", "title"),
    DefaultClaim("country", "Country", "country", display_order=20),
    DefaultClaim("locality", "Locality", "locality", display_order=21),
    DefaultClaim("postalcode", "Postal Code", "postalcode", display_order=22),
    DefaultClaim("streetaddress", "Street Address", "streetaddress", display_order=23),
    DefaultClaim("region", "Region", "region", display_order=24),
    DefaultClaim("addresses", "Address", "address", description="Full mailing address, formatted for display."),
    DefaultClaim(
        "dob",
        "Birth Date",
        "dob",
        regex=r"^\d{4}-\d{2}-\d{2}$",
        description="Date of birth as YYYY-MM-DD.",
    ),
    DefaultClaim("gender", "Gender", "gender"),
    DefaultClaim("photourl", "Photo URL", "photourl"),
    DefaultClaim("url", "URL", "url"),
    DefaultClaim("telephone", "Telephone", "telephone"),
    DefaultClaim("organization", "Organization", "organization"),
    DefaultClaim("im", "IM", "im"),
    DefaultClaim("local", "Locale", "locale"),
    DefaultClaim("timeZone", "Time Zone", "timeZone"),
    DefaultClaim("preferredLanguage", "Preferred Language", "preferredLanguage"),
    DefaultClaim("emails.work", "Emails - Work Email", "emails.work"),
    DefaultClaim("emails.home", "Emails - Home Email", "emails.home"),
    DefaultClaim("phoneNumbers.home", "Phone Numbers - Home Phone", "phoneNumbers.home"),
    DefaultClaim("phoneNumbers.work", "Phone Numbers - Work Phone", "phoneNumbers.work"),
    DefaultClaim("emailAddresses", "Email Addresses", "emailAddresses", multi_valued=True),
    DefaultClaim("verifiedEmailAddresses", "Verified Email Addresses", "verifiedEmailAddresses", multi_valued=True),
    DefaultClaim("mobileNumbers", "Mobile Numbers", "mobileNumbers", multi_valued=True),
    DefaultClaim("verifiedMobileNumbers", "Verified Mobile Numbers", "verifiedMobileNumbers", multi_valued=True),
    DefaultClaim("emailVerified", "Email Verified", "emailVerified", B),
    DefaultClaim("phoneVerified", "Phone Verified", "phoneVerified", B),
    DefaultClaim("employeeNumber", "Employee Number", "employeeNumber"),
    DefaultClaim("costCenter", "Cost Center", "costCenter"),
    DefaultClaim("department", "Department", "department"),
    DefaultClaim("division", "Division", "division"),
    DefaultClaim("manager", "Manager - Display Name", "manager"),
)

# (dialect URI, external claim URI, local claim name)
SCIM_MAPPINGS: tuple[tuple[str, str, str], ...] = (
    (SCIM_CORE_DIALECT_URI, f"{SCIM_CORE_DIALECT_URI}:id", "userid"),
    (SCIM_CORE_DIALECT_URI, f"{SCIM_CORE_DIALECT_URI}:meta.created", "created"),
    (SCIM_CORE_DIALECT_URI, f"{SCIM_CORE_DIALECT_URI}:meta.lastModified", "modified"),
    *(
        (SCIM_USER_DIALECT_URI, f"{SCIM_USER_DIALECT_URI}:{attribute}", claim)
        for attribute, claim in (
            ("userName", "username"),
            ("name.givenName", "givenname"),
            ("name.familyName", "lastname"),
            ("name.middleName", "middleName"),
            ("name.formatted", "fullname"),
            ("nickName", "nickname"),
            ("title", "title"),
            ("profileUrl", "url"),
            ("locale", "local"),
            ("timezone", "timeZone"),
            ("preferredLanguage", "preferredLanguage"),
            ("emails", "emailaddress"),
            ("emails.work", "emails.work"),
            ("emails.home", "emails.home"),
            ("phoneNumbers.mobile", "mobile"),
            ("phoneNumbers.home", "phoneNumbers.home"),
            ("phoneNumbers.work", "phoneNumbers.work"),
            ("ims", "im"),
            ("photos", "photourl"),
            ("addresses.formatted", "addresses"),
            ("addresses.streetAddress", "streetaddress"),
            ("addresses.locality", "locality"),
            ("addresses.region", "region"),
            ("addresses.postalCode", "postalcode"),
            ("addresses.country", "country"),
        )
    ),
    *(
        (SCIM_ENTERPRISE_DIALECT_URI, f"{SCIM_ENTERPRISE_DIALECT_URI}:{attribute}", claim)
        for attribute, claim in (
            ("employeeNumber", "employeeNumber"),
            ("costCenter", "costCenter"),
            ("organization", "organization"),
            ("division", "division"),
            ("department", "department"),
            ("manager.displayName", "manager"),
        )
    ),
    *(
        (SCIM_WSO2_DIALECT_URI, f"{SCIM_WSO2_DIALECT_URI}:{attribute}", claim)
        for attribute, claim in (
            ("accountLocked", "accountLocked"),
            ("accountDisabled", "accountDisabled"),
            ("emailVerified", "emailVerified"),
            ("phoneVerified", "phoneVerified"),
            ("country", "country"),
            ("dateOfBirth", "dob"),
            ("gender", "gender"),
            ("emailAddresses", "emailAddresses"),
            ("verifiedEmailAddresses", "verifiedEmailAddresses"),
            ("mobileNumbers", "mobileNumbers"),
            ("verifiedMobileNumbers", "verifiedMobileNumbers"),
        )
    ),
)

# OIDC claim name -> local claim name.
OIDC_MAPPINGS: tuple[tuple[str, str], ...] = (
    ("sub", "userid"),
    ("name", "fullname"),
    ("given_name", "givenname"),
    ("family_name", "lastname"),
    ("middle_name", "middleName"),
    ("nickname", "nickname"),
    ("preferred_username", "username"),
    ("profile", "url"),
    ("picture", "photourl"),
    ("gender", "gender"),
    ("birthdate", "dob"),
    ("zoneinfo", "timeZone"),
    ("locale", "local"),
    ("updated_at", "modified"),
    ("email", "emailaddress"),
    ("email_verified", "emailVerified"),
    ("phone_number", "mobile"),
    ("phone_number_verified", "phoneVerified"),
    ("formatted", "addresses"),
    ("street_address", "streetaddress"),
    ("locality", "locality"),
    ("region", "region"),
    ("postal_code", "postalcode"),
    ("country", "country"),
)

# OIDC Core §5.5.1: members of the ``address`` claim object.
OIDC_ADDRESS_MEMBERS = ("formatted", "street_address", "locality", "region", "postal_code", "country")

# name -> (display name, description, OIDC claims) (OIDC Core §5.4)
OIDC_SCOPES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "openid": ("OpenID", "Sign in with OpenID Connect; releases the subject identifier.", ("sub",)),
    "profile": (
        "Profile",
        "Your name, username and other profile details.",
        (
            "name",
            "given_name",
            "family_name",
            "middle_name",
            "nickname",
            "preferred_username",
            "profile",
            "picture",
            "gender",
            "birthdate",
            "zoneinfo",
            "locale",
            "updated_at",
        ),
    ),
    "email": ("Email", "Your email address.", ("email", "email_verified")),
    "phone": ("Phone", "Your phone number.", ("phone_number", "phone_number_verified")),
    "address": ("Address", "Your postal address.", OIDC_ADDRESS_MEMBERS),
}

SCIM_DIALECTS = (
    SCIM_CORE_DIALECT_URI,
    SCIM_USER_DIALECT_URI,
    SCIM_ENTERPRISE_DIALECT_URI,
    SCIM_WSO2_DIALECT_URI,
    SCIM_CUSTOM_DIALECT_URI,
)
OIDC_DIALECTS = (OIDC_DIALECT_URI,)
