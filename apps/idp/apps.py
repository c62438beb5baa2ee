from django.apps import AppConfig


class IdpConfig(AppConfig):
    name = "apps.idp"
    label = "idp"
    default_auto_field = "django.db.models.BigAutoField"
