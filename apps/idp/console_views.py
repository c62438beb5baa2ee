"""Console pages: connections (identity providers): list, create from a template, edit, delete."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from apps.console.access import console_access, console_view, forbidden
from apps.console.form_errors import attach_domain_error
from apps.console.rendering import console_render
from apps.core.errors import DomainError
from apps.idp import selectors
from apps.idp.catalog import TEMPLATES
from apps.idp.forms import MAPPING_ROWS_EXTRA, CreateForm, SettingsForm
from apps.idp.models import IdentityProvider
from apps.idp.services import callback_url, idp_create, idp_delete, idp_update

SECTION = "connections"
FIELD_MAP = {"lookup_mappings": "lookup_1_local", "claim_mappings": "map_0_federated", "templateId": None}


def _idp(request: HttpRequest, idp_id: uuid.UUID) -> IdentityProvider:
    idp = selectors.idp_get_by_id(organization=request.organization, idp_id=idp_id)
    if idp is None:
        raise Http404
    return idp


@console_view("internal_idp_view")
def idp_list_view(request: HttpRequest) -> HttpResponse:
    context = {"idps": list(selectors.idp_list(organization=request.organization)), "templates": TEMPLATES}
    return console_render(request, "idp/console/list.html", context, section=SECTION)


@console_view("internal_idp_create")
def idp_templates(request: HttpRequest) -> HttpResponse:
    items = sorted(TEMPLATES.items(), key=lambda item: item[1]["display_order"])
    return console_render(request, "idp/console/templates.html", {"templates": items}, section=SECTION)


@sensitive_post_parameters("client_secret")
@console_view("internal_idp_create")
def idp_new(request: HttpRequest, template_id: str) -> HttpResponse:
    template = TEMPLATES.get(template_id)
    if template is None:
        raise Http404
    form = CreateForm(request.POST if request.method == "POST" else None, template_id=template_id)
    if request.method == "POST" and form.is_valid():
        try:
            idp = idp_create(
                actor=request.user, organization=request.organization, template_id=template_id, **form.service_fields()
            )
        except DomainError as exc:
            attach_domain_error(form, exc, field_map=FIELD_MAP)
        else:
            messages.success(request, _("Connection “%(name)s” created.") % {"name": idp.name})
            return redirect("console:idp-detail", idp_id=idp.pk)
    context = {
        "form": form,
        "template": template,
        "template_id": template_id,
        "callback_url": callback_url(request.organization),
    }
    status = 400 if form.errors else 200
    return console_render(request, "idp/console/create.html", context, section=SECTION, status=status)


@sensitive_post_parameters("client_secret")
@console_view("internal_idp_view")
def idp_detail(request: HttpRequest, idp_id: uuid.UUID) -> HttpResponse:
    idp = _idp(request, idp_id)
    can_update = console_access(request).can("internal_idp_update")
    if request.method == "POST" and not can_update:
        return forbidden(request)
    rows = len(idp.claim_mappings or []) + MAPPING_ROWS_EXTRA
    form = SettingsForm(
        request.POST if request.method == "POST" else None,
        initial=SettingsForm.initial_for(idp),
        organization=request.organization,
        mapping_rows=rows,
    )
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        refresh = request.POST.get("refresh") == "1" or fields["discovery_url"] != idp.discovery_url
        try:
            idp = idp_update(actor=request.user, idp=idp, refresh_metadata=refresh, **fields)
        except DomainError as exc:
            attach_domain_error(form, exc, field_map=FIELD_MAP)
        else:
            messages.success(request, _("Connection “%(name)s” saved.") % {"name": idp.name})
            return redirect("console:idp-detail", idp_id=idp.pk)
    context = {
        "idp": idp,
        "form": form,
        "can_update": can_update,
        "can_delete": console_access(request).can("internal_idp_delete"),
        "callback_url": callback_url(request.organization),
        "template": TEMPLATES.get(idp.template_id, TEMPLATES["oidc"]),
        "association_count": idp.associations.count(),
    }
    status = 400 if form.errors else 200
    return console_render(request, "idp/console/detail.html", context, section=SECTION, status=status)


@require_POST
@console_view("internal_idp_delete")
def idp_remove(request: HttpRequest, idp_id: uuid.UUID) -> HttpResponse:
    idp = _idp(request, idp_id)
    try:
        idp_delete(actor=request.user, idp=idp, force=request.POST.get("force") == "1")
    except DomainError as exc:
        messages.error(request, f"{exc.message} {exc.description if exc.description != exc.message else ''}".strip())
        return redirect("console:idp-detail", idp_id=idp.pk)
    messages.success(request, _("Connection “%(name)s” deleted.") % {"name": idp.name})
    return redirect("console:idp-list")
