from django.apps import AppConfig


class AttributesConfig(AppConfig):
    name = "apps.attributes"
    label = "attributes"
    default_auto_field = "django.db.models.BigAutoField"
