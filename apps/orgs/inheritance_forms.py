"""Console forms over inherited settings: which values to show as inherited, which to save.

One rule for every settings page of a sub-organization: a value is saved as the organization's own
when it already is, when "Override" is ticked, or when the administrator changed it; everything
else stays inherited. "Revert to inherited" (a ``revert`` button naming the field) drops it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms

from apps.orgs.inheritance import Resolution, source_labels
from apps.orgs.models import Organization


def inheritance_annotate(
    form: forms.Form, *, organization: Organization, resolution: Resolution, root_only: Iterable[str] = ()
) -> bool:
    """Give each field of ``form`` its source (``field.inheritance``, read by
    ``components/inherited_field.html``). Returns whether the page shows inheritance at all."""
    if organization.is_root:
        return False
    labels = source_labels(organization, resolution)
    fixed = set(root_only)
    for name, field in form.fields.items():
        label = labels.get(name)
        if label is None:
            continue
        field.inheritance = {
            "own": label.own,
            "default": label.default,
            "name": label.name,
            "root_only": name in fixed,
        }
        if name in fixed:
            field.disabled = True
    return True


def inheritance_changes(form: forms.Form, *, resolution: Resolution, data: Any) -> dict[str, Any]:
    """The values a sub-organization's form saves as its own (``form`` is valid)."""
    ticked = set(data.getlist("override"))
    changes: dict[str, Any] = {}
    for name, value in form.cleaned_data.items():
        field = form.fields[name]
        if field.disabled:
            continue
        own = not resolution.inherited(name)
        if own or name in ticked or value != resolution.values.get(name):
            changes[name] = value
    return changes
