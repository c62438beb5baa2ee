"""Keystores API: ``/api/server/v1/keystores/{protocol}/keys`` and ``.../rotate``.

Signing keys belong to the root organization (tenant); inside a
sub-organization these endpoints answer 403 and point at the root."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.serializers import parse
from apps.core.errors import Forbidden, NotFound
from apps.keystores import selectors, services
from apps.keystores.api import serializers as s
from apps.keystores.models import SigningKey

PROTOCOL_PARAMETER = OpenApiParameter(
    "protocol",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    enum=SigningKey.Protocol.values,
    description="The protocol whose signing keys to use.",
)
ERROR_RESPONSES = {
    400: OpenApiResponse(description="Invalid request body (KSM-60001 ... KSM-60006)."),
    403: OpenApiResponse(description="Missing scope, or a sub-organization (KSM-60016)."),
    404: OpenApiResponse(description="Unknown protocol (KSM-60015)."),
}


class KeystoreAPIView(APIView):
    error_prefix = "KSM"
    required_scopes = {"GET": ["internal_keystore_view"], "POST": ["internal_keystore_update"]}

    def check_protocol(self, request: Request, protocol: str) -> str:
        if protocol not in services.PROTOCOLS:
            raise NotFound(
                "KSM-60015",
                _("Keystore not found."),
                _("Unknown protocol %(protocol)s; use one of: %(choices)s.")
                % {"protocol": protocol, "choices": ", ".join(sorted(services.PROTOCOLS))},
            )
        organization = request.organization
        if not organization.is_root:
            raise Forbidden(
                "KSM-60016",
                _("Signing keys belong to the root organization."),
                _("Manage them at /t/%(handle)s/api/server/v1/keystores/%(protocol)s/keys.")
                % {"handle": organization.root.handle, "protocol": protocol},
            )
        return protocol


class KeystoreKeyListView(KeystoreAPIView):
    required_scopes = {"GET": ["internal_keystore_view"]}

    @extend_schema(
        parameters=[PROTOCOL_PARAMETER],
        responses={200: s.KeystoreKeyListSerializer, **ERROR_RESPONSES},
        operation_id="listKeystoreKeys",
        summary="List the signing keys of a protocol (active, retiring and retired; public parts only).",
    )
    def get(self, request: Request, protocol: str) -> Response:
        protocol = self.check_protocol(request, protocol)
        keys = selectors.keystore_list(organization=request.organization, protocol=protocol)
        return Response({"protocol": protocol, "keys": [s.signing_key_out(key) for key in keys]})


class KeystoreRotateView(KeystoreAPIView):
    required_scopes = {"POST": ["internal_keystore_update"]}

    @extend_schema(
        parameters=[PROTOCOL_PARAMETER],
        request=s.RotateSerializer,
        responses={
            201: s.KeystoreKeySerializer,
            **ERROR_RESPONSES,
            409: OpenApiResponse(description="Concurrent rotation (KSM-60009)."),
        },
        operation_id="rotateKeystoreKey",
        summary="Make a new signing key active; the previous one keeps verifying for the overlap period.",
    )
    def post(self, request: Request, protocol: str) -> Response:
        protocol = self.check_protocol(request, protocol)
        data = parse(s.RotateSerializer, request.data)
        key = services.keystore_rotate(
            actor=request.user,
            organization=request.organization,
            protocol=protocol,
            algorithm=data.get("algorithm"),
            key_size=data.get("keySize"),
            overlap_seconds=data.get("overlapSeconds"),
        )
        return Response(s.signing_key_out(key), status=201)
