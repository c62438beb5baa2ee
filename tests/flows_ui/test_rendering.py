"""The one renderer of flow components (end-user pages and the Builder's "try it")."""

from __future__ import annotations

from django.template.loader import render_to_string

from apps.flows.rendering import flow_nodes, sanitize_rich_text, view_identifiers

RICH = (
    '<p onclick="x()">See <a href="javascript:alert(1)">bad</a> and '
    '<a href="https://example.org/terms">terms</a><script>alert(2)</script></p>'
)
COMPONENTS = [
    {"id": "title", "type": "TYPOGRAPHY", "variant": "H2", "config": {"text": "Create your account"}},
    {
        "id": "form_1",
        "type": "FORM",
        "components": [
            {
                "id": "username",
                "type": "INPUT",
                "variant": "TEXT",
                "config": {
                    "identifier": "http://wso2.org/claims/username",
                    "label": "Username",
                    "required": True,
                    "validations": [
                        {"type": "RULE", "name": "LengthValidator", "conditions": [{"key": "min.length", "value": "3"}]}
                    ],
                },
            },
            {"id": "age", "type": "INPUT", "variant": "NUMBER", "config": {"identifier": "urn:age", "label": "Age"}},
            {"id": "pw", "type": "INPUT", "variant": "PASSWORD", "config": {"identifier": "password", "label": "Pw"}},
            {
                "id": "terms",
                "type": "INPUT",
                "variant": "CHECKBOX",
                "config": {"identifier": "terms", "label": "Terms"},
            },
            {
                "id": "code",
                "type": "INPUT",
                "variant": "OTP",
                "config": {"identifier": "otp", "label": "Code", "length": 6},
            },
            {"id": "born", "type": "INPUT", "variant": "DATE", "config": {"identifier": "born", "label": "Born"}},
            {"id": "go", "type": "BUTTON", "variant": "PRIMARY", "actionId": "go", "config": {"text": "Continue"}},
            {"id": "again", "type": "BUTTON", "variant": "TEXT", "actionId": "again", "config": {"text": "Resend"}},
        ],
    },
    {"id": "rule", "type": "DIVIDER", "variant": "HORIZONTAL"},
    {"id": "rich", "type": "RICH_TEXT", "config": {"text": RICH}},
    {"id": "img", "type": "IMAGE", "config": {"src": "javascript:alert(1)", "alt": "x"}},
    {"id": "captcha", "type": "CAPTCHA"},
    {"id": "loose", "type": "BUTTON", "variant": "SECONDARY", "actionId": "loose", "config": {"text": "Back"}},
]


def _html(**extra: object) -> str:
    nodes = flow_nodes(COMPONENTS, values=extra.get("values"), errors=extra.get("errors"))  # type: ignore[arg-type]
    return render_to_string("flows/components/nodes.html", {"nodes": nodes, "flow_id": "F1", "form_action": "/x"})


def test_inputs_render_as_labelled_html_fields_by_variant() -> None:
    html = _html()
    assert '<label for="f-username">Username' in html
    assert 'type="text" id="f-username" name="http://wso2.org/claims/username"' in html
    assert 'minlength="3"' in html
    assert "required" in html
    assert 'aria-required="true"' in html
    assert 'type="number" id="f-age"' in html
    assert 'type="password" id="f-pw"' in html
    assert 'autocomplete="new-password"' in html
    assert 'type="checkbox" id="f-terms" name="terms" value="true"' in html
    assert 'autocomplete="one-time-code"' in html
    assert 'maxlength="6"' in html
    assert 'type="date" id="f-born"' in html
    assert "<h2>Create your account</h2>" in html


def test_buttons_post_their_action_id_and_only_the_primary_validates() -> None:
    html = _html()
    assert 'name="actionId" value="go" class="btn btn-primary btn-block">' in html
    assert 'name="actionId" value="again" class="btn-link" formnovalidate>' in html
    # a button outside any form gets its own form with the flow id, so it works without JavaScript
    assert html.count('name="flowId" value="F1"') == 2
    assert 'value="loose"' in html


def test_rich_text_is_sanitised_and_unsafe_images_dropped() -> None:
    html = _html()
    assert "<script" not in html
    assert "onclick" not in html
    assert "javascript:" not in html
    assert '<a href="https://example.org/terms" rel="noopener noreferrer" target="_blank">terms</a>' in html
    assert "<img" not in html
    assert "<hr" in html
    assert "flow-captcha" in html


def test_values_are_kept_but_secrets_never_echoed_and_errors_are_linked() -> None:
    html = _html(
        values={"http://wso2.org/claims/username": 'bob"><x>', "password": "secret-pw", "otp": "123456"},
        errors={"http://wso2.org/claims/username": "That username is taken."},
    )
    assert 'value="bob&quot;&gt;&lt;x&gt;"' in html
    assert "secret-pw" not in html
    assert "123456" not in html
    assert 'aria-invalid="true" aria-describedby="f-username-error"' in html
    assert '<ul class="errorlist" id="f-username-error"><li>That username is taken.</li></ul>' in html


def test_sanitiser_closes_tags_and_escapes_text() -> None:
    assert sanitize_rich_text("<b>bold <i>both</b> 1 < 2") == "<b>bold <i>both</i></b> 1 &lt; 2"
    assert sanitize_rich_text('<img src=x onerror="alert(1)"><style>p{}</style>ok') == "ok"


def test_view_identifiers_lists_inputs_with_variants() -> None:
    found = view_identifiers(COMPONENTS)
    assert found["terms"] == "CHECKBOX"
    assert found["otp"] == "OTP"
    assert len(found) == 6
