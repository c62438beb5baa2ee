from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "apps.webhooks"
    label = "webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.core.events import register_batch_consumer
        from apps.webhooks import login_events
        from apps.webhooks.fanout import webhooks_fanout

        register_batch_consumer(webhooks_fanout)
        login_events.connect()
