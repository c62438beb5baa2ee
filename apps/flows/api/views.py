"""Flow management (``/flow``, ``/flow/meta``, ``/flow/config(s)``) and execution
(``/flow/execute``) APIs under ``/api/server/v1``, in WSO2's shapes, thin over the services.

Beyond WSO2's API, the draft / publish / versions / rollback / validate operations the Console
Builder uses are API operations too (``/flow/draft``, ``/flow/publish``, ``/flow/versions``,
``/flow/rollback``, ``/flow/validate``)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.errors import error_body
from apps.flows import services
from apps.flows.api import serializers as s
from apps.flows.errors import FlowError

VIEW, UPDATE = ["internal_flow_mgt_view"], ["internal_flow_mgt_update"]
FLOW_TYPE = OpenApiParameter(
    "flowType",
    str,
    OpenApiParameter.QUERY,
    required=True,
    enum=["REGISTRATION", "PASSWORD_RECOVERY", "INVITED_USER_REGISTRATION", "ASK_PASSWORD"],
)
ERRORS = {
    400: OpenApiResponse(s.ErrorSerializer, description="Invalid request or flow (FM-/RFM- codes)."),
    401: OpenApiResponse(description="Authentication required."),
    403: OpenApiResponse(description="Missing scope."),
}


def _body(request: Request) -> Any:
    try:
        return request.data
    except exceptions.ParseError as exc:
        raise FlowError("FM-10002", _("Invalid request body."), str(exc.detail)) from exc


def _flow_out(flow: dict[str, Any]) -> dict[str, Any]:
    """WSO2's ``FlowResponse``; importable as is by ``PUT /flow``."""
    return {"flowType": flow["flowType"], "steps": flow["steps"]}


class FlowAPIView(APIView):
    error_prefix = "FM"


class FlowView(FlowAPIView):
    required_scopes = {"GET": VIEW, "PUT": UPDATE, "DELETE": UPDATE}

    @extend_schema(parameters=[FLOW_TYPE], responses={200: s.FlowSerializer, **ERRORS}, operation_id="getFlow")
    def get(self, request: Request) -> Response:
        flow = services.flow_get(request.organization, request.query_params.get("flowType"))
        headers = {"X-Flow-Version": str(flow["version"])} if flow["version"] else {}
        return Response(_flow_out(flow), headers=headers)

    @extend_schema(
        request=s.FlowSerializer,
        responses={200: s.FlowSerializer, 201: s.FlowSerializer, **ERRORS},
        operation_id="updateFlow",
        description="Create or replace the flow of `flowType` and publish it as a new version.",
    )
    def put(self, request: Request) -> Response:
        body = _body(request)
        if not isinstance(body, dict):
            raise FlowError("FM-10002", _("Invalid request body."), _("Send a JSON object."))
        version, created = services.flow_replace(
            actor=request.user,
            organization=request.organization,
            flow_type=body.get("flowType"),
            steps=body.get("steps"),
        )
        flow = services.flow_get(request.organization, body.get("flowType"))
        return Response(_flow_out(flow), status=201 if created else 200, headers={"X-Flow-Version": str(version)})

    @extend_schema(parameters=[FLOW_TYPE], responses={204: None, **ERRORS}, operation_id="deleteFlow")
    def delete(self, request: Request) -> Response:
        services.flow_delete(
            actor=request.user, organization=request.organization, flow_type=request.query_params.get("flowType")
        )
        return Response(status=204)


class FlowMetaView(FlowAPIView):
    required_scopes = {"GET": VIEW}

    @extend_schema(parameters=[FLOW_TYPE], responses={200: s.FlowMetaSerializer, **ERRORS}, operation_id="getFlowMeta")
    def get(self, request: Request) -> Response:
        return Response(services.flow_meta(request.organization, request.query_params.get("flowType")))


def _config_out(config: dict[str, Any]) -> dict[str, Any]:
    out = {key: config[key] for key in ("flowType", "isEnabled", "flowCompletionConfigs")}
    if config.get("inheritedFrom"):  # a sub-organization following an ancestor's config
        out["inheritedFrom"] = config["inheritedFrom"]
    return out


class FlowConfigView(FlowAPIView):
    required_scopes = {"GET": VIEW, "PATCH": UPDATE, "DELETE": UPDATE}

    @extend_schema(
        parameters=[FLOW_TYPE], responses={200: s.FlowConfigSerializer, **ERRORS}, operation_id="getFlowConfig"
    )
    def get(self, request: Request) -> Response:
        return Response(
            _config_out(services.flow_config_get(request.organization, request.query_params.get("flowType")))
        )

    @extend_schema(
        request=s.FlowConfigPatchSerializer,
        responses={200: s.FlowConfigSerializer, **ERRORS},
        operation_id="updateFlowConfig",
    )
    def patch(self, request: Request) -> Response:
        config = services.flow_config_update(actor=request.user, organization=request.organization, data=_body(request))
        return Response(_config_out(config))

    @extend_schema(
        parameters=[FLOW_TYPE], responses={200: s.FlowConfigSerializer, **ERRORS}, operation_id="revertFlowConfig"
    )
    def delete(self, request: Request) -> Response:
        """Not in WSO2's API: a sub-organization inherits the config again (the root: the defaults)."""
        config = services.flow_config_revert(
            actor=request.user, organization=request.organization, flow_type=request.query_params.get("flowType")
        )
        return Response(_config_out(config))


