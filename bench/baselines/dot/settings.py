"""A bare django-oauth-toolkit project: the reference "what a Django user would pick instead".

Django's ``startproject`` defaults (minus the admin), ``oauth2_provider`` with
its defaults (opaque access tokens stored in the database), persistent database
connections (``CONN_MAX_AGE``), DEBUG off. The bench application is created
with ``hash_client_secret=False`` by ``prepare.py``: with DOT's default hashed
secrets every token request runs a PBKDF2 verify and the figure drops to a few
requests per second, which would make the comparison meaningless.

Configured only from the environment that ``bench/run.sh`` sets:
``DOT_DATABASE_URL`` and ``DOT_SECRET_KEY``.
"""

from __future__ import annotations

import os

import dj_database_url

SECRET_KEY = os.environ["DOT_SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "oauth2_provider",
]

# Django's startproject middleware.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "bench.baselines.dot.urls"
WSGI_APPLICATION = "bench.baselines.dot.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

DATABASES = {"default": dj_database_url.parse(os.environ["DOT_DATABASE_URL"], conn_max_age=600)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"
USE_I18N = True
STATIC_URL = "static/"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    # Not one line per 4xx (the readiness probe's 405, for one).
    "loggers": {"django.request": {"level": "ERROR"}},
}
