from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "apps.notifications"
    label = "notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.core.events import register_consumer
        from apps.notifications.delivery import MESSAGE_QUEUED, message_enqueue_on_commit

        register_consumer(MESSAGE_QUEUED, message_enqueue_on_commit)