class FlowConfigsView(FlowAPIView):
    required_scopes = {"GET": VIEW}

    @extend_schema(responses={200: s.FlowConfigSerializer(many=True), **ERRORS}, operation_id="listFlowConfigs")
    def get(self, request: Request) -> Response:
        return Response([_config_out(config) for config in services.flow_configs_list(request.organization)])


# --- Builder operations (not in WSO2's API) --------------------------------------------------------


class FlowDraftView(FlowAPIView):
    required_scopes = {"GET": VIEW, "PUT": UPDATE}

    @extend_schema(
        parameters=[FLOW_TYPE], responses={200: s.FlowDraftSerializer, **ERRORS}, operation_id="getFlowDraft"
    )
    def get(self, request: Request) -> Response:
        return Response(services.flow_get(request.organization, request.query_params.get("flowType"), draft=True))

    @extend_schema(
        request=s.FlowSerializer, responses={200: s.FlowDraftSerializer, **ERRORS}, operation_id="saveFlowDraft"
    )
    def put(self, request: Request) -> Response:
        body = _body(request)
        if not isinstance(body, dict):
            raise FlowError("FM-10002", _("Invalid request body."), _("Send a JSON object."))
        draft = services.flow_save(
            actor=request.user,
            organization=request.organization,
            flow_type=body.get("flowType"),
            steps=body.get("steps"),
        )
        return Response(draft)


class FlowPublishView(FlowAPIView):
    required_scopes = {"POST": UPDATE}

    @extend_schema(
        request=s.FlowTypeSerializer, responses={200: s.VersionSerializer, **ERRORS}, operation_id="publishFlow"
    )
    def post(self, request: Request) -> Response:
        body = _body(request)
        flow_type = body.get("flowType") if isinstance(body, dict) else None
        version = services.flow_publish(actor=request.user, organization=request.organization, flow_type=flow_type)
        return Response(
            {"flowType": services.flow_get(request.organization, flow_type)["flowType"], "version": version}
        )


class FlowVersionsView(FlowAPIView):
    required_scopes = {"GET": VIEW}

    @extend_schema(
        parameters=[FLOW_TYPE],
        responses={200: s.FlowVersionSerializer(many=True), **ERRORS},
        operation_id="listFlowVersions",
    )
    def get(self, request: Request) -> Response:
        return Response(services.flow_versions(request.organization, request.query_params.get("flowType")))


class FlowRollbackView(FlowAPIView):
    required_scopes = {"POST": UPDATE}

    @extend_schema(
        request=s.RollbackSerializer, responses={200: s.VersionSerializer, **ERRORS}, operation_id="rollbackFlow"
    )
    def post(self, request: Request) -> Response:
        body = _body(request)
        body = body if isinstance(body, dict) else {}
        version = services.flow_rollback(
            actor=request.user,
            organization=request.organization,
            flow_type=body.get("flowType"),
            version=body.get("version"),
        )
        return Response(
            {"flowType": services.flow_get(request.organization, body.get("flowType"))["flowType"], "version": version}
        )


class FlowValidateView(FlowAPIView):
    required_scopes = {"POST": VIEW}

    @extend_schema(
        request=s.FlowSerializer, responses={200: s.ValidationSerializer, **ERRORS}, operation_id="validateFlow"
    )
    def post(self, request: Request) -> Response:
        body = _body(request)
        body = body if isinstance(body, dict) else {}
        errors = services.flow_validate(request.organization, body.get("flowType"), body.get("steps"))
        return Response({"valid": not errors, "errors": errors})


class FlowGenerateView(FlowAPIView):
    """WSO2's "generate with AI" depends on a cloud service: not offered here."""

    required_scopes = {"POST": UPDATE}

    @extend_schema(request=None, responses={501: s.ErrorSerializer}, operation_id="generateFlow")
    def post(self, request: Request) -> Response:
        return Response(
            error_body("FM-10016", _("Flow generation is not available."), _("Design the flow in the Builder.")),
            status=501,
        )


# --- execution ---------------------------------------------------------------------------------------


class FlowExecuteView(APIView):
    """``POST /flow/execute``: public (no Authorization header), rate limited per client IP."""

    error_prefix = "FE"
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=s.ExecuteRequestSerializer,
        responses={
            200: s.ExecuteResponseSerializer,
            400: OpenApiResponse(s.ErrorSerializer, description="FE-60001 ... FE-60011."),
            429: OpenApiResponse(s.ErrorSerializer, description="FE-60011: too many requests."),
            500: OpenApiResponse(s.ErrorSerializer, description="FE-65xxx: the flow is broken."),
        },
        operation_id="executeFlow",
    )
    def post(self, request: Request) -> Response:
        try:
            body = request.data
        except exceptions.ParseError as exc:
            raise FlowError("FE-60007", _("Invalid request."), str(exc.detail)) from exc
        try:
            return Response(services.flow_execute(organization=request.organization, data=body, request=request))
        except FlowError as exc:
            if exc.retry_after:
                return Response(
                    error_body(exc.code, exc.message, exc.description),
                    status=exc.status,
                    headers={"Retry-After": str(exc.retry_after)},
                )
            raise
