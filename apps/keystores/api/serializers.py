"""Request parsing and response shapes of the keystores API.

Parsers only check JSON types; ranges and combinations (key sizes, overlap) are
the service's rules, reported with their own codes."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.api.serializers import StrictSerializer
from apps.keystores.models import SigningKey
from apps.keystores.selectors import jwk_public_members


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer: no strings, floats or booleans coerced."""

    default_error_messages = {"not_an_integer": _("Must be an integer.")}

    def to_internal_value(self, data: Any) -> int:
        if not isinstance(data, int) or isinstance(data, bool):
            self.fail("not_an_integer")
        return super().to_internal_value(data)


class StrictChoiceField(serializers.ChoiceField):
    """One of the string choices, exactly (DRF would accept ``str(value)`` of anything)."""

    default_error_messages = {"not_a_string": _("Must be a string.")}

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


def _enum(values: list[str]) -> dict[str, Any]:
    return {"type": "string", "enum": list(values)}


@extend_schema_field(_enum(SigningKey.Algorithm.values))
class AlgorithmField(StrictChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=SigningKey.Algorithm.values, **kwargs)


@extend_schema_field(_enum(SigningKey.Protocol.values))
class ProtocolField(serializers.CharField):
    pass


class RotateSerializer(StrictSerializer):
    algorithm = AlgorithmField(required=False, help_text="Defaults to the current key's algorithm.")
    keySize = StrictIntegerField(  # noqa: N815
        required=False, help_text="RSA only: 2048, 3072 or 4096 (defaults to the current key's size, else 2048)."
    )
    overlapSeconds = StrictIntegerField(  # noqa: N815
        required=False,
        help_text="How long the previous key stays published for verification; 0 retires it at once.",
    )


class KeystoreKeySerializer(serializers.Serializer):
    """A signing key's public description (response shape; ``signing_key_out`` builds the body)."""

    kid = serializers.CharField(help_text="RFC 7638 thumbprint of the public key, base64url.")
    protocol = ProtocolField()
    algorithm = AlgorithmField()
    keySize = serializers.IntegerField()  # noqa: N815
    # Not an enum in the schema on purpose: a second "status" enum would rename
    # the organizations API's StatusEnum component (drf-spectacular names enums by field).
    status = serializers.CharField(help_text="active (signs new tokens), retiring (still in the JWKS) or retired.")
    created = serializers.DateTimeField()
    retireAfter = serializers.DateTimeField(  # noqa: N815
        allow_null=True, help_text="When a retiring key leaves the JWKS."
    )
    publicJwk = serializers.DictField(help_text="The public JWK as published in the JWKS.")  # noqa: N815


class KeystoreKeyListSerializer(serializers.Serializer):
    protocol = ProtocolField()
    keys = KeystoreKeySerializer(many=True)


def _iso(value: Any) -> str | None:
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z") if value is not None else None


def signing_key_out(key: SigningKey) -> dict[str, Any]:
    return {
        "kid": key.kid,
        "protocol": key.protocol,
        "algorithm": key.algorithm,
        "keySize": key.key_size,
        "status": key.status,
        "created": _iso(key.created),
        "retireAfter": _iso(key.retire_after),
        "publicJwk": jwk_public_members(key.public_jwk),
    }
