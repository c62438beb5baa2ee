"""A public UUID per application: added nullable, filled in, then made unique."""

import uuid

from django.db import migrations, models


def fill_uuids(apps, schema_editor):
    Application = apps.get_model("applications", "Application")
    for app in Application.objects.filter(uuid__isnull=True).only("pk"):
        Application.objects.filter(pk=app.pk).update(uuid=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0003_authorizedapi_application_access_token_format_and_more"),
    ]

    operations = [
        migrations.AddField(
            model_name="application",
            name="uuid",
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.RunPython(fill_uuids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="application",
            name="uuid",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
    ]
