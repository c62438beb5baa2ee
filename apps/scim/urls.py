"""SCIM 2.0 (RFC 7644) endpoints under /t/<handle>/scim2/."""

urlpatterns: list = []
