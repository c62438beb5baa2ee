"""Webhooks API under ``/api/server/v1/webhooks`` (WSO2's shapes), thin over the services."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.pagination import paginate_offset
from apps.core.api.serializers import parse
from apps.core.errors import InvalidInput, NotFound
from apps.webhooks import channels as ch
from apps.webhooks import deliveries, selectors, services
from apps.webhooks.api import serializers as s
from apps.webhooks.models import Webhook

ERRORS = {
    400: OpenApiResponse(description="Invalid request (WEBHOOK-60001 ... WEBHOOK-60011)."),
    401: OpenApiResponse(description="Authentication required."),
    403: OpenApiResponse(description="Missing scope."),
    404: OpenApiResponse(description="Unknown webhook (WEBHOOK-60015)."),
}
VIEW, CREATE, UPDATE, DELETE = (
    ["internal_webhook_view"],
    ["internal_webhook_create"],
    ["internal_webhook_update"],
    ["internal_webhook_delete"],
)


class WebhookAPIView(APIView):
    error_prefix = "WEBHOOK"

    def get_webhook(self, request: Request, webhook_id: str) -> Webhook:
        webhook = selectors.webhook_get(organization=request.organization, webhook_id=webhook_id)
        if webhook is None:
            raise NotFound("WEBHOOK-60015", _("Webhook not found."), _("No webhook %(id)s here.") % {"id": webhook_id})
        return webhook


class WebhookListView(WebhookAPIView):
    required_scopes = {"GET": VIEW, "POST": CREATE}

    @extend_schema(responses={200: s.WebhookListSerializer, **ERRORS}, operation_id="listWebhooks")
    def get(self, request: Request) -> Response:
        hooks = selectors.webhook_list(organization=request.organization)
        return Response({"webhooks": [s.webhook_summary_out(hook) for hook in hooks]})

    @extend_schema(
        request=s.WebhookRequestSerializer,
        responses={201: s.WebhookResponseSerializer, **ERRORS, 409: OpenApiResponse(description="WEBHOOK-60008")},
        operation_id="createWebhook",
    )
    def post(self, request: Request) -> Response:
        data = parse(s.WebhookRequestSerializer, request.data)
        webhook = services.webhook_create(
            actor=request.user,
            organization=request.organization,
            name=data["name"],
            endpoint=data["endpoint"],
            channels=data["channelsSubscribed"],
            secret=data.get("secret"),
            status=data.get("status"),
            event_profile=data["eventProfile"],
        )
        location = reverse("webhook-detail", kwargs={"webhook_id": webhook.id})
        return Response(s.webhook_out(webhook), status=201, headers={"Location": location})


class WebhookDetailView(WebhookAPIView):
    required_scopes = {"GET": VIEW, "PUT": UPDATE, "DELETE": DELETE}

    @extend_schema(responses={200: s.WebhookResponseSerializer, **ERRORS}, operation_id="getWebhook")
    def get(self, request: Request, webhook_id: str) -> Response:
        return Response(s.webhook_out(self.get_webhook(request, webhook_id)))

    @extend_schema(
        request=s.WebhookRequestSerializer,
        responses={200: s.WebhookResponseSerializer, **ERRORS},
        operation_id="updateWebhook",
        description="Replaces name, endpoint, channels and (when given) the secret. The new secret signs every "
        "later attempt, retries of earlier events included.",
    )
    def put(self, request: Request, webhook_id: str) -> Response:
        webhook = self.get_webhook(request, webhook_id)
        data = parse(s.WebhookRequestSerializer, request.data)
        webhook = services.webhook_update(
            actor=request.user,
            webhook=webhook,
            name=data["name"],
            endpoint=data["endpoint"],
            channels=data["channelsSubscribed"],
            secret=data.get("secret"),
            event_profile=data["eventProfile"],
        )
        if "status" in data:
            webhook = services.webhook_set_status(actor=request.user, webhook=webhook, status=data["status"])
        return Response(s.webhook_out(webhook))

    @extend_schema(responses={204: None, **ERRORS}, operation_id="deleteWebhook")
    def delete(self, request: Request, webhook_id: str) -> Response:
        services.webhook_delete(actor=request.user, webhook=self.get_webhook(request, webhook_id))
        return Response(status=204)


class WebhookStatusView(WebhookAPIView):
    required_scopes = {"POST": UPDATE}

    def set_status(self, request: Request, webhook_id: str, status: str) -> Response:
        webhook = self.get_webhook(request, webhook_id)
        webhook = services.webhook_set_status(actor=request.user, webhook=webhook, status=status)
        return Response(s.webhook_out(webhook))


class WebhookActivateView(WebhookStatusView):
    @extend_schema(request=None, responses={200: s.WebhookResponseSerializer, **ERRORS}, operation_id="activateWebhook")
    def post(self, request: Request, webhook_id: str) -> Response:
        return self.set_status(request, webhook_id, Webhook.Status.ACTIVE)


class WebhookDeactivateView(WebhookStatusView):
    @extend_schema(
        request=None, responses={200: s.WebhookResponseSerializer, **ERRORS}, operation_id="deactivateWebhook"
    )
    def post(self, request: Request, webhook_id: str) -> Response:
        return self.set_status(request, webhook_id, Webhook.Status.INACTIVE)


class WebhookRetryView(WebhookAPIView):
    """WSO2 retries failed channel (un)subscriptions; the HTTP publisher accepts every subscription at once."""

    required_scopes = {"POST": UPDATE}

    @extend_schema(request=None, responses={200: s.WebhookResponseSerializer, **ERRORS}, operation_id="retryWebhook")
    def post(self, request: Request, webhook_id: str) -> Response:
        return Response(s.webhook_out(self.get_webhook(request, webhook_id)))


class DeliveryListView(WebhookAPIView):
    required_scopes = {"GET": VIEW}

    @extend_schema(
        parameters=[
            OpenApiParameter("state", str, enum=list(selectors.DELIVERY_FILTERS)),
            OpenApiParameter("limit", int),
            OpenApiParameter("offset", int),
        ],
        responses={200: s.DeliveryListSerializer, **ERRORS},
        operation_id="listWebhookDeliveries",
        summary="The delivery log: one entry per event sent (or to be sent) to this webhook, newest first.",
    )
    def get(self, request: Request, webhook_id: str) -> Response:
        webhook = self.get_webhook(request, webhook_id)
        state = request.query_params.get("state", "")
        if state and state not in selectors.DELIVERY_FILTERS:
            raise InvalidInput(
                "WEBHOOK-60012", _("state must be one of: %(s)s.") % {"s": ", ".join(selectors.DELIVERY_FILTERS)}
            )
        items, meta = paginate_offset(request, selectors.delivery_list(webhook=webhook, state=state), prefix="WEBHOOK")
        return Response({**meta, "deliveries": [s.delivery_out(item) for item in items]})


class RedeliverView(WebhookAPIView):
    required_scopes = {"POST": UPDATE}

    @extend_schema(
        request=s.RedeliverSerializer,
        responses={202: s.RedeliverResponseSerializer, **ERRORS},
        operation_id="redeliverWebhookEvents",
        summary="Send events again (same jti and body) with a fresh attempt budget.",
    )
    def post(self, request: Request, webhook_id: str) -> Response:
        webhook = self.get_webhook(request, webhook_id)
        data = parse(s.RedeliverSerializer, request.data)
        scheduled = deliveries.webhook_redeliver(
            actor=request.user,
            webhook=webhook,
            delivery_ids=data.get("deliveryIds") or [],
            all_failed=bool(data.get("allFailed")),
        )
        return Response({"scheduled": scheduled}, status=202)


class TestEventView(WebhookAPIView):
    required_scopes = {"POST": UPDATE}

    @extend_schema(
        request=None,
        responses={202: s.DeliverySerializer, **ERRORS},
        operation_id="sendWebhookTestEvent",
        summary="Send a test event (also while the webhook is inactive).",
    )
    def post(self, request: Request, webhook_id: str) -> Response:
        delivery = deliveries.webhook_send_test(actor=request.user, webhook=self.get_webhook(request, webhook_id))
        return Response(s.delivery_out(delivery), status=202)


class HealthView(WebhookAPIView):
    required_scopes = {"GET": VIEW}

    @extend_schema(responses={200: s.HealthSerializer, **ERRORS}, operation_id="getWebhookHealth")
    def get(self, request: Request, webhook_id: str) -> Response:
        webhook = self.get_webhook(request, webhook_id)
        return Response(s.health_out(selectors.webhook_health(webhook=webhook)))


class MetadataView(APIView):
    error_prefix = "WEBHOOK-METADATA"
    required_scopes = {"GET": ["internal_webhook_meta_view"], "PATCH": ["internal_webhook_meta_update"]}

    @extend_schema(responses={200: s.MetadataSerializer}, operation_id="getWebhookMetadata")
    def get(self, request: Request) -> Response:
        return Response(s.metadata_out(selectors.webhook_settings_get(organization=request.organization)))

    @extend_schema(
        request=s.MetadataPatchSerializer, responses={200: s.MetadataSerializer}, operation_id="patchWebhookMetadata"
    )
    def patch(self, request: Request) -> Response:
        data = parse(s.MetadataPatchSerializer, request.data)
        row = services.webhook_settings_update(
            actor=request.user,
            organization=request.organization,
            organization_policy=data["organizationPolicy"]["policyName"],
        )
        return Response(s.metadata_out(row))


class EventProfileView(APIView):
    error_prefix = "WEBHOOK-METADATA"
    required_scopes = {"GET": ["internal_webhook_meta_view", "internal_webhook_view"]}

    @extend_schema(responses={200: s.EventProfileDetailSerializer}, operation_id="getWebhookEventProfile")
    def get(self, request: Request, profile_name: str) -> Response:
        if profile_name != ch.PROFILE_NAME:
            raise NotFound("WEBHOOK-METADATA-60015", _("Event profile not found."))
        return Response(s.event_profile_out())
