"""The authenticator registry. Importing this package registers the built-in authenticators.

``federated:<idp>`` ids are resolved through a family factory that the identity-provider
pass registers with ``register_family("federated", factory)``; until then they are unknown."""

from apps.authn.authenticators.base import (
    Authenticator,
    Outcome,
    authenticator_get,
    authenticators_all,
    authenticators_for,
    register,
    register_family,
)
from apps.authn.authenticators.basic import BasicAuthenticator, IdentifierFirstAuthenticator
from apps.authn.authenticators.otp import EmailOtpAuthenticator, SmsOtpAuthenticator
from apps.authn.authenticators.passkey import PasskeyAuthenticator
from apps.authn.authenticators.totp import TotpAuthenticator

register(BasicAuthenticator())
register(IdentifierFirstAuthenticator())
register(TotpAuthenticator())
register(EmailOtpAuthenticator())
register(SmsOtpAuthenticator())
register(PasskeyAuthenticator())

__all__ = [
    "Authenticator",
    "Outcome",
    "authenticator_get",
    "authenticators_all",
    "authenticators_for",
    "register",
    "register_family",
]
