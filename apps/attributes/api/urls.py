"""Claim management (claim dialects, local claims, mappings) and OIDC scope APIs."""

urlpatterns: list = []
