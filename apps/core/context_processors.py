from django.http import HttpRequest


def tenancy(request: HttpRequest) -> dict:
    return {
        "organization": getattr(request, "organization", None),
        "tenant_prefix": getattr(request, "tenant_prefix", ""),
    }
