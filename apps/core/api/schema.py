"""OpenAPI descriptions of our authentication classes (imported at app ready)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "apps.core.api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: object) -> dict:
        return {"type": "http", "scheme": "bearer", "description": "OAuth 2.0 access token with the listed scopes."}


class BasicScheme(OpenApiAuthenticationExtension):
    target_class = "apps.core.api.authentication.OrganizationBasicAuthentication"
    name = "basicAuth"

    def get_security_definition(self, auto_schema: object) -> dict:
        return {"type": "http", "scheme": "basic", "description": "A user's credentials (IAM_API_BASIC_AUTH)."}
