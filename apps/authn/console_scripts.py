"""Console: the conditional-authentication script of an application (part of its sign-in method).

A plain form: a textarea, an "enabled" switch and a template list. Choosing a
template and pressing "Insert template" puts its code into the editor without
saving (works without JavaScript); "Save" checks the script in the sandbox and
shows a syntax error with its line number under the editor."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from apps.applications.models import Application
from apps.authn.models import AuthSequence
from apps.authn.scripting.templates import SCRIPT_TEMPLATES
from apps.authn.services.sequences import sequence_set
from apps.console.access import console_access, console_view, forbidden
from apps.console.form_errors import attach_domain_error
from apps.console.rendering import console_render
from apps.core.errors import DomainError


class ScriptForm(forms.Form):
    script_enabled = forms.BooleanField(label=_lazy("Enable conditional authentication"), required=False)
    script = forms.CharField(
        label=_lazy("Script"),
        required=False,
        strip=False,
        max_length=200_000,  # the service enforces the configured limit with its own message
        widget=forms.Textarea(attrs={"rows": 22, "spellcheck": "false", "class": "code-editor", "wrap": "off"}),
        help_text=_lazy(
            "JavaScript with onLoginRequest(context); executeStep(n) runs step n of the sequence above. "
            "Functions and limits: docs/authn.md, “Conditional authentication”."
        ),
    )
    template = forms.ChoiceField(
        label=_lazy("Start from a template"),
        required=False,
        choices=[("", "—")] + [(item.id, item.title) for item in SCRIPT_TEMPLATES.values()],
    )


def script_form_for(application: Any, data: Any = None) -> ScriptForm:
    row = AuthSequence.objects.filter(application=application).only("script", "script_enabled").first()
    initial = {"script": row.script if row else "", "script_enabled": row.script_enabled if row else False}
    return ScriptForm(data, initial=initial)


@console_view("internal_application_mgt_view")
def application_sign_in_script(request: HttpRequest, application_id: uuid.UUID) -> HttpResponse:
    application = Application.objects.filter(organization=request.organization, uuid=application_id).first()
    if application is None:
        raise Http404
    can_update = console_access(request).can("internal_application_mgt_update")
    if request.method == "POST" and not can_update:
        return forbidden(request)
    form = script_form_for(application, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if "insert_template" in request.POST:
            chosen = SCRIPT_TEMPLATES.get(form.cleaned_data["template"])
            data = request.POST.copy()
            if chosen is not None:
                data["script"] = chosen.code
            form = ScriptForm(data)
            form.is_valid()
        else:
            try:
                sequence_set(
                    actor=request.user,
                    application=application,
                    script=form.cleaned_data["script"],
                    script_enabled=form.cleaned_data["script_enabled"],
                )
            except DomainError as exc:
                attach_domain_error(form, exc)
            else:
                messages.success(
                    request, _("Conditional authentication of “%(name)s” saved.") % {"name": application.name}
                )
                return redirect("console:application-sign-in-method", application_id=application.uuid)
    context = {"application": application, "script_form": form, "can_update": can_update}
    status = 400 if form.errors else 200
    return console_render(request, "authn/console/sign_in_script.html", context, section="applications", status=status)
