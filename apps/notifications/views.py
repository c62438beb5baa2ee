"""Console pages: email and SMS providers (with a test email), templates, the message log and
OTP settings. Thin: forms parse, services decide, errors are shown inline."""

from __future__ import annotations

import json
import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from apps.console.access import console_access, console_view, forbidden
from apps.console.form_errors import attach_domain_error
from apps.console.pagination import paginate
from apps.console.rendering import console_render
from apps.core.errors import DomainError
from apps.notifications import selectors, services
from apps.notifications.forms import EmailSenderForm, SettingsForm, SmsSenderForm, TemplateForm, TestEmailForm
from apps.notifications.services.settings import notification_settings_resolve, notification_settings_revert
from apps.notifications.templating import TEMPLATE_TYPES, template_type_get
from apps.orgs.inheritance_forms import inheritance_annotate, inheritance_changes

SECTION = "notifications"
VIEW, UPDATE = "internal_notification_sender_mgt_view", "internal_notification_sender_mgt_update"
CREATE, DELETE = "internal_notification_sender_mgt_create", "internal_notification_sender_mgt_delete"
T_VIEW, T_UPDATE = "internal_template_mgt_view", "internal_template_mgt_update"
EMAIL_FIELDS = {
    "smtpServerHost": "host",
    "smtpPort": "port",
    "fromAddress": "from_address",
    "userName": "username",
    "tokenEndpoint": "token_endpoint",
    "clientId": "client_id",
    "clientSecret": "client_secret",
}
SMS_FIELDS = {
    "providerURL": "url",
    "contentType": "content_type",
    "body": "body_template",
    "username": "auth_username",
    "header": "auth_header",
}
TEMPLATE_FIELDS = {"body": "body_text", "bodyHtml": "body_html"}


@sensitive_post_parameters("password", "client_secret")
@console_view(VIEW)
def email_sender_view(request: HttpRequest) -> HttpResponse:
    sender = selectors.email_sender_get(organization=request.organization)
    initial = {"security": "starttls", "auth_type": "BASIC", "port": 587}
    if sender is not None:
        initial = {
            name: getattr(sender, name)
            for name in ("host", "port", "security", "from_address", "from_name", "auth_type", "username")
        } | {"token_endpoint": sender.token_endpoint, "client_id": sender.client_id, "scopes": sender.scopes}
    form = EmailSenderForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST":
        if not console_access(request).can(UPDATE if sender else CREATE):
            return forbidden(request)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.email_sender_save(
                    actor=request.user,
                    organization=request.organization,
                    sender=sender,
                    host=data["host"],
                    port=data["port"],
                    security=data["security"],
                    from_address=data["from_address"],
                    from_name=data["from_name"],
                    auth_type=data["auth_type"],
                    username=data["username"],
                    password=data["password"] or None,
                    token_endpoint=data["token_endpoint"],
                    client_id=data["client_id"],
                    client_secret=data["client_secret"] or None,
                    scopes=data["scopes"],
                )
            except DomainError as exc:
                attach_domain_error(form, exc, field_map=EMAIL_FIELDS)
            else:
                messages.success(request, _("Email provider saved."))
                return redirect("console:notification-email")
    context = {"form": form, "sender": sender, "test_form": TestEmailForm(), "is_root": request.organization.is_root}
    return console_render(request, "notifications/email.html", context, section=SECTION)


@require_POST
@console_view(UPDATE)
def email_test_view(request: HttpRequest) -> HttpResponse:
    form = TestEmailForm(request.POST)
    if form.is_valid():
        try:
            services.test_email_send(actor=request.user, organization=request.organization, to=form.cleaned_data["to"])
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Test email queued: follow it in the message log."))
            return redirect("console:notification-messages")
    return redirect("console:notification-email")


@require_POST
@console_view(DELETE)
def email_delete_view(request: HttpRequest) -> HttpResponse:
    sender = selectors.email_sender_get(organization=request.organization)
    if sender is None:
        raise Http404
    services.email_sender_delete(actor=request.user, sender=sender)
    messages.success(request, _("Email provider deleted."))
    return redirect("console:notification-email")


@sensitive_post_parameters("secret")
@console_view(VIEW)
def sms_sender_view(request: HttpRequest) -> HttpResponse:
    sender = selectors.sms_sender_get(organization=request.organization)
    initial = {"provider": "custom", "auth_type": "NONE"}
    if sender is not None:
        initial = {
            "provider": sender.provider,
            "url": sender.url,
            "method": sender.method,
            "content_type": sender.content_type,
            "headers": json.dumps(sender.headers) if sender.headers else "",
            "body_template": sender.body_template,
            "sender": sender.sender,
            "auth_type": sender.auth_type,
            "auth_username": sender.auth_username,
            "auth_header": sender.auth_header,
        }
    form = SmsSenderForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST":
        if not console_access(request).can(UPDATE if sender else CREATE):
            return forbidden(request)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.sms_sender_save(
                    actor=request.user,
                    organization=request.organization,
                    sender=sender,
                    provider=data["provider"],
                    url=data["url"],
                    method=data["method"],
                    content_type=data["content_type"],
                    headers=data["headers"],
                    body_template=data["body_template"],
                    sender_id=data["sender"],
                    auth_type=data["auth_type"],
                    auth_username=data["auth_username"],
                    auth_header=data["auth_header"],
                    secret=data["secret"] or None,
                )
            except DomainError as exc:
                attach_domain_error(form, exc, field_map=SMS_FIELDS)
            else:
                messages.success(request, _("SMS provider saved."))
                return redirect("console:notification-sms")
    context = {"form": form, "sender": sender, "is_root": request.organization.is_root}
    return console_render(request, "notifications/sms.html", context, section=SECTION)


