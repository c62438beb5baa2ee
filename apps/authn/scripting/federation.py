"""The association functions over ``apps.idp`` (used when no other ``FederationBridge`` is registered).

A thin adapter over ``apps.idp``'s public services: ``idp_get`` and the
``association_local_user`` / ``association_create`` / ``association_remove``
functions (associations made by a script are recorded with ``via="script"``)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from apps.core.errors import InvalidInput


class IdpAppFederation:
    def _provider(self, organization: Any, idp: str) -> Any | None:
        from apps.idp.selectors import idp_get

        return idp_get(organization, idp)

    def local_user(self, *, organization: Any, idp: str, subject: str) -> Any | None:
        from apps.idp.services.associations import association_local_user

        provider = self._provider(organization, idp)
        return None if provider is None else association_local_user(idp=provider, subject=subject)

    def associate(self, *, organization: Any, idp: str, subject: str, user: Any) -> None:
        from apps.idp.services.associations import association_create

        provider = self._provider(organization, idp)
        if provider is None:
            raise InvalidInput("AUT-60009", _("Unknown identity provider %(idp)s.") % {"idp": idp[:100]})
        association_create(actor=None, user=user, idp=provider, subject=subject, via="script")

    def remove(self, *, organization: Any, idp: str, subject: str) -> bool:
        from apps.idp.services.associations import association_remove

        provider = self._provider(organization, idp)
        return provider is not None and association_remove(actor=None, idp=provider, subject=subject)
