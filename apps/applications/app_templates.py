"""Application templates: data files in ``templates_data/``, validated when this
module is imported, so a bad file stops the server (and the tests) at once.

A template file (YAML) holds::

    id, name, description, category, displayOrder
    defaults:   a value for every setting of ``app_settings.SETTINGS``
    locked:     settings the template fixes (refused at creation and afterwards)
    wizard:     the settings the create wizard asks for (label, help, placeholder, required)
    customSchemeRedirects: redirect URIs may use a private-use scheme (native apps)
    allowedOriginsFromRedirects: CORS origins follow the redirect URIs when none are given
    quickStart: one snippet per framework, with the placeholders of ``PLACEHOLDERS``
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from django.core.exceptions import ImproperlyConfigured

from apps.applications.app_settings import CHOICES, GRANT_TYPES, SETTING_KINDS, SETTINGS

DATA_DIR = Path(__file__).resolve().parent / "templates_data"
MCP_TEMPLATE_ID = "mcp-client-application"

# Settings the create wizard knows how to ask for.
WIZARD_SETTINGS = frozenset({"redirect_uris", "client_type", "access_url"})
PLACEHOLDERS = ("client_id", "discovery_url", "issuer", "redirect_uri", "token_endpoint")

_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_TOP_KEYS = {
    "id",
    "name",
    "description",
    "category",
    "displayOrder",
    "defaults",
    "locked",
    "wizard",
    "customSchemeRedirects",
    "allowedOriginsFromRedirects",
    "quickStart",
}
_WIZARD_KEYS = {"setting", "label", "help", "placeholder", "required"}
_SNIPPET_KEYS = {"framework", "language", "install", "code"}


class TemplateError(ImproperlyConfigured):
    """A template data file is malformed."""


@dataclass(frozen=True)
class WizardField:
    setting: str
    label: str
    help: str
    placeholder: str
    required: bool


@dataclass(frozen=True)
class QuickStart:
    framework: str
    language: str
    install: str
    code: str

    def render(self, values: Mapping[str, str]) -> str:
        """The snippet with the placeholders filled in; other braces (code) stay as they are."""
        return _fill(self.code, values)

    def render_install(self, values: Mapping[str, str]) -> str:
        return _fill(self.install, values)


@dataclass(frozen=True)
class AppTemplate:
    id: str
    name: str
    description: str
    category: str
    display_order: int
    defaults: Mapping[str, Any]
    locked: tuple[str, ...]
    wizard: tuple[WizardField, ...]
    custom_scheme_redirects: bool
    allowed_origins_from_redirects: bool
    quick_starts: tuple[QuickStart, ...]

    def asks_for(self, setting: str) -> bool:
        return any(field.setting == setting for field in self.wizard)


def _fill(text: str, values: Mapping[str, str]) -> str:
    for name in PLACEHOLDERS:
        text = text.replace("{" + name + "}", values.get(name, ""))
    return text


def _fail(source: str, message: str) -> TemplateError:
    return TemplateError(f"application template {source}: {message}")


def _text(data: Mapping[str, Any], key: str, source: str, *, allow_empty: bool = False) -> str:
    value = data.get(key)
    if not isinstance(value, str) or (not allow_empty and not value.strip()):
        raise _fail(source, f"'{key}' must be a non-empty string")
    return value


def _check_setting(name: str, value: Any, source: str) -> None:
    kind = SETTING_KINDS[name]
    ok = {
        "text": isinstance(value, str),
        "url": isinstance(value, str),
        "bool": isinstance(value, bool),
        "int": isinstance(value, int) and not isinstance(value, bool),
        "choice": isinstance(value, str) and value in CHOICES.get(name, ()),
        "list": isinstance(value, list) and all(isinstance(item, str) for item in value),
        "dict": isinstance(value, dict),
    }[kind]
    if not ok:
        raise _fail(source, f"default for '{name}' is not a valid {kind}: {value!r}")
    if name == "grant_types":
        unknown = set(value) - set(GRANT_TYPES)
        if unknown or not value:
            raise _fail(source, f"grant_types must be a non-empty list of {GRANT_TYPES}")


def _parse(data: Any, source: str) -> AppTemplate:
    if not isinstance(data, dict):
        raise _fail(source, "must be a mapping")
    unknown = set(data) - _TOP_KEYS
    missing = {"id", "name", "description", "category", "defaults", "quickStart"} - set(data)
    if unknown or missing:
        raise _fail(source, f"unknown keys {sorted(unknown)}, missing keys {sorted(missing)}")
    template_id = _text(data, "id", source)
    if not _ID_RE.match(template_id) or len(template_id) > 64:
        raise _fail(source, f"id {template_id!r} must be a lowercase slug of at most 64 characters")

    defaults = data["defaults"]
    if not isinstance(defaults, dict) or set(defaults) != set(SETTINGS):
        given = set(defaults) if isinstance(defaults, dict) else set()
        raise _fail(
            source,
            f"defaults must set every setting: missing {sorted(set(SETTINGS) - given)}, "
            f"unknown {sorted(given - set(SETTINGS))}",
        )
    for name, value in defaults.items():
        _check_setting(name, value, source)

    locked = data.get("locked", [])
    if not isinstance(locked, list) or not set(locked) <= set(SETTINGS):
        raise _fail(source, f"locked must list settings, got {locked!r}")

    wizard: list[WizardField] = []
    for field in data.get("wizard", []):
        if not isinstance(field, dict) or set(field) - _WIZARD_KEYS or "setting" not in field:
            raise _fail(source, f"wizard entries need 'setting' and only {sorted(_WIZARD_KEYS)}: {field!r}")
        setting = field["setting"]
        if setting not in WIZARD_SETTINGS:
            raise _fail(source, f"the wizard cannot ask for {setting!r}")
        if setting in locked:
            raise _fail(source, f"{setting!r} is locked, so the wizard cannot ask for it")
        wizard.append(
            WizardField(
                setting=setting,
                label=_text(field, "label", source),
                help=str(field.get("help", "")),
                placeholder=str(field.get("placeholder", "")),
                required=bool(field.get("required", False)),
            )
        )

    snippets: list[QuickStart] = []
    raw_snippets = data["quickStart"]
    if not isinstance(raw_snippets, list) or not raw_snippets:
        raise _fail(source, "quickStart must list at least one snippet")
    for raw in raw_snippets:
        if not isinstance(raw, dict) or set(raw) - _SNIPPET_KEYS:
            raise _fail(source, f"quickStart entries take only {sorted(_SNIPPET_KEYS)}")
        snippet = QuickStart(
            framework=_text(raw, "framework", source),
            language=_text(raw, "language", source),
            install=_text(raw, "install", source, allow_empty=True) if "install" in raw else "",
            code=_text(raw, "code", source),
        )
        if "{client_id}" not in snippet.code:
            raise _fail(source, f"the {snippet.framework} snippet must use the {{client_id}} placeholder")
        snippets.append(snippet)
    if len({s.framework for s in snippets}) != len(snippets):
        raise _fail(source, "one snippet per framework")

    display_order = data.get("displayOrder", 100)
    if not isinstance(display_order, int) or isinstance(display_order, bool):
        raise _fail(source, "displayOrder must be an integer")
    for flag in ("customSchemeRedirects", "allowedOriginsFromRedirects"):
        if not isinstance(data.get(flag, False), bool):
            raise _fail(source, f"{flag} must be true or false")

    return AppTemplate(
        id=template_id,
        name=_text(data, "name", source),
        description=_text(data, "description", source),
        category=_text(data, "category", source),
        display_order=display_order,
        defaults=MappingProxyType(dict(defaults)),
        locked=tuple(locked),
        wizard=tuple(wizard),
        custom_scheme_redirects=data.get("customSchemeRedirects", False),
        allowed_origins_from_redirects=data.get("allowedOriginsFromRedirects", False),
        quick_starts=tuple(snippets),
    )


def load_templates(directory: Path = DATA_DIR) -> dict[str, AppTemplate]:
    """Every ``*.yaml`` of ``directory``, validated, by id (in display order)."""
    templates: dict[str, AppTemplate] = {}
    for path in sorted(directory.glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise _fail(path.name, f"is not valid YAML: {exc}") from exc
        template = _parse(data, path.name)
        if template.id != path.stem:
            raise _fail(path.name, f"id {template.id!r} must match the file name")
        templates[template.id] = template
    if not templates:
        raise TemplateError(f"no application templates in {directory}")
    return dict(sorted(templates.items(), key=lambda item: (item[1].display_order, item[1].name)))


TEMPLATES: Mapping[str, AppTemplate] = MappingProxyType(load_templates())


def template_get(template_id: str) -> AppTemplate | None:
    return TEMPLATES.get(template_id) if isinstance(template_id, str) else None


def template_list() -> list[AppTemplate]:
    return list(TEMPLATES.values())