@require_POST
@console_view(DELETE)
def sms_delete_view(request: HttpRequest) -> HttpResponse:
    sender = selectors.sms_sender_get(organization=request.organization)
    if sender is None:
        raise Http404
    services.sms_sender_delete(actor=request.user, sender=sender)
    messages.success(request, _("SMS provider deleted."))
    return redirect("console:notification-sms")


@console_view(T_VIEW)
def template_list_view(request: HttpRequest) -> HttpResponse:
    rows = selectors.template_overview(organization=request.organization)
    return console_render(request, "notifications/templates.html", {"rows": rows}, section=SECTION)


@console_view(T_VIEW)
def template_edit_view(request: HttpRequest, template_type: str, locale: str) -> HttpResponse:
    if template_type not in TEMPLATE_TYPES:
        raise Http404
    spec = template_type_get(template_type)
    try:
        current = selectors.template_get(organization=request.organization, template_type=template_type, locale=locale)
    except DomainError as exc:
        raise Http404 from exc
    initial = {"subject": current.subject, "body_text": current.body_text, "body_html": current.body_html}
    form = TemplateForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST":
        if not console_access(request).can(T_UPDATE):
            return forbidden(request)
        try:
            if "reset" in request.POST:
                services.template_reset(
                    actor=request.user, organization=request.organization, template_type=template_type, locale=locale
                )
                messages.success(request, _("Template reset to the default."))
                return redirect("console:notification-template", template_type=template_type, locale=locale)
            if form.is_valid():
                data = form.cleaned_data
                services.template_save(
                    actor=request.user,
                    organization=request.organization,
                    template_type=template_type,
                    locale=locale,
                    subject=data["subject"],
                    body_html=data["body_html"],
                    body_text=data["body_text"],
                )
                messages.success(request, _("Template saved."))
                return redirect("console:notification-template", template_type=template_type, locale=locale)
        except DomainError as exc:
            attach_domain_error(form, exc, field_map=TEMPLATE_FIELDS)
    context = {
        "form": form,
        "spec": spec,
        "current": current,
        "locale": locale,
        "placeholders": sorted(spec.placeholders),
    }
    return console_render(request, "notifications/template_edit.html", context, section=SECTION)


@console_view(VIEW)
def message_list_view(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in selectors.MESSAGE_STATUS_FILTERS:
        status = ""
    page = paginate(request, selectors.message_list(organization=request.organization, status=status))
    context = {"page": page, "status": status, "filters": list(selectors.MESSAGE_STATUS_FILTERS)}
    return console_render(
        request, "notifications/messages.html", context, section=SECTION, fragment="notifications/_messages.html"
    )


@require_POST
@console_view(UPDATE)
def message_retry_view(request: HttpRequest, message_id: uuid.UUID) -> HttpResponse:
    message = selectors.message_get(organization=request.organization, message_id=message_id)
    if message is None:
        raise Http404
    try:
        services.message_retry_now(actor=request.user, message=message)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The message will be sent again."))
    return redirect("console:notification-messages")


@console_view(VIEW)
def settings_view(request: HttpRequest) -> HttpResponse:
    """OTP and link settings; in a sub-organization each value shows where it is inherited from,
    with "Override" / "Revert to inherited" (``apps.orgs.inheritance_forms``)."""
    organization = request.organization
    can_update = console_access(request).can(UPDATE)
    if request.method == "POST" and not can_update:
        return forbidden(request)
    resolution = notification_settings_resolve(organization=organization)
    form = SettingsForm(
        request.POST if request.method == "POST" else None,
        initial={name: resolution.values[name] for name in SettingsForm.base_fields},
    )
    inherits = inheritance_annotate(form, organization=organization, resolution=resolution)
    if request.method == "POST" and inherits and request.POST.get("revert"):
        try:
            notification_settings_revert(actor=request.user, organization=organization, names=[request.POST["revert"]])
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The setting is inherited again."))
        return redirect("console:notification-settings")
    if request.method == "POST" and form.is_valid():
        values = inheritance_changes(form, resolution=resolution, data=request.POST) if inherits else form.cleaned_data
        try:
            services.notification_settings_update(actor=request.user, organization=organization, **values)
        except DomainError as exc:
            attach_domain_error(form, exc)
        else:
            messages.success(request, _("Settings saved."))
            return redirect("console:notification-settings")
    context = {"form": form, "inherits": inherits, "can_update": can_update}
    status = 400 if form.errors else 200
    return console_render(request, "notifications/settings.html", context, section=SECTION, status=status)
