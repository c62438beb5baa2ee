"""Notification templates: the types, their placeholders, shipped defaults and safe rendering.

Templates use Django's template syntax restricted to ``{{ placeholder }}`` (optionally with a
few harmless filters such as ``upper``): no tags, no attribute lookups, only the placeholders
the type allows. Validation runs on save, so a template that renders is a template that saved.
Shipped defaults live in ``templates_data/<locale>.json``; an organization overrides a type per
locale. Resolution falls back from ``fr-CA`` to ``fr`` to the organization's default locale to
``en``, preferring an override over a shipped default at each step."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.template import Context, Engine, TemplateSyntaxError
from django.template.base import Node, TextNode, VariableNode
from django.utils.translation import gettext as _

from apps.core.errors import InvalidInput

DEFAULT_LOCALE = "en"
DATA_DIR = Path(__file__).with_name("templates_data")
LOCALE_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")

COMMON = frozenset({"user_name", "organization_name"})
OTP_PLACEHOLDERS = COMMON | {"otp", "expiry_minutes"}
LINK_PLACEHOLDERS = COMMON | {"link", "expiry_minutes"}
# Context keys that never appear in the Console's message log.
SECRET_PLACEHOLDERS = frozenset({"otp", "link"})
ALLOWED_FILTERS = frozenset({"upper", "lower", "title", "capfirst"})


@dataclass(frozen=True)
class TemplateType:
    key: str
    channel: str
    placeholders: frozenset[str]
    label: str


TEMPLATE_TYPES: dict[str, TemplateType] = {
    t.key: t
    for t in (
        TemplateType("email_otp", "email", OTP_PLACEHOLDERS, "Email OTP (verification, sign-in)"),
        TemplateType("email_verification_link", "email", LINK_PLACEHOLDERS, "Email verification link"),
        TemplateType("ask_password_otp", "email", OTP_PLACEHOLDERS, "Invite: set password with OTP"),
        TemplateType("ask_password_link", "email", LINK_PLACEHOLDERS, "Invite: set password link"),
        TemplateType("password_reset_otp", "email", OTP_PLACEHOLDERS, "Password reset OTP"),
        TemplateType("password_reset_link", "email", LINK_PLACEHOLDERS, "Password reset link"),
        TemplateType("magic_link", "email", LINK_PLACEHOLDERS, "Magic sign-in link"),
        TemplateType("sms_otp", "sms", OTP_PLACEHOLDERS, "SMS OTP"),
        TemplateType("ask_password_sms_otp", "sms", OTP_PLACEHOLDERS, "Invite: set password with SMS OTP"),
        TemplateType("password_reset_sms_otp", "sms", OTP_PLACEHOLDERS, "Password reset SMS OTP"),
        TemplateType("account_locked", "email", COMMON | {"lock_minutes"}, "Account locked (too many failed sign-ins)"),
        # Flow completion emails (isFlowCompletionNotificationEnabled, apps.flows)
        TemplateType("self_signup_success", "email", COMMON, "Self-registration completed"),
        TemplateType("password_reset_success", "email", COMMON, "Password reset completed"),
        TemplateType("ask_password_success", "email", COMMON, "Invited user set a password"),
        TemplateType("test", "email", COMMON, "Test email"),
    )
}

_ENGINE = Engine(debug=False, libraries={}, loaders=[])


@dataclass(frozen=True)
class ResolvedTemplate:
    template_type: str
    locale: str
    subject: str
    body_html: str
    body_text: str
    overridden: bool


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    body_html: str
    body_text: str


def template_type_get(template_type: str) -> TemplateType:
    spec = TEMPLATE_TYPES.get(template_type)
    if spec is None:
        raise InvalidInput(
            "NTF-60030",
            _("Unknown template type."),
            _("%(type)s is not a notification template type.") % {"type": template_type},
            field="type",
        )
    return spec


def locale_normalize(locale: str) -> str:
    """``fr_ca`` -> ``fr-ca`` with the language lower-cased; a clear error for anything else."""
    value = (locale or "").strip().replace("_", "-")
    if not re.match(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$", value):
        raise InvalidInput(
            "NTF-60031", _("Invalid locale."), _("%(l)s is not a locale such as en or fr-CA.") % {"l": locale}
        )
    head, *rest = value.split("-")
    return "-".join([head.lower(), *rest])


@cache
def shipped_defaults(locale: str) -> dict[str, dict[str, str]]:
    path = DATA_DIR / f"{locale}.json"
    if not LOCALE_RE.match(locale) or not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def _walk(nodes: Any) -> list[Node]:
    out: list[Node] = []
    for node in nodes:
        out.append(node)
        for attr in getattr(node, "child_nodelists", ()):
            out += _walk(getattr(node, attr, None) or [])
    return out


def _tag_name(node: Node) -> str:
    token = getattr(node, "token", None)
    return f"{{% {token.contents} %}}" if token is not None else type(node).__name__


def template_validate(text: str, *, placeholders: frozenset[str], field: str) -> None:
    """Reject syntax errors, tags, unknown placeholders and filters, naming the offender."""
    try:
        compiled = _ENGINE.from_string(text)
    except TemplateSyntaxError as exc:
        raise InvalidInput(
            "NTF-60032", _("Template syntax error."), _("%(f)s: %(e)s") % {"f": field, "e": exc}, field=field
        ) from exc
    for node in _walk(compiled.nodelist):
        if isinstance(node, TextNode):
            if any(marker in node.s for marker in ("{{", "}}", "{%", "%}")):
                raise InvalidInput(
                    "NTF-60032",
                    _("Template syntax error."),
                    _("%(f)s: unbalanced {{ or {%% near %(text)s") % {"f": field, "text": node.s.strip()[:40]},
                    field=field,
                )
            continue
        if not isinstance(node, VariableNode):
            raise InvalidInput(
                "NTF-60033",
                _("Tags are not allowed in templates."),
                _("%(f)s: only {{ placeholder }} is allowed, not %(tag)s.") % {"f": field, "tag": _tag_name(node)},
                field=field,
            )
        expression = node.filter_expression
        var = getattr(expression.var, "var", None)
        lookups = getattr(expression.var, "lookups", None)
        name = var if isinstance(var, str) else str(expression.var)
        if not lookups or len(lookups) != 1 or name not in placeholders:
            raise InvalidInput(
                "NTF-60034",
                _("Unknown placeholder %(name)s.") % {"name": name},
                _("%(f)s uses {{ %(name)s }}; allowed: %(allowed)s.")
                % {"f": field, "name": name, "allowed": ", ".join(sorted(placeholders))},
                field=field,
            )
        for func, _args in expression.filters:
            filter_name = getattr(func, "_filter_name", func.__name__)
            if filter_name not in ALLOWED_FILTERS:
                raise InvalidInput(
                    "NTF-60035",
                    _("Filter %(name)s is not allowed.") % {"name": filter_name},
                    _("%(f)s: allowed filters are %(allowed)s.")
                    % {"f": field, "allowed": ", ".join(sorted(ALLOWED_FILTERS))},
                    field=field,
                )


def template_render(text: str, context: dict[str, Any], *, html: bool) -> str:
    if not text:
        return ""
    return _ENGINE.from_string(text).render(Context(context, autoescape=html))


def message_render(template: ResolvedTemplate, context: dict[str, Any]) -> RenderedMessage:
    return RenderedMessage(
        subject=" ".join(template_render(template.subject, context, html=False).split()),
        body_html=template_render(template.body_html, context, html=True),
        body_text=template_render(template.body_text, context, html=False),
    )


def locale_candidates(locale: str | None, default_locale: str) -> list[str]:
    """``fr-CA`` -> ``fr-CA, fr, <org default>, en`` without duplicates."""
    chain: list[str] = []
    if locale:
        chain += [locale, locale.split("-")[0]]
    chain += [default_locale, default_locale.split("-")[0], DEFAULT_LOCALE]
    return list(dict.fromkeys(c for c in chain if c))
