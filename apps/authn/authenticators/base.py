"""Authenticator base class and registry.

An authenticator satisfies one step of a login flow: ``begin`` prepares the
step (sends a code, ...) and returns template context, ``complete`` checks the
posted data and returns an ``Outcome``. First factors find the user; second
factors verify the user the flow already has."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from django.http import HttpRequest

FIRST_FACTOR = "first"
SECOND_FACTOR = "second"
FEDERATED = "federated"


@dataclass(frozen=True)
class Outcome:
    user: Any = None
    reason: str = ""  # "" on success; a credentials-free reason for audit otherwise
    message: str = ""  # what the user is told on failure (never whether the account exists)
    pending: bool = False  # the step is not finished yet (identifier given, password next)
    form: Any = None  # the bound form to show again with its field errors

    @property
    def ok(self) -> bool:
        return not self.reason and not self.pending


class Authenticator(ABC):
    id: ClassVar[str]
    display_name: ClassVar[str]
    kind: ClassVar[str]
    template: ClassVar[str]
    amr: ClassVar[str]  # RFC 8176 authentication method reference
    identifies: ClassVar[bool] = False  # a second factor that can also be the first step (passkey)

    @property
    def can_identify(self) -> bool:
        return self.kind != SECOND_FACTOR or self.identifies

    def available_for(self, user: Any) -> bool:
        """Whether ``user`` can use this authenticator (enrolled, has an address ...)."""
        return True

    def begin(self, request: HttpRequest, flow: Any) -> dict[str, Any]:
        return {}

    @abstractmethod
    def complete(self, request: HttpRequest, flow: Any, data: Any) -> Outcome:
        """Check what the user sent for this step: Success with the user, or Failure with a reason."""


_registry: dict[str, Authenticator] = {}
_families: dict[str, Callable[[str], Authenticator | None]] = {}
_family_members: dict[str, Callable[[Any], list[Authenticator]]] = {}


def register(authenticator: Authenticator) -> None:
    _registry[authenticator.id] = authenticator


def register_family(
    prefix: str,
    factory: Callable[[str], Authenticator | None],
    members: Callable[[Any], list[Authenticator]] | None = None,
) -> None:
    """Resolve ids ``<prefix>:<name>`` through ``factory(name)`` (e.g. ``federated:<idp>``);
    ``members(organization)`` lists the ones an organization can choose (its IdPs)."""
    _families[prefix] = factory
    if members is not None:
        _family_members[prefix] = members


def authenticator_get(authenticator_id: str) -> Authenticator | None:
    if authenticator_id in _registry:
        return _registry[authenticator_id]
    prefix, _sep, name = authenticator_id.partition(":")
    factory = _families.get(prefix)
    return factory(name) if factory is not None and name else None


def authenticators_all() -> list[Authenticator]:
    return list(_registry.values())


def authenticators_for(organization: Any) -> list[Authenticator]:
    """What ``organization`` can put in a sequence: the built-ins and its family members."""
    found = list(_registry.values())
    for members in _family_members.values():
        found += members(organization)
    return found
