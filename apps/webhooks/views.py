"""Console pages: webhooks, their delivery log (redeliver, test event) and health."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from apps.console.access import console_access, console_view, forbidden
from apps.console.form_errors import attach_domain_error
from apps.console.pagination import paginate
from apps.console.rendering import console_render
from apps.core.errors import DomainError
from apps.webhooks import channels as ch
from apps.webhooks import deliveries, selectors, services
from apps.webhooks.forms import OrganizationPolicyForm, WebhookForm
from apps.webhooks.models import Webhook

FIELD_MAP = {"channelsSubscribed": "channels", "eventProfile": "channels"}
SECTION = "webhooks"


def _webhook(request: HttpRequest, webhook_id: uuid.UUID) -> Webhook:
    webhook = selectors.webhook_get(organization=request.organization, webhook_id=webhook_id)
    if webhook is None:
        raise Http404
    return webhook


@console_view("internal_webhook_view")
def webhook_list_view(request: HttpRequest) -> HttpResponse:
    rows = [
        {"webhook": hook, "health": selectors.webhook_health(webhook=hook)}
        for hook in selectors.webhook_list(organization=request.organization)
    ]
    policy = selectors.webhook_settings_get(organization=request.organization)
    context = {"rows": rows, "policy": policy}
    return console_render(request, "webhooks/list.html", context, section=SECTION)


@sensitive_post_parameters("secret")
@console_view("internal_webhook_create")
def webhook_new(request: HttpRequest) -> HttpResponse:
    form = WebhookForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            webhook = services.webhook_create(
                actor=request.user,
                organization=request.organization,
                name=data["name"],
                endpoint=data["endpoint"],
                channels=data["channels"],
                secret=data["secret"] or None,
                status=Webhook.Status.ACTIVE if data["active"] else Webhook.Status.INACTIVE,
            )
        except DomainError as exc:
            attach_domain_error(form, exc, field_map=FIELD_MAP)
        else:
            messages.success(request, _("Webhook “%(name)s” created.") % {"name": webhook.name})
            return redirect("console:webhook-detail", webhook_id=webhook.pk)
    status = 400 if form.errors else 200
    return console_render(request, "webhooks/form.html", {"form": form}, section=SECTION, status=status)


@sensitive_post_parameters("secret")
@console_view("internal_webhook_view")
def webhook_detail(request: HttpRequest, webhook_id: uuid.UUID) -> HttpResponse:
    webhook = _webhook(request, webhook_id)
    can_update = console_access(request).can("internal_webhook_update")
    if request.method == "POST" and not can_update:
        return forbidden(request)
    initial = {"name": webhook.name, "endpoint": webhook.endpoint, "channels": webhook.channels}
    form = WebhookForm(request.POST if request.method == "POST" else None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            webhook = services.webhook_update(
                actor=request.user,
                webhook=webhook,
                name=data["name"],
                endpoint=data["endpoint"],
                channels=data["channels"],
                secret=data["secret"] or None,
            )
        except DomainError as exc:
            attach_domain_error(form, exc, field_map=FIELD_MAP)
        else:
            messages.success(request, _("Webhook “%(name)s” saved.") % {"name": webhook.name})
            return redirect("console:webhook-detail", webhook_id=webhook.pk)
    context = {
        "webhook": webhook,
        "form": form,
        "can_update": can_update,
        "health": selectors.webhook_health(webhook=webhook),
        "has_secret": bool(webhook.secret_encrypted),
    }
    status = 400 if form.errors else 200
    return console_render(request, "webhooks/detail.html", context, section=SECTION, status=status)


@require_POST
@console_view("internal_webhook_update")
def webhook_status(request: HttpRequest, webhook_id: uuid.UUID) -> HttpResponse:
    webhook = _webhook(request, webhook_id)
    target = Webhook.Status.ACTIVE if request.POST.get("status") == "ACTIVE" else Webhook.Status.INACTIVE
    webhook = services.webhook_set_status(actor=request.user, webhook=webhook, status=target)
    done = _("Webhook “%(name)s” activated.") if webhook.is_active else _("Webhook “%(name)s” deactivated.")
    messages.success(request, done % {"name": webhook.name})
    return redirect("console:webhook-detail", webhook_id=webhook.pk)


@require_POST
@console_view("internal_webhook_update")
def webhook_test(request: HttpRequest, webhook_id: uuid.UUID) -> HttpResponse:
    webhook = _webhook(request, webhook_id)
    deliveries.webhook_send_test(actor=request.user, webhook=webhook)
    messages.success(request, _("Test event queued; its delivery appears in the log below."))
    return redirect("console:webhook-deliveries", webhook_id=webhook.pk)


@console_view("internal_webhook_view")
def webhook_deliveries(request: HttpRequest, webhook_id: uuid.UUID) -> HttpResponse:
    """The delivery log; htmx swaps only the table (filter, refresh)."""
    webhook = _webhook(request, webhook_id)
    state = request.GET.get("state", "")
    state = state if state in selectors.DELIVERY_FILTERS else ""
    page = paginate(request, selectors.delivery_list(webhook=webhook, state=state))
    context = {
        "webhook": webhook,
        "page": page,
        "state": state,
        "filters": [("", _("All")), ("failed", _("Failed")), ("pending", _("Pending")), ("delivered", _("Delivered"))],
        "health": selectors.webhook_health(webhook=webhook),
        "can_update": console_access(request).can("internal_webhook_update"),
        "test_event_uri": ch.TEST_EVENT_URI,
    }
    return console_render(
        request, "webhooks/deliveries.html", context, section=SECTION, fragment="webhooks/_deliveries.html"
    )


@console_view("internal_webhook_view")
def delivery_detail(request: HttpRequest, webhook_id: uuid.UUID, delivery_id: uuid.UUID) -> HttpResponse:
    webhook = _webhook(request, webhook_id)
    delivery = selectors.delivery_get(webhook=webhook, delivery_id=delivery_id)
    if delivery is None:
        raise Http404
    body = json.dumps(deliveries.delivery_event_summary(delivery), indent=2, ensure_ascii=False)
    context = {"webhook": webhook, "delivery": delivery, "body": body}
    return console_render(request, "webhooks/delivery.html", context, section=SECTION)


@require_POST
@console_view("internal_webhook_update")
def webhook_redeliver_view(request: HttpRequest, webhook_id: uuid.UUID) -> HttpResponse:
    """Redeliver the checked deliveries (``delivery``), or every failed one (``all_failed``)."""
    webhook = _webhook(request, webhook_id)
    try:
        count = deliveries.webhook_redeliver(
            actor=request.user,
            webhook=webhook,
            delivery_ids=request.POST.getlist("delivery"),
            all_failed=request.POST.get("all_failed") == "1",
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(n)d event(s) scheduled for redelivery.") % {"n": count})
    return redirect(_back_to_log(request, webhook))


def _back_to_log(request: HttpRequest, webhook: Webhook) -> str:
    url = reverse("console:webhook-deliveries", kwargs={"webhook_id": webhook.pk})
    state = request.POST.get("state", "")
    return f"{url}?state={state}" if state in selectors.DELIVERY_FILTERS else url


@console_view("internal_webhook_delete")
def webhook_remove(request: HttpRequest, webhook_id: uuid.UUID) -> HttpResponse:
    webhook = _webhook(request, webhook_id)
    if request.method == "POST":
        services.webhook_delete(actor=request.user, webhook=webhook)
        messages.success(request, _("Webhook “%(name)s” deleted.") % {"name": webhook.name})
        return redirect("console:webhook-list")
    context: dict[str, Any] = {
        "kind": _("webhook"),
        "object_label": webhook.name,
        "cancel_url": reverse("console:webhook-detail", kwargs={"webhook_id": webhook.pk}),
    }
    return console_render(request, "console/confirm_delete.html", context, section=SECTION)


@console_view("internal_webhook_meta_update")
def webhook_settings_view(request: HttpRequest) -> HttpResponse:
    current = selectors.webhook_settings_get(organization=request.organization)
    form = OrganizationPolicyForm(
        request.POST if request.method == "POST" else None,
        initial={"organization_policy": current.organization_policy},
    )
    if request.method == "POST" and form.is_valid():
        services.webhook_settings_update(
            actor=request.user,
            organization=request.organization,
            organization_policy=form.cleaned_data["organization_policy"],
        )
        messages.success(request, _("Webhook settings saved."))
        return redirect("console:webhook-list")
    status = 400 if form.errors else 200
    return console_render(request, "webhooks/settings.html", {"form": form}, section=SECTION, status=status)
