"""Migrate the bare django-oauth-toolkit project and register its bench client.

Run by ``bench/run.sh`` (``DOT_DATABASE_URL`` and ``DOT_SECRET_KEY`` set) as
``python bench/baselines/dot/prepare.py --out FILE``; writes ``{"dot_basic":
...}`` (the Basic credentials of a confidential client_credentials client whose
secret is stored in clear, ``hash_client_secret=False``) as JSON to ``FILE``.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
CLIENT_NAME = "bench-dot"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.baselines.dot.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from oauth2_provider.models import get_application_model

    call_command("migrate", interactive=False, verbosity=0)
    application_model = get_application_model()
    application_model.objects.filter(name=CLIENT_NAME).delete()
    secret = secrets.token_urlsafe(32)  # no "$": DOT must not mistake it for a hash
    application = application_model.objects.create(
        name=CLIENT_NAME,
        client_type=application_model.CLIENT_CONFIDENTIAL,
        authorization_grant_type=application_model.GRANT_CLIENT_CREDENTIALS,
        client_secret=secret,
        hash_client_secret=False,
    )
    basic = base64.b64encode(f"{application.client_id}:{secret}".encode()).decode()
    args.out.touch(mode=0o600)
    args.out.write_text(json.dumps({"dot_basic": basic}))
    print("prepare: django-oauth-toolkit baseline migrated, client registered (secret hashing off)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
