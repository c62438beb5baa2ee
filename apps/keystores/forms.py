"""Console form for a key rotation. It only parses; the service checks the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

# One choice per key type, so no script is needed to tie a key size to RS256.
KEY_TYPES = {
    "RS256-2048": ("RS256", 2048),
    "RS256-3072": ("RS256", 3072),
    "RS256-4096": ("RS256", 4096),
    "ES256": ("ES256", None),
}
KEY_TYPE_CHOICES = [
    ("RS256-2048", _("RS256 · RSA 2048 bits")),
    ("RS256-3072", _("RS256 · RSA 3072 bits")),
    ("RS256-4096", _("RS256 · RSA 4096 bits")),
    ("ES256", _("ES256 · EC P-256")),
]


def key_type_of(algorithm: str, key_size: int) -> str:
    return "ES256" if algorithm == "ES256" else f"RS256-{key_size}"


class KeyRotateForm(forms.Form):
    key_type = forms.ChoiceField(label=_("New key"), choices=KEY_TYPE_CHOICES)
    retire_now = forms.BooleanField(
        label=_("Retire the current key immediately"),
        required=False,
        help_text=_(
            "Only when the current key is compromised: tokens it signed stop verifying at once. "
            "Otherwise it stays published for verification during the overlap period."
        ),
    )

    def rotation(self) -> dict[str, Any]:
        """Keyword arguments for ``keystore_rotate`` (call after ``is_valid``)."""
        algorithm, key_size = KEY_TYPES[self.cleaned_data["key_type"]]
        return {
            "algorithm": algorithm,
            "key_size": key_size,
            "overlap_seconds": 0 if self.cleaned_data["retire_now"] else None,
        }
