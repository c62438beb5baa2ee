"""Console pages: attributes (list, create, edit, delete) and OIDC scopes
(list, create, edit, delete). Sub-organizations see the root's definitions
read-only; every write goes through ``apps.attributes.services``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.attributes import selectors, services
from apps.attributes.console_forms import (
    FIELD_MAP,
    LocalClaimForm,
    OIDCScopeForm,
    local_claim_initial,
)
from apps.attributes.models import LocalClaim, OIDCScope
from apps.console.access import console_access, console_view, forbidden
from apps.console.form_errors import attach_domain_error
from apps.console.rendering import console_render
from apps.core.errors import DomainError

SECTION, SCOPES_SECTION = "attributes", "oidc-scopes"
VIEW, CREATE, UPDATE, DELETE = (
    "internal_claim_meta_view",
    "internal_claim_meta_create",
    "internal_claim_meta_update",
    "internal_claim_meta_delete",
)
SCOPE_VIEW, SCOPE_CREATE, SCOPE_UPDATE, SCOPE_DELETE = (
    "internal_oidc_scope_mgt_view",
    "internal_oidc_scope_mgt_create",
    "internal_oidc_scope_mgt_update",
    "internal_oidc_scope_mgt_delete",
)


def _claim(request: HttpRequest, claim_id: str) -> LocalClaim:
    claim = selectors.local_claim_get_by_id(organization=request.organization, claim_id=claim_id)
    if claim is None:
        raise Http404
    return claim


def _sub_attribute_choices(request: HttpRequest, exclude: str = "") -> list[tuple[str, str]]:
    return [
        (claim.claim_uri, f"{claim.display_name} ({claim.name})")
        for claim in selectors.local_claim_list(organization=request.organization)
        if claim.data_type != "complex" and claim.claim_uri != exclude
    ]


@console_view(VIEW)
def attribute_list(request: HttpRequest) -> HttpResponse:
    claims = [
        {"claim": claim, "id": selectors.id_encode(claim.claim_uri)}
        for claim in selectors.local_claim_list(organization=request.organization)
    ]
    context = {"claims": claims, "writable": request.organization.is_root}
    return console_render(request, "attributes/list.html", context, section=SECTION)


def _form_page(request: HttpRequest, form: LocalClaimForm, *, claim: LocalClaim | None, status: int) -> HttpResponse:
    access = console_access(request)
    writable = request.organization.is_root and access.can(UPDATE if claim else CREATE)
    context = {
        "form": form,
        "claim": claim,
        "claim_id": selectors.id_encode(claim.claim_uri) if claim else "",
        "writable": writable,
        "can_delete": claim is not None and not claim.system and writable and access.can(DELETE),
    }
    return console_render(request, "attributes/form.html", context, section=SECTION, status=status)


@console_view(CREATE)
def attribute_new(request: HttpRequest) -> HttpResponse:
    choices = _sub_attribute_choices(request)
    form = LocalClaimForm(
        request.POST if request.method == "POST" else None,
        sub_attribute_choices=choices,
        editing=False,
        initial={"supported_by_default": True},
    )
    if request.method == "POST" and form.is_valid():
        try:
            claim = services.local_claim_create(
                actor=request.user,
                organization=request.organization,
                claim_uri=form.claim_uri(),
                **form.service_fields(),
            )
        except DomainError as exc:
            attach_domain_error(form, exc, field_map=FIELD_MAP)
        else:
            messages.success(request, _("Attribute “%(name)s” created.") % {"name": claim.display_name})
            return redirect("console:attribute-list")
    return _form_page(request, form, claim=None, status=400 if form.errors else 200)


@console_view(VIEW)
def attribute_detail(request: HttpRequest, claim_id: str) -> HttpResponse:
    claim = _claim(request, claim_id)
    posted = request.method == "POST"
    if posted and not console_access(request).can(UPDATE):
        return forbidden(request)
    form = LocalClaimForm(
        request.POST if posted else None,
        sub_attribute_choices=_sub_attribute_choices(request, exclude=claim.claim_uri),
        editing=True,
        initial=local_claim_initial(claim),
    )
    if posted and form.is_valid():
        try:
            services.local_claim_update(
                actor=request.user, organization=request.organization, claim=claim, **form.service_fields()
            )
        except DomainError as exc:
            attach_domain_error(form, exc, field_map=FIELD_MAP)
        else:
            messages.success(request, _("Attribute “%(name)s” saved.") % {"name": form.cleaned_data["display_name"]})
            return redirect("console:attribute-detail", claim_id=claim_id)
    return _form_page(request, form, claim=claim, status=400 if form.errors else 200)


@require_POST
@console_view(VIEW)
def attribute_input_formats(request: HttpRequest) -> HttpResponse:
    """htmx: the input-format field for the data type / multi-valued / options being edited."""
    form = LocalClaimForm(request.POST, sub_attribute_choices=[], editing=False)
    return console_render(request, "attributes/_input_format.html", {"form": form}, section=SECTION)


@console_view(DELETE)
def attribute_remove(request: HttpRequest, claim_id: str) -> HttpResponse:
    claim = _claim(request, claim_id)
    error = ""
    if request.method == "POST":
        try:
            services.local_claim_delete(actor=request.user, organization=request.organization, claim=claim)
        except DomainError as exc:
            error = exc.message if exc.description == exc.message else f"{exc.message} {exc.description}"
        else:
            messages.success(request, _("Attribute “%(name)s” deleted.") % {"name": claim.display_name})
            return redirect("console:attribute-list")
    context = {
        "object_label": claim.display_name,
        "kind": _("attribute"),
        "error": error,
        "cancel_url": reverse("console:attribute-detail", kwargs={"claim_id": claim_id}),
    }
    return console_render(
        request, "console/confirm_delete.html", context, section=SECTION, status=400 if error else 200
    )


# --- OIDC scopes -----------------------------------------------------------------------------------


def _scope(request: HttpRequest, name: str) -> OIDCScope:
    scope = selectors.oidc_scope_get(organization=request.organization, name=name)
    if scope is None:
        raise Http404
    return scope


def _claim_choices(request: HttpRequest) -> list[tuple[str, str]]:
    return [
        (claim.claim_uri, f"{claim.claim_uri} — {claim.local_claim.display_name}")
        for claim in selectors.oidc_claim_choices(organization=request.organization)
    ]


@console_view(SCOPE_VIEW)
def scope_list(request: HttpRequest) -> HttpResponse:
    context = {"scopes": selectors.oidc_scope_list(organization=request.organization)}
    return console_render(request, "attributes/scopes/list.html", context, section=SCOPES_SECTION)


def _scope_page(request: HttpRequest, form: OIDCScopeForm, *, scope: OIDCScope | None, status: int) -> HttpResponse:
    access = console_access(request)
    writable = request.organization.is_root and access.can(SCOPE_UPDATE if scope else SCOPE_CREATE)
    context: dict[str, Any] = {
        "form": form,
        "scope": scope,
        "writable": writable,
        "can_delete": scope is not None and not scope.system and writable and access.can(SCOPE_DELETE),
    }
    return console_render(request, "attributes/scopes/form.html", context, section=SCOPES_SECTION, status=status)


@console_view(SCOPE_CREATE)
def scope_new(request: HttpRequest) -> HttpResponse:
    form = OIDCScopeForm(
        request.POST if request.method == "POST" else None, claim_choices=_claim_choices(request), editing=False
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            scope = services.oidc_scope_create(
                actor=request.user,
                organization=request.organization,
                name=data["name"],
                display_name=data["display_name"],
                description=data["description"],
                claims=data["claims"],
            )
        except DomainError as exc:
            attach_domain_error(form, exc, field_map={"displayName": "display_name"})
        else:
            messages.success(request, _("Scope “%(name)s” created.") % {"name": scope.name})
            return redirect("console:oidc-scope-list")
    return _scope_page(request, form, scope=None, status=400 if form.errors else 200)


@console_view(SCOPE_VIEW)
def scope_detail(request: HttpRequest, name: str) -> HttpResponse:
    scope = _scope(request, name)
    posted = request.method == "POST"
    if posted and not console_access(request).can(SCOPE_UPDATE):
        return forbidden(request)
    initial = {
        "name": scope.name,
        "display_name": scope.display_name,
        "description": scope.description,
        "claims": [claim.claim_uri for claim in scope.claims.all()],
    }
    form = OIDCScopeForm(
        request.POST if posted else None, claim_choices=_claim_choices(request), editing=True, initial=initial
    )
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            services.oidc_scope_update(
                actor=request.user,
                organization=request.organization,
                scope=scope,
                display_name=data["display_name"],
                description=data["description"],
                claims=data["claims"],
            )
        except DomainError as exc:
            attach_domain_error(form, exc, field_map={"displayName": "display_name"})
        else:
            messages.success(request, _("Scope “%(name)s” saved.") % {"name": scope.name})
            return redirect("console:oidc-scope-detail", name=scope.name)
    return _scope_page(request, form, scope=scope, status=400 if form.errors else 200)


@console_view(SCOPE_DELETE)
def scope_remove(request: HttpRequest, name: str) -> HttpResponse:
    scope = _scope(request, name)
    error = ""
    if request.method == "POST":
        try:
            services.oidc_scope_delete(actor=request.user, organization=request.organization, scope=scope)
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, _("Scope “%(name)s” deleted.") % {"name": scope.name})
            return redirect("console:oidc-scope-list")
    context = {
        "object_label": scope.name,
        "kind": _("OIDC scope"),
        "error": error,
        "cancel_url": reverse("console:oidc-scope-detail", kwargs={"name": scope.name}),
    }
    return console_render(
        request, "console/confirm_delete.html", context, section=SCOPES_SECTION, status=400 if error else 200
    )
