"""Organizations: the subtree as a tree, nested search, create, edit (with email domains), delete."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.console.access import console_access, console_view, forbidden
from apps.console.form_errors import attach_domain_error
from apps.console.forms import EmailDomainsForm, OrganizationCreateForm, OrganizationUpdateForm
from apps.console.pagination import paginate, search_query
from apps.console.rendering import console_render
from apps.console.selectors import console_subtree
from apps.console.views.org_discovery import email_domains_context, email_domains_editable
from apps.core.errors import DomainError
from apps.orgs.discovery import discovery_attributes_set
from apps.orgs.filters import organization_filter
from apps.orgs.models import Organization
from apps.orgs.selectors import organization_ancestors, organization_get_visible, organization_list
from apps.orgs.services import organization_create, organization_delete, organization_update

MAX_LEVEL = 8
TREE_PAGE_SIZE = 50


def _visible_org(request: HttpRequest, org_id: object) -> Organization:
    org = organization_get_visible(scope=request.organization, organization_id=org_id)
    if org is None:
        raise Http404
    return org


@console_view("internal_organization_view")
def org_list(request: HttpRequest) -> HttpResponse:
    """The subtree as an indented tree; with ``q``, a search across the whole subtree."""
    current = request.organization
    query = search_query(request)
    search_error = ""
    if query:
        orgs = organization_list(scope=current, recursive=True).select_related("parent").order_by("name", "path")
        try:
            orgs = organization_filter(orgs, f"name co {query}")
        except DomainError as exc:
            search_error, orgs = exc.message, orgs.none()
        page = paginate(request, orgs, per_page=TREE_PAGE_SIZE)
        rows = [{"org": org, "level": 1} for org in page]
    else:
        page = paginate(request, console_subtree(organization=current, include_self=False), per_page=TREE_PAGE_SIZE)
        rows = [{"org": org, "level": min(level, MAX_LEVEL)} for org, level in page]
    context = {"page": page, "rows": rows, "query": query, "search_error": search_error}
    return console_render(
        request, "console/orgs/list.html", context, section="orgs", fragment="console/orgs/_results.html"
    )


@console_view("internal_organization_create")
def org_create(request: HttpRequest) -> HttpResponse:
    current = request.organization
    parents = console_subtree(organization=current, include_self=True)
    requested = organization_get_visible(scope=current, organization_id=request.GET.get("parent", ""))
    initial = {"parent": str((requested or current).pk)}
    form = OrganizationCreateForm(request.POST if request.method == "POST" else None, parents=parents, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        parent = organization_get_visible(scope=current, organization_id=data["parent"])
        if parent is None:  # deleted since the form was shown
            raise Http404
        try:
            org = organization_create(
                actor=request.user,
                parent=parent,
                name=data["name"],
                handle=data["handle"] or None,
                description=data["description"],
            )
        except DomainError as exc:
            attach_domain_error(form, exc)
        else:
            messages.success(request, _("Organization “%(name)s” created.") % {"name": org.name})
            return redirect("console:org-detail", org_id=org.pk)
    status = 400 if form.errors else 200
    return console_render(request, "console/orgs/create.html", {"form": form}, section="orgs", status=status)


@console_view("internal_organization_view")
def org_detail(request: HttpRequest, org_id: uuid.UUID) -> HttpResponse:
    """An organization's details; its edit form for those who may update it."""
    org = _visible_org(request, org_id)
    access = console_access(request)
    can_update = access.can("internal_organization_update")
    form = None
    if can_update or request.method == "POST":
        if not can_update:
            return forbidden(request)
        initial = {"name": org.name, "description": org.description, "status": org.status}
        form = OrganizationUpdateForm(request.POST if request.method == "POST" else None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                org = organization_update(actor=request.user, organization=org, **form.cleaned_data)
            except DomainError as exc:
                attach_domain_error(form, exc)
            else:
                messages.success(request, _("Organization “%(name)s” saved.") % {"name": org.name})
                return redirect("console:org-detail", org_id=org.pk)
    status = 400 if form is not None and form.errors else 200
    return _detail_render(request, org, form=form, status=status)


def _detail_render(
    request: HttpRequest,
    org: Organization,
    *,
    form: OrganizationUpdateForm | None,
    domains_form: EmailDomainsForm | None = None,
    status: int = 200,
) -> HttpResponse:
    ancestors = [a for a in organization_ancestors(organization=org) if a.depth >= request.organization.depth]
    context = {
        "org": org,
        "form": form,
        "breadcrumbs": ancestors[:-1],
        "children": organization_list(scope=org).order_by("name"),
        "is_current": org.pk == request.organization.pk,
        "console_url": f"{org.url_prefix}/console/",
        **email_domains_context(request, org, form=domains_form),
    }
    return console_render(request, "console/orgs/detail.html", context, section="orgs", status=status)


@require_POST
@console_view("internal_organization_update")
def org_email_domains(request: HttpRequest, org_id: uuid.UUID) -> HttpResponse:
    """Save a sub-organization's email domains (its detail page's "Email domains" panel)."""
    org = _visible_org(request, org_id)
    if not email_domains_editable(request, org):
        return forbidden(request)
    domains_form = EmailDomainsForm(request.POST)
    if domains_form.is_valid():
        try:
            attributes = [{"type": "emailDomain", "values": domains_form.domain_list()}]
            discovery_attributes_set(actor=request.user, organization=org, attributes=attributes)
        except DomainError as exc:
            attach_domain_error(domains_form, exc, field_map={"values": "domains", "type": "domains"})
        else:
            messages.success(request, _("Email domains of “%(name)s” saved.") % {"name": org.name})
            return redirect("console:org-detail", org_id=org.pk)
    initial = {"name": org.name, "description": org.description, "status": org.status}
    form = OrganizationUpdateForm(initial=initial)
    return _detail_render(request, org, form=form, domains_form=domains_form, status=400)


@console_view("internal_organization_delete")
def org_delete(request: HttpRequest, org_id: uuid.UUID) -> HttpResponse:
    """A confirmation page (GET) whose form deletes the organization (POST)."""
    org = _visible_org(request, org_id)
    error = ""
    if org.pk == request.organization.pk:
        error = _("You cannot delete the organization you are managing. Open its parent first.")
    elif request.method == "POST":
        try:
            organization_delete(actor=request.user, organization=org)
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, _("Organization “%(name)s” deleted.") % {"name": org.name})
            return redirect("console:org-list")
    context = {
        "object_label": org.name,
        "kind": _("organization"),
        "error": error,
        "blocked": org.pk == request.organization.pk,
        "cancel_url": reverse("console:org-detail", kwargs={"org_id": org.pk}),
    }
    return console_render(request, "console/confirm_delete.html", context, section="orgs", status=400 if error else 200)
