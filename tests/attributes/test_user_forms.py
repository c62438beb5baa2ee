"""One validation path: a bad value gets the same message from the management
API, the Console user forms and My Account; forms render each attribute with
its input format."""

from __future__ import annotations

import re

import pytest

from apps.users.models import User
from apps.users.services import user_create
from tests.api_helpers import assert_error

MESSAGE = "Employee level must be a whole number."


def html(response) -> str:
    return response.content.decode()


def field_block(page: str, name: str) -> str:
    """The ``<div class="field ...">`` (or fieldset) around the input called ``name``."""
    match = re.search(
        r'<(div|fieldset) class="field[^"]*">(?:(?!</\1>).)*name="' + re.escape(name) + r'".*?</\1>', page, re.S
    )
    assert match, f"no field {name}"
    return match.group(0)


@pytest.fixture
def typed_attributes(root_org, define, employee_level):
    define(root_org, "newsletter", "Newsletter", data_type="boolean")
    define(
        root_org,
        "shirtSize",
        "Shirt size",
        canonical_values=[{"label": "Small", "value": "S"}, {"label": "Large", "value": "L"}],
    )
    define(
        root_org,
        "diet",
        "Diet",
        canonical_values=[{"label": "Vegan", "value": "vegan"}, {"label": "Halal", "value": "halal"}],
        input_format="radio_group",
    )
    define(root_org, "hiredAt", "Hired at", data_type="date_time")
    define(root_org, "badgeId", "Badge ID", read_only=True)


def test_management_api_rejects_abc_for_an_integer(admin_api, employee_level):
    response = admin_api.post(
        "/api/server/v1/users", {"username": "u1", "attributes": {"employeeLevel": "abc"}}, format="json"
    )
    body = assert_error(response, 400, "UMG-60003")
    assert body["message"] == MESSAGE
    assert not User.objects.filter(username="u1").exists()
    created = admin_api.post(
        "/api/server/v1/users", {"username": "u1", "attributes": {"employeeLevel": "4"}}, format="json"
    )
    assert created.status_code == 201
    assert created.json()["attributes"] == {"employeeLevel": 4}
    patched = admin_api.patch(created["Location"], {"attributes": {"employeeLevel": "four"}}, format="json")
    assert assert_error(patched, 400, "UMG-60003")["message"] == MESSAGE


def test_console_create_form_shows_the_same_message_inline(console, typed_attributes):
    response = console.post(
        "/console/users/new/", {"username": "u2", "attr_employeeLevel": "abc", "attr_shirtSize": "S"}
    )
    assert response.status_code == 400
    block = field_block(html(response), "attr_employeeLevel")
    assert "has-error" in block
    assert MESSAGE in block
    assert not User.objects.filter(username="u2").exists()
    created = console.post(
        "/console/users/new/",
        {
            "username": "u2",
            "attr_employeeLevel": "3",
            "attr_shirtSize": "L",
            "attr_newsletter": "on",
            "attr_diet": "halal",
            "attr_hiredAt": "2024-05-31T14:30",
        },
    )
    assert created.status_code == 302, html(created)
    assert User.objects.get(username="u2").attributes == {
        "employeeLevel": 3,
        "shirtSize": "L",
        "newsletter": True,
        "diet": "halal",
        "hiredAt": "2024-05-31T14:30:00Z",
    }


def test_console_edit_form_keeps_other_attributes_and_shows_errors(console, root_org, typed_attributes):
    user = user_create(
        actor=None, organization=root_org, username="bob", attributes={"team": "blue", "employeeLevel": 2}
    )
    User.objects.filter(pk=user.pk).update(attributes={**user.attributes, "badgeId": "B-9"})
    url = f"/console/users/{user.pk}/"
    page = html(console.get(url))
    assert 'value="2"' in field_block(page, "attr_employeeLevel")
    assert "disabled" in field_block(page, "attr_badgeId")  # read-only: shown, not editable
    bad = console.post(url, {"username": "bob", "attr_employeeLevel": "abc"})
    assert bad.status_code == 400
    assert MESSAGE in field_block(html(bad), "attr_employeeLevel")
    good = console.post(url, {"username": "bob", "attr_employeeLevel": "5", "attr_badgeId": "forged"})
    assert good.status_code == 302
    user.refresh_from_db()
    # Undeclared and read-only values survive a form save; unchecked toggles are false.
    assert user.attributes == {"team": "blue", "employeeLevel": 5, "badgeId": "B-9", "newsletter": False}


def test_forms_render_each_input_format(console, typed_attributes):
    page = html(console.get("/console/users/new/"))
    toggle = field_block(page, "attr_newsletter")
    assert 'type="checkbox"' in toggle
    assert 'role="switch"' in toggle
    dropdown = field_block(page, "attr_shirtSize")
    assert "<select" in dropdown
    assert '<option value="S">Small</option>' in dropdown
    radios = field_block(page, "attr_diet")
    assert radios.count('type="radio"') == 2
    assert "<legend>Diet</legend>" in radios
    assert 'type="number"' in field_block(page, "attr_employeeLevel")
    assert 'type="datetime-local"' in field_block(page, "attr_hiredAt")


def test_my_account_profile_validates_and_renders_attributes(signed_in, root_org, typed_attributes, make_user):
    alice = make_user(root_org, "alice")
    client = signed_in(alice)
    page = html(client.get("/myaccount/profile/"))
    assert 'role="switch"' in field_block(page, "attr_newsletter")
    assert "<select" in field_block(page, "attr_shirtSize")
    bad = client.post("/myaccount/profile/", {"given_name": "Alice", "attr_employeeLevel": "abc"})
    assert bad.status_code == 400
    assert MESSAGE in field_block(html(bad), "attr_employeeLevel")
    good = client.post("/myaccount/profile/", {"given_name": "Alice", "attr_employeeLevel": "7", "attr_shirtSize": "S"})
    assert good.status_code == 302
    alice.refresh_from_db()
    assert (alice.given_name, alice.attributes["employeeLevel"], alice.attributes["shirtSize"]) == ("Alice", 7, "S")


def test_attributes_not_shown_on_profiles_are_left_out(console, root_org, define):
    define(root_org, "internalCode", "Internal code", supported_by_default=False)
    assert 'name="attr_internalCode"' not in html(console.get("/console/users/new/"))
