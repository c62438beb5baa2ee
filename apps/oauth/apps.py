from django.apps import AppConfig


class OauthConfig(AppConfig):
    name = "apps.oauth"
    label = "oauth"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.oauth import signals

        signals.connect()
