"""The SCIM filter language (RFC 7644 §3.4.2.2) and PATCH paths (§3.5.2): a tokenizer and a
recursive-descent parser producing a small AST. Nothing here touches the database; ``query.py``
turns the AST into indexed SQL.

Precedence: ``not`` / grouping bind tightest, then ``and``, then ``or``. Operators, attribute
names and the literals ``true``/``false``/``null`` are case-insensitive. Limits keep a hostile
filter from costing more than a bounded amount of work: a filter longer than ``MAX_FILTER_LENGTH``
characters, nested deeper than ``MAX_DEPTH`` or with more than ``MAX_TERMS`` comparisons is refused
with ``invalidFilter``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from apps.scim.errors import ScimError, invalid_filter, invalid_path

MAX_FILTER_LENGTH = 4096
MAX_DEPTH = 16
MAX_TERMS = 64

COMPARE_OPS = frozenset({"eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"})
ALL_OPS = COMPARE_OPS | {"pr"}

_TOKEN_RE = re.compile(r'\s+|(?P<punct>[()\[\]])|(?P<string>"(?:[^"\\]|\\.)*")|(?P<word>[^\s()\[\]"]+)')
_NUMBER_RE = re.compile(r"^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$")
_ATTR_NAME_RE = re.compile(r"^\$?[A-Za-z][A-Za-z0-9_$-]*$")


# --- AST -------------------------------------------------------------------------


@dataclass(frozen=True)
class AttrPath:
    """``[schema:]attr[.sub]``; ``schema`` is the URN as written (None when absent)."""

    attr: str
    sub: str | None = None
    schema: str | None = None

    def __str__(self) -> str:
        name = f"{self.attr}.{self.sub}" if self.sub else self.attr
        return f"{self.schema}:{name}" if self.schema else name


@dataclass(frozen=True)
class Compare:
    path: AttrPath
    op: str  # lower-case; "pr" has no value
    value: Any = None


@dataclass(frozen=True)
class Logical:
    op: str  # "and" | "or"
    left: Node
    right: Node


@dataclass(frozen=True)
class Not:
    expr: Node


@dataclass(frozen=True)
class ValueFilter:
    """``emails[type eq "work"]``: ``expr``'s paths are relative to one value of ``path``."""

    path: AttrPath
    expr: Node


Node = Compare | Logical | Not | ValueFilter


@dataclass(frozen=True)
class PatchPath:
    """A PATCH ``path``: ``attr``, ``attr.sub``, ``attr[filter]`` or ``attr[filter].sub``."""

    path: AttrPath
    value_filter: Node | None = None
    sub: str | None = None  # the sub-attribute after ``[...]``


# --- tokenizer -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str  # "punct" | "string" | "word"
    text: str
    value: Any = None


def _tokenize(text: str, *, error: type[ScimError] | Any) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN_RE.match(text, pos)
        if match is None:
            raise error(f"Unexpected character at position {pos + 1}.")
        pos = match.end()
        if match.group("punct"):
            tokens.append(_Token("punct", match.group("punct")))
        elif match.group("string"):
            raw = match.group("string")
            try:
                value = json.loads(raw)
            except ValueError as exc:
                raise error(f"Invalid string literal {raw[:40]}.") from exc
            tokens.append(_Token("string", raw, value))
        elif match.group("word"):
            tokens.append(_Token("word", match.group("word")))
    return tokens


def parse_attr_path(text: str, *, error: Any = invalid_filter) -> AttrPath:
    """``urn:...:User:name.givenName`` → AttrPath(attr="name", sub="givenName", schema="urn:...:User")."""
    schema = None
    name = text
    if ":" in text:
        schema, _, name = text.rpartition(":")
        if not schema or not schema.lower().startswith("urn:"):
            raise error(f"Invalid attribute path {text[:80]}.")
    attr, dot, sub = name.partition(".")
    if not _ATTR_NAME_RE.match(attr) or (dot and not _ATTR_NAME_RE.match(sub)):
        raise error(f"Invalid attribute path {text[:80]}.")
    return AttrPath(attr=attr, sub=sub or None, schema=schema)


# --- parser --------------------------------------------------------------------------


