"""The filter language parser (RFC 7644 §3.4.2.2) and PATCH paths, without a database."""

from __future__ import annotations

import pytest

from apps.scim.errors import ScimError
from apps.scim.filters import (
    MAX_DEPTH,
    MAX_FILTER_LENGTH,
    MAX_TERMS,
    AttrPath,
    Compare,
    Logical,
    Not,
    ValueFilter,
    parse_filter,
    parse_patch_path,
)


@pytest.mark.parametrize("op", ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "EQ", "Co"])
def test_every_comparison_operator_case_insensitively(op):
    assert parse_filter(f'userName {op} "bjensen"') == Compare(AttrPath("userName"), op.lower(), "bjensen")


def test_present_and_literals():
    assert parse_filter("title pr") == Compare(AttrPath("title"), "pr")
    assert parse_filter("active eq TRUE") == Compare(AttrPath("active"), "eq", True)
    assert parse_filter("x eq false").value is False
    assert parse_filter("x eq null").value is None
    assert parse_filter("x gt 42").value == 42
    assert parse_filter("x gt -1.5e2").value == -150.0
    assert parse_filter(r'x eq "say \"hi\" \u00e9"').value == 'say "hi" é'


def test_and_binds_tighter_than_or_and_grouping_overrides():
    a, b, c = (Compare(AttrPath(n), "pr") for n in "abc")
    assert parse_filter("a pr or b pr and c pr") == Logical("or", a, Logical("and", b, c))
    assert parse_filter("(a pr or b pr) and c pr") == Logical("and", Logical("or", a, b), c)
    assert parse_filter("not (a pr) and b pr") == Logical("and", Not(a), b)


def test_schema_uri_prefix_and_sub_attributes():
    node = parse_filter('urn:ietf:params:scim:schemas:core:2.0:User:name.familyName co "O\'Malley"')
    assert node.path == AttrPath("name", "familyName", "urn:ietf:params:scim:schemas:core:2.0:User")
    node = parse_filter('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "7"')
    assert node.path.schema.endswith("enterprise:2.0:User")
    assert node.path.attr == "employeeNumber"
    assert parse_filter("urn:scim:wso2:schema:accountLocked eq true").path == AttrPath(
        "accountLocked", None, "urn:scim:wso2:schema"
    )


def test_value_path_filters():
    node = parse_filter('emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp"]')
    assert isinstance(node, Logical)
    assert node.op == "or"
    assert isinstance(node.left, ValueFilter)
    assert node.left.path == AttrPath("emails")
    assert node.left.expr == Logical(
        "and", Compare(AttrPath("type"), "eq", "work"), Compare(AttrPath("value"), "co", "@example.com")
    )


def test_unquoted_enumerations_are_read_as_strings():
    # WSO2's Console sends account states unquoted.
    assert parse_filter("urn:scim:wso2:schema:accountState eq PENDING_AP").value == "PENDING_AP"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "userName",
        'userName xx "a"',
        'userName eq "a" and',
        'userName eq "a" extra',
        '(userName eq "a"',
        'userName eq "unterminated',
        'emails[type eq "work"',
        'emails[type eq "w" and x[y eq "z"]]',
        'not userName eq "a"',
        'name.givenName[x eq "y"]',
        "userName eq and",
        '9bad eq "a"',
        'userName eq "a\x00"',
    ],
)
def test_malformed_filters_are_invalid_filter(text):
    with pytest.raises(ScimError) as info:
        parse_filter(text)
    assert (info.value.status, info.value.scim_type) == (400, "invalidFilter")


def test_limits_on_length_depth_and_terms():
    with pytest.raises(ScimError, match="longer than"):
        parse_filter('userName eq "' + "a" * MAX_FILTER_LENGTH + '"')
    with pytest.raises(ScimError, match="nested"):
        parse_filter("(" * (MAX_DEPTH + 1) + "a pr" + ")" * (MAX_DEPTH + 1))
    with pytest.raises(ScimError, match="comparisons"):
        parse_filter(" or ".join(["a pr"] * (MAX_TERMS + 1)))
    # Right at the limits it parses.
    parse_filter(" or ".join(["a pr"] * MAX_TERMS))
    parse_filter("(" * (MAX_DEPTH - 1) + "a pr" + ")" * (MAX_DEPTH - 1))


def test_patch_paths():
    assert parse_patch_path("name.givenName").path == AttrPath("name", "givenName")
    path = parse_patch_path('emails[type eq "work"].value')
    assert path.path == AttrPath("emails")
    assert path.sub == "value"
    assert path.value_filter == Compare(AttrPath("type"), "eq", "work")
    path = parse_patch_path('members[value eq "2819c223-7f76-453a-919d-413861904646"]')
    assert path.sub is None
    assert path.value_filter.value.startswith("2819")


@pytest.mark.parametrize("text", ["", 'emails[type eq "work"]value', "emails[", "a b", 'emails[type eq "x"].'])
def test_bad_patch_paths_are_invalid_path(text):
    with pytest.raises(ScimError) as info:
        parse_patch_path(text)
    assert info.value.scim_type == "invalidPath"
