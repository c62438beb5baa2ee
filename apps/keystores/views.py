"""Console page for signing keys (being built)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


def keystore_list(request: HttpRequest) -> HttpResponse:
    return redirect("console:dashboard")
