"""Console pages for applications and API resources (being built)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


def application_list(request: HttpRequest) -> HttpResponse:
    return redirect("console:dashboard")


def api_resource_list(request: HttpRequest) -> HttpResponse:
    return redirect("console:dashboard")
