"""Identity provider templates, expressed as data: the fields a new IdP starts with.

``oidc`` is any OpenID Connect provider (endpoints from its discovery document or typed in);
``google`` is OpenID Connect with Google's published endpoints; ``github`` is plain OAuth 2.0:
no ID token, the user's attributes come from the API endpoint named ``userinfo_endpoint`` and
the subject is the numeric ``id`` of that response."""

from __future__ import annotations

from typing import Any

CLAIM = "http://wso2.org/claims/"

_PERSON_MAPPINGS = [
    {"federated": "email", "local": f"{CLAIM}emailaddress"},
    {"federated": "given_name", "local": f"{CLAIM}givenname"},
    {"federated": "family_name", "local": f"{CLAIM}lastname"},
]

TEMPLATES: dict[str, dict[str, Any]] = {
    "oidc": {
        "display_name": "Standard-based IdP (OpenID Connect)",
        "description": "Any OpenID Connect provider: give its discovery URL, or its endpoints.",
        "category": "DEFAULT",
        "display_order": 1,
        "defaults": {
            "protocol": "oidc",
            "scopes": ["openid", "email", "profile"],
            "subject_claim": "sub",
            "token_endpoint_auth_method": "client_secret_basic",
            "pkce": True,
            "use_userinfo": True,
            "claim_mappings": _PERSON_MAPPINGS,
        },
    },
    "google": {
        "display_name": "Google",
        "description": "Sign in with a Google account (OpenID Connect).",
        "category": "DEFAULT",
        "display_order": 2,
        "defaults": {
            "protocol": "oidc",
            "discovery_url": "https://accounts.google.com/.well-known/openid-configuration",
            "issuer": "https://accounts.google.com",
            "authorization_endpoint": "https://accounts.google.com/o/oauth2/v2/auth",
            "token_endpoint": "https://oauth2.googleapis.com/token",
            "userinfo_endpoint": "https://openidconnect.googleapis.com/v1/userinfo",
            "jwks_uri": "https://www.googleapis.com/oauth2/v3/certs",
            "scopes": ["openid", "email", "profile"],
            "subject_claim": "sub",
            "token_endpoint_auth_method": "client_secret_post",
            "pkce": True,
            "use_userinfo": False,
            "claim_mappings": _PERSON_MAPPINGS,
        },
    },
    "github": {
        "display_name": "GitHub",
        "description": "Sign in with a GitHub account (OAuth 2.0; profile from the GitHub API).",
        "category": "DEFAULT",
        "display_order": 3,
        "defaults": {
            "protocol": "oauth2",
            "authorization_endpoint": "https://github.com/login/oauth/authorize",
            "token_endpoint": "https://github.com/login/oauth/access_token",
            "userinfo_endpoint": "https://api.github.com/user",
            "scopes": ["read:user", "user:email"],
            "subject_claim": "id",
            "token_endpoint_auth_method": "client_secret_post",
            "pkce": True,
            "use_userinfo": True,
            "claim_mappings": [
                {"federated": "email", "local": f"{CLAIM}emailaddress"},
                {"federated": "login", "local": f"{CLAIM}username"},
            ],
        },
    },
}


def template_get(template_id: str) -> dict[str, Any] | None:
    return TEMPLATES.get(template_id)


def template_defaults(template_id: str) -> dict[str, Any]:
    """A deep-enough copy of the template's fields (lists of dicts are copied)."""
    template = TEMPLATES.get(template_id) or TEMPLATES["oidc"]
    out: dict[str, Any] = {}
    for key, value in template["defaults"].items():
        if isinstance(value, list):
            out[key] = [dict(item) if isinstance(item, dict) else item for item in value]
        else:
            out[key] = value
    return out
