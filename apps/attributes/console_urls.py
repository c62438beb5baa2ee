"""Console pages of attributes and OIDC scopes, in the ``console`` namespace."""

urlpatterns: list = []
