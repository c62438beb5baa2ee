"""Celery application: the broker comes from ``CELERY_BROKER_URL``.

The embedded default is a SQLite-backed kombu transport under ``var/`` so that
``make run`` needs no broker server; production and CI point it at Redis.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iam.settings")

app = Celery("iam")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