class _Parser:
    def __init__(self, tokens: list[_Token], *, error: Any) -> None:
        self.tokens = tokens
        self.pos = 0
        self.depth = 0
        self.terms = 0
        self.error = error

    def peek(self) -> _Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def next(self, expected: str = "a term") -> _Token:
        token = self.peek()
        if token is None:
            raise self.error(f"Unexpected end of filter; expected {expected}.")
        self.pos += 1
        return token

    def accept_word(self, word: str) -> bool:
        token = self.peek()
        if token is not None and token.kind == "word" and token.text.lower() == word:
            self.pos += 1
            return True
        return False

    def expect_punct(self, char: str) -> None:
        token = self.next(f'"{char}"')
        if token.kind != "punct" or token.text != char:
            raise self.error(f'Expected "{char}" but found "{token.text[:40]}".')

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"The filter is nested more than {MAX_DEPTH} levels deep.")

    # filter := and_expr ("or" and_expr)*
    def parse_or(self, *, in_brackets: bool = False) -> Node:
        node = self.parse_and(in_brackets=in_brackets)
        while self.accept_word("or"):
            node = Logical("or", node, self.parse_and(in_brackets=in_brackets))
        return node

    def parse_and(self, *, in_brackets: bool) -> Node:
        node = self.parse_unary(in_brackets=in_brackets)
        while self.accept_word("and"):
            node = Logical("and", node, self.parse_unary(in_brackets=in_brackets))
        return node

    def parse_unary(self, *, in_brackets: bool) -> Node:
        self.enter()
        try:
            if self.accept_word("not"):
                self.expect_punct("(")
                node: Node = Not(self.parse_or(in_brackets=in_brackets))
                self.expect_punct(")")
                return node
            token = self.peek()
            if token is not None and token.kind == "punct" and token.text == "(":
                self.pos += 1
                node = self.parse_or(in_brackets=in_brackets)
                self.expect_punct(")")
                return node
            return self.parse_term(in_brackets=in_brackets)
        finally:
            self.depth -= 1

    def parse_term(self, *, in_brackets: bool) -> Node:
        token = self.next("an attribute path")
        if token.kind != "word":
            raise self.error(f'Expected an attribute path but found "{token.text[:40]}".')
        path = parse_attr_path(token.text, error=self.error)
        following = self.peek()
        if following is not None and following.kind == "punct" and following.text == "[":
            if in_brackets:
                raise self.error("Value filters cannot be nested.")
            if path.sub:
                raise self.error(f"A value filter applies to a multi-valued attribute, not {path}.")
            self.pos += 1
            expr = self.parse_or(in_brackets=True)
            self.expect_punct("]")
            return ValueFilter(path, expr)
        op_token = self.next("an operator")
        op = op_token.text.lower()
        if op_token.kind != "word" or op not in ALL_OPS:
            raise self.error(f'Unknown operator "{op_token.text[:40]}".')
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise self.error(f"The filter has more than {MAX_TERMS} comparisons.")
        if op == "pr":
            return Compare(path, op)
        return Compare(path, op, self.parse_value())

    def parse_value(self) -> Any:
        token = self.next("a value")
        if token.kind == "string":
            return token.value
        if token.kind != "word":
            raise self.error(f'Expected a value but found "{token.text[:40]}".')
        lowered = token.text.lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        if lowered == "null":
            return None
        if _NUMBER_RE.match(token.text):
            return float(token.text) if any(c in token.text for c in ".eE") else int(token.text)
        if lowered in ("and", "or", "not") or lowered in ALL_OPS:
            raise self.error(f'Expected a value but found "{token.text[:40]}".')
        # WSO2's Console sends enumerations unquoted (accountState eq PENDING_AP): read them as strings.
        return token.text


def _check_length(text: Any, error: Any, what: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise error(f"The {what} is empty.")
    if len(text) > MAX_FILTER_LENGTH:
        raise error(f"The {what} is longer than {MAX_FILTER_LENGTH} characters.")
    if "\x00" in text:
        raise error(f"The {what} contains a NUL character.")
    return text


def parse_filter(text: Any) -> Node:
    """Parse a ``filter`` query parameter; raises ScimError(400, invalidFilter)."""
    text = _check_length(text, invalid_filter, "filter")
    parser = _Parser(_tokenize(text, error=invalid_filter), error=invalid_filter)
    node = parser.parse_or()
    if parser.peek() is not None:
        raise invalid_filter(f'Unexpected "{parser.peek().text[:40]}" after the end of the filter.')
    return node


def parse_patch_path(text: Any) -> PatchPath:
    """Parse a PATCH ``path``; raises ScimError(400, invalidPath)."""
    text = _check_length(text, invalid_path, "path")
    parser = _Parser(_tokenize(text, error=invalid_path), error=invalid_path)
    token = parser.next("an attribute path")
    if token.kind != "word":
        raise invalid_path(f"Invalid path {text[:80]}.")
    path = parse_attr_path(token.text, error=invalid_path)
    value_filter: Node | None = None
    sub: str | None = None
    following = parser.peek()
    if following is not None and following.kind == "punct" and following.text == "[":
        if path.sub:
            raise invalid_path(f"Invalid path {text[:80]}.")
        parser.pos += 1
        try:
            value_filter = parser.parse_or(in_brackets=True)
        except ScimError as exc:
            raise invalid_path(exc.detail) from exc
        parser.expect_punct("]")
        rest = parser.peek()
        if rest is not None:
            if rest.kind != "word" or not rest.text.startswith(".") or not _ATTR_NAME_RE.match(rest.text[1:]):
                raise invalid_path(f"Invalid path {text[:80]}.")
            sub = rest.text[1:]
            parser.pos += 1
    if parser.peek() is not None:
        raise invalid_path(f"Invalid path {text[:80]}.")
    return PatchPath(path=path, value_filter=value_filter, sub=sub)
