"""The browser's way back from a federated sign-up: ``/commonauth`` (``apps.idp``) hands requests of
purpose ``flow`` to ``flow_callback``, which continues the flow with the IdP's ``code`` and ``state``
exactly as a native client would through the execute API, then sends the browser back to the flow page
(``flow_resume_url``), which shows the next view. The flow must have been started on the flow page of
this browser (its id is in the browser's session): a callback carried to another browser is refused."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from apps.core.ids import parse_uuid
from apps.flows.errors import FlowError
from apps.flows.links import flow_resume_url
from apps.flows.models import FlowExecutionContext


def _error(request: HttpRequest, description: str, status: int = 400) -> HttpResponse:
    return render(
        request, "authn/error.html", {"organization": request.organization, "description": description}, status=status
    )


def flow_callback(request: HttpRequest, auth_request: object) -> HttpResponse:
    from apps.flows import page_views as pages
    from apps.flows.engine.core import flow_execute

    organization = request.organization
    flow_id = parse_uuid(getattr(auth_request, "reference", ""))
    ctx = (
        FlowExecutionContext.objects.filter(pk=flow_id, organization_id=organization.pk).only("flow_type").first()
        if flow_id is not None
        else None
    )
    if ctx is None:
        return _error(request, _("Your sign-up took too long or was interrupted. Please start again."))
    flow_type = ctx.flow_type
    state = pages._state(request, flow_type)
    if state is None or state.get("flowId") != str(flow_id):
        return _error(request, _("This sign-up was started in another browser. Please start again."))
    inputs = {key: request.GET.get(key, "")[:2048] for key in ("code", "state", "error") if request.GET.get(key)}
    try:
        response = flow_execute(
            organization=organization, data={"flowId": str(flow_id), "inputs": inputs}, request=request
        )
    except FlowError as exc:
        if exc.status == 429:
            return pages._too_many(request, exc)
        pages._state_drop(request, flow_type)
        return pages._problem(request, flow_type, exc.message, status=400, detail=exc.description)
    if response.get("flowStatus") == "COMPLETE":
        return pages._completed(request, flow_type, state, response)
    state["view"] = pages._view_of(response)
    pages._state_save(request, flow_type, state)
    return redirect(flow_resume_url(organization, flow_type, flow_id=str(flow_id)))
