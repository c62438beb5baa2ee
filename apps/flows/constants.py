"""Names that are part of the flow contract: flow types, step/component types, identifiers,
completion options and which executors each flow type may use."""

from __future__ import annotations

FLOW_TYPES = ("REGISTRATION", "PASSWORD_RECOVERY", "INVITED_USER_REGISTRATION")
# WSO2's management API still names the invite flow ASK_PASSWORD; both are accepted, the canonical name is stored.
FLOW_TYPE_ALIASES = {"ASK_PASSWORD": "INVITED_USER_REGISTRATION"}

STEP_TYPES = ("VIEW", "REDIRECTION", "EXECUTION", "END")
COMPONENT_TYPES = (
    "FORM",
    "INPUT",
    "BUTTON",
    "TYPOGRAPHY",
    "RICH_TEXT",
    "DIVIDER",
    "IMAGE",
    "CHOICE",
    "CAPTCHA",
)
INPUT_VARIANTS = ("TEXT", "PASSWORD", "EMAIL", "TELEPHONE", "NUMBER", "CHECKBOX", "OTP", "DATE")
ACTION_TYPES = ("NEXT", "EXECUTOR")
# ``next`` of the terminal transition: this literal or the id of an END step.
COMPLETE = "COMPLETE"
RESERVED_IDS = frozenset({COMPLETE})

CLAIM_PREFIX = "http://wso2.org/claims/"
USERNAME_CLAIM = CLAIM_PREFIX + "username"
EMAIL_CLAIM = CLAIM_PREFIX + "emailaddress"
MOBILE_CLAIM = CLAIM_PREFIX + "mobile"
# Input identifiers that are not attributes: credentials and values executors read.
PASSWORD = "password"
OTP = "otp"
CONFIRMATION_CODE = "confirmationCode"
MAGIC_LINK_TOKEN = "magicLinkToken"
FEDERATED_CALLBACK_KEYS = ("code", "state")
NON_CLAIM_IDENTIFIERS = frozenset({PASSWORD, OTP, CONFIRMATION_CODE, MAGIC_LINK_TOKEN})

COMPLETION_CONFIGS: dict[str, tuple[str, ...]] = {
    "REGISTRATION": (
        "isAccountLockOnCreationEnabled",
        "isEmailVerificationEnabled",
        "isAutoLoginEnabled",
        "isFlowCompletionNotificationEnabled",
    ),
    "PASSWORD_RECOVERY": ("isAutoLoginEnabled", "isFlowCompletionNotificationEnabled"),
    "INVITED_USER_REGISTRATION": ("isAutoLoginEnabled", "isFlowCompletionNotificationEnabled"),
}

FEDERATED_EXECUTORS = (
    "OpenIDConnectExecutor",
    "GoogleExecutor",
    "FacebookExecutor",
    "Office365Executor",
    "AppleExecutor",
    "GithubExecutor",
)
SUPPORTED_EXECUTORS: dict[str, tuple[str, ...]] = {
    "REGISTRATION": (
        "PasswordOnboardExecutor",
        "EmailOTPExecutor",
        "SMSOTPExecutor",
        "MagicLinkExecutor",
        *FEDERATED_EXECUTORS,
    ),
    "PASSWORD_RECOVERY": (
        "UserResolveExecutor",
        "EmailOTPExecutor",
        "SMSOTPExecutor",
        "MagicLinkExecutor",
        "ConfirmationCodeValidationExecutor",
        "PasswordOnboardExecutor",
        "PasswordProvisioningExecutor",
    ),
    "INVITED_USER_REGISTRATION": (
        "ConfirmationCodeValidationExecutor",
        "EmailOTPExecutor",
        "SMSOTPExecutor",
        "PasswordOnboardExecutor",
        "PasswordProvisioningExecutor",
    ),
}
# Which end-user page starts or resumes each flow type (apps/flows/page_urls.py).
START_PAGES = {
    "REGISTRATION": "register",
    "PASSWORD_RECOVERY": "recovery",
    "INVITED_USER_REGISTRATION": "invite",
}


def canonical_flow_type(value: object) -> str | None:
    """The stored flow type name for ``value`` (aliases accepted), or None when it is not one."""
    if not isinstance(value, str):
        return None
    value = FLOW_TYPE_ALIASES.get(value.strip().upper(), value.strip().upper())
    return value if value in FLOW_TYPES else None
