"""One renderer for flow components: the end-user pages and the Builder's "try it" panel both turn the
``data.components`` of an execute response into plain HTML through ``flow_nodes`` and the
``flows/components/node.html`` template.

Nothing here trusts the components: they come from an administrator's flow definition, so texts are
escaped by the template engine, RICH_TEXT passes an allowlist sanitiser, and only http(s), relative and
``data:image`` URLs survive in links and images."""

from __future__ import annotations

import re
from html import escape
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

# INPUT variant -> (HTML input type, autocomplete hint, inputmode)
INPUT_TYPES: dict[str, tuple[str, str, str]] = {
    "TEXT": ("text", "", ""),
    "PASSWORD": ("password", "new-password", ""),
    "EMAIL": ("email", "email", "email"),
    "TELEPHONE": ("tel", "tel", "tel"),
    "NUMBER": ("number", "", "numeric"),
    "CHECKBOX": ("checkbox", "", ""),
    "OTP": ("text", "one-time-code", "numeric"),
    "DATE": ("date", "", ""),
}
AUTOCOMPLETE_BY_IDENTIFIER = {
    "http://wso2.org/claims/username": "username",
    "http://wso2.org/claims/givenname": "given-name",
    "http://wso2.org/claims/lastname": "family-name",
    "http://wso2.org/claims/emailaddress": "email",
    "http://wso2.org/claims/mobile": "tel",
}
HEADINGS = {"H1": "h1", "H2": "h2", "H3": "h3", "H4": "h4", "H5": "h5", "H6": "h6"}
PASSWORD_IDENTIFIERS = frozenset({"password", "newPassword", "confirmPassword"})

_ID_SAFE = re.compile(r"[^A-Za-z0-9_-]+")


def _text(value: Any) -> str:
    """An administrator's text, through the translation catalogue (default flows ship English
    strings that the catalogue knows; anything else comes back unchanged)."""
    if not isinstance(value, str) or not value.strip():
        return ""
    return gettext(value.strip())


def safe_url(value: Any, *, images: bool = False) -> str:
    """An http(s) or site-relative URL (or a ``data:image`` one for images); anything else is dropped."""
    if not isinstance(value, str):
        return ""
    url = value.strip()
    if images and re.match(r"^data:image/(png|gif|jpeg|webp);base64,[A-Za-z0-9+/=]+$", url):
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme in ("http", "https") and parts.netloc:
        return url
    if not parts.scheme and not parts.netloc and url.startswith("/") and not url.startswith("//"):
        return url
    return ""


