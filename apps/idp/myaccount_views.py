"""My Account: the user's linked accounts (federated associations), with remove."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.idp.selectors import association_get, associations_of
from apps.idp.services import association_delete
from apps.myaccount.views import _render, myaccount_view


@myaccount_view
def linked_accounts(request: HttpRequest) -> HttpResponse:
    context = {"associations": list(associations_of(request.user))}
    return _render(request, "idp/myaccount/linked_accounts.html", context, section="linked-accounts")


@myaccount_view
@require_POST
def linked_account_remove(request: HttpRequest, association_id: uuid.UUID) -> HttpResponse:
    row = association_get(user=request.user, association_id=association_id)
    if row is None:
        raise Http404
    association_delete(actor=request.user, association=row)
    messages.success(request, _("Your %(idp)s account is no longer linked.") % {"idp": row.idp.name})
    return redirect("myaccount:linked-accounts")
