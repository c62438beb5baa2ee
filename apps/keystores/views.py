"""Console pages: the signing keys of each protocol, and key rotation.

Keys belong to the root organization; inside a sub-organization the page says
so and links to the root's Console instead of showing anything to rotate."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from apps.console.access import console_view, user_manages_organization
from apps.console.form_errors import attach_domain_error
from apps.console.rendering import console_render
from apps.core.errors import DomainError
from apps.keystores.forms import KeyRotateForm, key_type_of
from apps.keystores.models import SigningKey
from apps.keystores.selectors import keystore_list
from apps.keystores.services import keystore_rotate

FIELD_MAP = {"algorithm": "key_type", "keySize": "key_type", "overlapSeconds": "retire_now"}


def _protocol(protocol: str) -> tuple[str, str]:
    labels = dict(SigningKey.Protocol.choices)
    if protocol not in labels:
        raise Http404
    return protocol, str(labels[protocol])


def _root_context(request: HttpRequest) -> dict[str, Any]:
    """For a sub-organization: the root whose keys apply, and whether this user may go there."""
    root = request.organization.root
    return {
        "root": root,
        "root_console_url": f"{root.url_prefix}/console/keystores/"
        if user_manages_organization(request.user, root)
        else "",
    }


@console_view("internal_keystore_view")
def keystore_list_view(request: HttpRequest) -> HttpResponse:
    organization = request.organization
    if not organization.is_root:
        return console_render(request, "keystores/list.html", _root_context(request), section="keystores")
    by_protocol: dict[str, list[SigningKey]] = {}
    for key in keystore_list(organization=organization):
        by_protocol.setdefault(key.protocol, []).append(key)
    sections = [
        {
            "protocol": value,
            "label": label,
            "keys": by_protocol.get(value, []),
            "has_active": any(k.status == SigningKey.Status.ACTIVE for k in by_protocol.get(value, [])),
        }
        for value, label in SigningKey.Protocol.choices
    ]
    return console_render(request, "keystores/list.html", {"sections": sections}, section="keystores")


@console_view("internal_keystore_update")
def keystore_rotate_view(request: HttpRequest, protocol: str) -> HttpResponse:
    protocol, label = _protocol(protocol)
    organization = request.organization
    if not organization.is_root:
        messages.error(request, _("Signing keys belong to the root organization; rotate them there."))
        return redirect("console:keystore-list")
    current = (
        keystore_list(organization=organization, protocol=protocol).filter(status=SigningKey.Status.ACTIVE).first()
    )
    initial = {"key_type": key_type_of(current.algorithm, current.key_size) if current else "RS256-2048"}
    form = KeyRotateForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            key = keystore_rotate(actor=request.user, organization=organization, protocol=protocol, **form.rotation())
        except DomainError as exc:
            attach_domain_error(form, exc, field_map=FIELD_MAP)
        else:
            messages.success(
                request,
                _("The new %(protocol)s signing key %(kid)s is active.") % {"protocol": label, "kid": key.kid},
            )
            return redirect("console:keystore-list")
    overlap = settings.IAM_KEY_ROTATION_OVERLAP_SECONDS
    context = {
        "form": form,
        "protocol": protocol,
        "protocol_label": label,
        "current": current,
        "overlap_until": date_format(timezone.localtime() + timedelta(seconds=overlap), "DATETIME_FORMAT"),
    }
    status = 400 if form.errors else 200
    return console_render(request, "keystores/rotate.html", context, section="keystores", status=status)