class _Sanitiser(HTMLParser):
    """Keep a few inline and block tags and ``a href``; drop scripts, styles, event handlers and
    every other attribute; escape all text."""

    ALLOWED = frozenset(
        {"p", "br", "strong", "b", "em", "i", "u", "span", "ul", "ol", "li", "a", "small", "h1", "h2", "h3", "h4"}
    )
    VOID = frozenset({"br"})
    DROP_CONTENT = frozenset({"script", "style", "iframe", "object", "embed", "template", "noscript", "svg", "math"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.DROP_CONTENT:
            self.skipping += 1
            return
        if self.skipping or tag not in self.ALLOWED:
            return
        if tag == "a":
            href = safe_url(dict(attrs).get("href") or "")
            if not href:
                self.out.append("<a>")
            else:
                external = urlsplit(href).netloc != ""
                extra = ' rel="noopener noreferrer" target="_blank"' if external else ""
                self.out.append(f'<a href="{escape(href)}"{extra}>')
        else:
            self.out.append(f"<{tag}>")
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.VOID and not self.skipping:
            self.out.append(f"<{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.DROP_CONTENT:
            self.skipping = max(0, self.skipping - 1)
            return
        if self.skipping or tag not in self.open:
            return
        while self.open:  # close everything opened inside it too
            last = self.open.pop()
            self.out.append(f"</{last}>")
            if last == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.out.append(escape(data, quote=False))

    def result(self) -> str:
        return "".join(self.out) + "".join(f"</{tag}>" for tag in reversed(self.open))


def sanitize_rich_text(value: Any) -> SafeString:
    if not isinstance(value, str):
        return mark_safe("")
    parser = _Sanitiser()
    parser.feed(value[:20_000])
    parser.close()
    return mark_safe(parser.result())  # noqa: S308 - built only from escaped text and allowlisted tags


def _dom_id(prefix: str, raw: Any) -> str:
    return f"{prefix}-{_ID_SAFE.sub('_', str(raw or 'x'))[:80]}"


def _config(component: dict[str, Any]) -> dict[str, Any]:
    config = component.get("config")
    return config if isinstance(config, dict) else {}


def _length_hint(config: dict[str, Any]) -> tuple[str, str]:
    """minlength / maxlength from a LengthValidator rule, so the browser can pre-validate."""
    low = high = ""
    for rule in config.get("validations") or []:
        if not isinstance(rule, dict) or rule.get("name") != "LengthValidator":
            continue
        for condition in rule.get("conditions") or []:
            if not isinstance(condition, dict):
                continue
            value = str(condition.get("value", ""))
            if not value.isdigit():
                continue
            if condition.get("key") == "min.length":
                low = value
            elif condition.get("key") == "max.length":
                high = value
    return low, high


def _input_node(component: dict[str, Any], values: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
    config = _config(component)
    variant = str(component.get("variant") or "TEXT").upper()
    html_type, autocomplete, inputmode = INPUT_TYPES.get(variant, INPUT_TYPES["TEXT"])
    identifier = str(config.get("identifier") or component.get("id") or "")
    if variant != "PASSWORD":
        autocomplete = AUTOCOMPLETE_BY_IDENTIFIER.get(identifier, autocomplete)
    dom_id = _dom_id("f", component.get("id") or identifier)
    secret = variant in ("PASSWORD", "OTP") or identifier in PASSWORD_IDENTIFIERS
    value = "" if secret else values.get(identifier, "")
    min_length, max_length = _length_hint(config)
    if variant == "OTP" and str(config.get("length", "")).isdigit():
        max_length = str(config["length"])
    return {
        "kind": "input",
        "variant": variant,
        "type": html_type,
        "name": identifier,
        "dom_id": dom_id,
        "label": _text(config.get("label")) or identifier,
        "placeholder": _text(config.get("placeholder")),
        "hint": _text(config.get("hint")),
        "required": bool(config.get("required")),
        "autocomplete": autocomplete,
        "inputmode": inputmode,
        "value": value,
        "checked": variant == "CHECKBOX" and value in ("true", "on", "1"),
        "min_length": min_length,
        "max_length": max_length,
        "error": errors.get(identifier, ""),
    }


def _button_node(component: dict[str, Any]) -> dict[str, Any]:
    config = _config(component)
    variant = str(component.get("variant") or "PRIMARY").upper()
    action_id = str(component.get("actionId") or component.get("id") or "")
    return {
        "kind": "button",
        "variant": variant,
        "action_id": action_id,
        "text": _text(config.get("text")) or _text(config.get("label")) or gettext("Continue"),
        # Only the main button asks the browser to check required fields ("Resend code", "Back" must not).
        "novalidate": variant != "PRIMARY",
        "css": {"PRIMARY": "btn btn-primary btn-block", "SECONDARY": "btn btn-block", "SOCIAL": "btn btn-block"}.get(
            variant, "btn-link"
        ),
    }


def _node(component: Any, values: dict[str, str], errors: dict[str, str]) -> dict[str, Any] | None:
    if not isinstance(component, dict):
        return None
    kind = str(component.get("type") or "").upper()
    config = _config(component)
    if kind == "FORM":
        children = [node for child in component.get("components") or [] if (node := _node(child, values, errors))]
        return {"kind": "form", "dom_id": _dom_id("form", component.get("id")), "children": children}
    if kind == "INPUT":
        return _input_node(component, values, errors)
    if kind == "BUTTON":
        return _button_node(component)
    if kind == "TYPOGRAPHY":
        variant = str(component.get("variant") or "BODY1").upper()
        return {
            "kind": "heading" if variant in HEADINGS else "text",
            "tag": HEADINGS.get(variant, "p"),
            "text": _text(config.get("text")),
            "css": "muted" if variant == "BODY2" else "",
        }
    if kind == "RICH_TEXT":
        return {"kind": "rich_text", "html": sanitize_rich_text(config.get("text") or "")}
    if kind == "DIVIDER":
        return {"kind": "divider", "vertical": str(component.get("variant") or "").upper() == "VERTICAL"}
    if kind == "IMAGE":
        src = safe_url(config.get("src") or config.get("url"), images=True)
        return {"kind": "image", "src": src, "alt": _text(config.get("alt"))} if src else None
    if kind == "CAPTCHA":
        return {"kind": "captcha"}
    return None  # an unknown component renders nothing rather than breaking the page


def flow_nodes(
    components: Any, *, values: dict[str, str] | None = None, errors: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """The components of an execute response as render-ready nodes (see ``flows/components/node.html``).

    Buttons that sit outside any FORM are gathered into one form of their own so they work without
    JavaScript too."""
    values = values or {}
    errors = errors or {}
    nodes: list[dict[str, Any]] = []
    loose: list[dict[str, Any]] = []
    for component in components if isinstance(components, list) else []:
        node = _node(component, values, errors)
        if node is None:
            continue
        if node["kind"] == "button":
            loose.append(node)
            continue
        if loose:
            nodes.append({"kind": "form", "dom_id": f"form-loose-{len(nodes)}", "children": loose})
            loose = []
        nodes.append(node)
    if loose:
        nodes.append({"kind": "form", "dom_id": f"form-loose-{len(nodes)}", "children": loose})
    return nodes


def has_heading(nodes: list[dict[str, Any]]) -> bool:
    return any(node["kind"] == "heading" for node in nodes)


def view_identifiers(components: Any) -> dict[str, str]:
    """identifier -> INPUT variant for every input in a view (to send ``false`` for unticked boxes and
    to know which posted fields belong to the flow)."""
    found: dict[str, str] = {}

    def walk(items: Any) -> None:
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict):
                continue
            if str(item.get("type") or "").upper() == "INPUT":
                identifier = str(_config(item).get("identifier") or item.get("id") or "")
                if identifier:
                    found[identifier] = str(item.get("variant") or "TEXT").upper()
            walk(item.get("components"))

    walk(components)
    return found


def view_action_ids(components: Any) -> set[str]:
    found: set[str] = set()

    def walk(items: Any) -> None:
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict):
                continue
            if str(item.get("type") or "").upper() == "BUTTON":
                found.add(str(item.get("actionId") or item.get("id") or ""))
            walk(item.get("components"))

    walk(components)
    return found
