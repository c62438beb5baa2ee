"""The "pending initial password setup" account state (SCIM ``askPassword``) and the PostgreSQL
indexes behind SCIM filters (apps/scim/query.py):

* ``UPPER(col::text)`` b-trees: ``eq`` on case-insensitive columns and on the typed email keys
  (Django's ``iexact`` compares exactly these expressions);
* pg_trgm GIN indexes on the same expressions: ``co`` / ``sw`` / ``ew`` (``UPPER(...) LIKE``);
* a ``jsonb_path_ops`` GIN index on ``attributes``: ``eq`` on extension attributes, which the
  filter engine translates into a containment test (``attributes @> {...}``).

SQLite gets none of them (it cannot use them for these lookups); the filters stay correct there."""

from django.db import migrations, models

_EMAIL_KEYS = ("emails.work", "emails.home", "emails.other")

_CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS users_user_username_upper ON users_user (UPPER(username::text))",
    "CREATE INDEX IF NOT EXISTS users_user_email_upper ON users_user (UPPER(email::text))",
    *(
        f"CREATE INDEX IF NOT EXISTS users_user_{column}_trgm "
        f"ON users_user USING gin (UPPER({column}::text) gin_trgm_ops)"
        for column in ("username", "email", "given_name", "family_name")
    ),
    "CREATE INDEX IF NOT EXISTS users_user_attributes_gin ON users_user USING gin (attributes jsonb_path_ops)",
    *(
        f"CREATE INDEX IF NOT EXISTS users_user_{key.replace('.', '_')}_upper "
        f"ON users_user (UPPER((attributes ->> '{key}')::text))"
        for key in _EMAIL_KEYS
    ),
    "CREATE INDEX IF NOT EXISTS users_group_name_upper ON users_group (UPPER(name::text))",
    "CREATE INDEX IF NOT EXISTS users_group_name_trgm ON users_group USING gin (UPPER(name::text) gin_trgm_ops)",
]
_DROP = [
    *(
        f"DROP INDEX IF EXISTS {name}"
        for name in (
            "users_user_username_upper",
            "users_user_email_upper",
            "users_user_username_trgm",
            "users_user_email_trgm",
            "users_user_given_name_trgm",
            "users_user_family_name_trgm",
            "users_user_attributes_gin",
            *(f"users_user_{key.replace('.', '_')}_upper" for key in _EMAIL_KEYS),
            "users_group_name_upper",
            "users_group_name_trgm",
        )
    )
]


def _run(statements: list[str]):
    def run(apps, schema_editor) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("users", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="user",
            name="state",
            field=models.CharField(
                choices=[
                    ("active", "Active"),
                    ("locked", "Locked"),
                    ("disabled", "Disabled"),
                    ("pending_email_verification", "Pending email verification"),
                    ("pending_password_reset", "Pending password reset"),
                    ("pending_admin_approval", "Pending approval"),
                    ("pending_ask_password", "Pending initial password setup"),
                ],
                default="active",
                max_length=32,
            ),
        ),
        migrations.RunPython(_run(_CREATE), _run(_DROP)),
    ]
