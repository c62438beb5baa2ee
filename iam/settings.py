"""Settings, all driven by environment variables.

Embedded default (``make run``): SQLite under ``var/`` and a serverless Celery
broker (kombu's SQLAlchemy transport on a SQLite file). Production: set
``DATABASE_URL`` (PostgreSQL), ``CELERY_BROKER_URL`` (Redis), ``SECRET_KEY``,
``ALLOWED_HOSTS``, ``IAM_BASE_URL`` and ``IAM_ENV=production``.
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("IAM_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)
(VAR_DIR / "staticfiles").mkdir(exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


IAM_ENV = os.environ.get("IAM_ENV", "development")
PRODUCTION = IAM_ENV == "production"
DEBUG = env_bool("DEBUG", not PRODUCTION)


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if PRODUCTION:
        raise RuntimeError("SECRET_KEY must be set when IAM_ENV=production")
    # Development: a random key persisted under var/ so sessions survive restarts.
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        import secrets

        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
IAM_BASE_URL = os.environ.get("IAM_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
IAM_ADMIN_PASSWORD = os.environ.get("IAM_ADMIN_PASSWORD", "")
# The root organization that also answers without a /t/<handle>/ prefix.
IAM_DEFAULT_ROOT_HANDLE = os.environ.get("IAM_DEFAULT_ROOT_HANDLE", "root")
# WSO2 lets automation call management APIs with HTTP Basic; production may turn it off.
IAM_API_BASIC_AUTH = env_bool("IAM_API_BASIC_AUTH", True)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", IAM_BASE_URL)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "django_htmx",
    "apps.core",
    "apps.orgs",
    "apps.users",
    "apps.attributes",
    "apps.applications",
    "apps.keystores",
    "apps.oauth",
    "apps.scim",
    "apps.webhooks",
    "apps.notifications",
    "apps.authn",
    "apps.idp",
    "apps.flows",
    "oauth2_provider",
    "apps.console",
    "apps.myaccount",
]

MIDDLEWARE = [
    "apps.core.middleware.RequestContextMiddleware",
    "apps.core.middleware.SecurityHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "apps.core.tenancy.TenantMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "apps.authn.middleware.TenantAuthenticationMiddleware",  # request.user per root organization
    "apps.authn.middleware.AuthSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "iam.urls"
WSGI_APPLICATION = "iam.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.core.context_processors.tenancy",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'iam.sqlite3'}"),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "600")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Persistent connections and a busy timeout let the web server, worker and
    # beat share the embedded database file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
    # A file (not :memory:) so a real Celery worker subprocess can share the
    # test database; per process so parallel test runs do not collide.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-iam-{os.getpid()}.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "users.User"
AUTHENTICATION_BACKENDS = ["apps.users.backends.OrganizationUserBackend"]
# Usernames are unique per organization, not globally (checked by a DB constraint).
SILENCED_SYSTEM_CHECKS = ["auth.E003", "auth.W004"]
PASSWORD_HASHERS = [
    "apps.users.hashers.Argon2idOWASPHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "console:login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"

# --- Web security baseline -------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000" if PRODUCTION else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy for every HTML page: no inline scripts anywhere.
IAM_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)

# --- REST framework ----------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.core.api.authentication.BearerTokenAuthentication",
        "apps.core.api.authentication.OrganizationBasicAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["apps.core.api.permissions.HasRequiredScopes"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "apps.core.api.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Identity Server management API",
    "DESCRIPTION": "Management APIs served under /t/{root-handle}/api/server/v1/ "
    "(and without the prefix for the default root organization).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        # invitations and admin-forced resets share one set of channels (apps.notifications)
        "PasswordSetupMethodEnum": "apps.notifications.models.PasswordSetupMethod",
        # WSO2 patch operations (organizations, identity providers) and governance connector updates
        "PatchOperationEnum": ["ADD", "REMOVE", "REPLACE"],
        "ConnectorOperationEnum": ["UPDATE"],
    },
}

# --- OAuth (django-oauth-toolkit; the provider arrives with the OAuth issue) --
OAUTH2_PROVIDER_APPLICATION_MODEL = "applications.Application"
OAUTH2_PROVIDER = {
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
    "PKCE_REQUIRED": True,
    # RFC 9700: keep only a checksum of access and refresh tokens at rest.
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
}
# Dynamic client registration (RFC 7591) at /oauth2/register: "open", "initial-access-token"
# (a bearer token with internal_dcr_create) or "off". See docs/oauth.md.
IAM_DCR_MODE = os.environ.get("IAM_DCR_MODE", "initial-access-token" if PRODUCTION else "open")


def _master_key() -> str:
    """Key-encryption key for private keys and other secrets at rest (base64, 32 bytes)."""
    key = os.environ.get("IAM_MASTER_KEY")
    if key:
        return key
    if PRODUCTION:
        raise RuntimeError("IAM_MASTER_KEY must be set when IAM_ENV=production (32 random bytes, base64)")
    key_file = VAR_DIR / "master_key"
    if not key_file.exists():
        import base64
        import secrets

        key_file.write_text(base64.b64encode(secrets.token_bytes(32)).decode())
        key_file.chmod(0o600)
    return key_file.read_text().strip()


IAM_MASTER_KEY = _master_key()
# How long a rotated-out signing key stays in the JWKS: longer than any token it
# signed lives (access and ID tokens), so none fails verification in between.
IAM_KEY_ROTATION_OVERLAP_SECONDS = int(os.environ.get("IAM_KEY_ROTATION_OVERLAP_SECONDS", "86400"))
# How long a process may serve a root organization (tenant) from memory: other processes see a
# status or display-name change within this many seconds (0 = read it on every request).
IAM_TENANT_CACHE_SECONDS = float(os.environ.get("IAM_TENANT_CACHE_SECONDS", "5"))
# Pushed authorization requests (RFC 9126, docs/oauth.md): how long a request_uri waits for its
# first authorize visit, how long it then lasts for the sign-in, and whether every request must be pushed.
IAM_PAR_LIFETIME_SECONDS = int(os.environ.get("IAM_PAR_LIFETIME_SECONDS", "60"))
IAM_PAR_SIGN_IN_SECONDS = int(os.environ.get("IAM_PAR_SIGN_IN_SECONDS", "600"))
IAM_PAR_REQUIRED = env_bool("IAM_PAR_REQUIRED", False)
# DPoP (RFC 9449, docs/dpop.md): how far a proof's iat may lie in the past or future; whether
# the token endpoint demands server nonces (use_dpop_nonce), and how long one nonce window lasts.
IAM_DPOP_PROOF_WINDOW_SECONDS = int(os.environ.get("IAM_DPOP_PROOF_WINDOW_SECONDS", "60"))
IAM_DPOP_NONCE_REQUIRED = env_bool("IAM_DPOP_NONCE_REQUIRED", False)
IAM_DPOP_NONCE_LIFETIME_SECONDS = int(os.environ.get("IAM_DPOP_NONCE_LIFETIME_SECONDS", "300"))

# --- Celery --------------------------------------------------------------------
# Shared cache (rate limits, login counters): Redis when configured, so every process sees the same counts.
_CACHE_URL = os.environ.get("IAM_CACHE_URL") or os.environ.get("REDIS_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _CACHE_URL}
        if _CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "iam-default"}
    )
}
# Login rate limits: (requests, seconds). Per client IP on the portal, and failed sign-ins per account.
IAM_LOGIN_RATE_PER_IP = (int(os.environ.get("IAM_LOGIN_RATE_PER_IP", "300")), 60)
IAM_LOGIN_RATE_PER_ACCOUNT = (int(os.environ.get("IAM_LOGIN_RATE_PER_ACCOUNT", "20")), 60)
# Conditional authentication scripts (docs/authn.md): limits per script execution and per login.
IAM_SCRIPT_TIMEOUT_MS = int(os.environ.get("IAM_SCRIPT_TIMEOUT_MS", "250"))
IAM_SCRIPT_MAX_MEMORY_MB = int(os.environ.get("IAM_SCRIPT_MAX_MEMORY_MB", "32"))
IAM_SCRIPT_MAX_HOST_CALLS = int(os.environ.get("IAM_SCRIPT_MAX_HOST_CALLS", "20"))  # per login
IAM_SCRIPT_MAX_USERS = int(os.environ.get("IAM_SCRIPT_MAX_USERS", "50"))  # getUsersWithClaimValues results
IAM_SCRIPT_MAX_LENGTH = int(os.environ.get("IAM_SCRIPT_MAX_LENGTH", "65536"))  # characters
IAM_SCRIPT_POOL_SIZE = int(os.environ.get("IAM_SCRIPT_POOL_SIZE", "2"))  # blank V8 isolates kept ready
# Token-style endpoints (token, introspect, revoke, PAR, device): failures per minute per client IP
# (invalid_client, invalid_grant) and failed client authentications per minute per client_id.
IAM_OAUTH_FAILURE_RATE_PER_IP = (int(os.environ.get("IAM_OAUTH_FAILURE_RATE_PER_IP", "120")), 60)
IAM_OAUTH_FAILURE_RATE_PER_CLIENT = (int(os.environ.get("IAM_OAUTH_FAILURE_RATE_PER_CLIENT", "30")), 60)

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", f"sqla+sqlite:///{VAR_DIR / 'celery-broker.sqlite3'}")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "outbox-redeliver": {"task": "apps.core.tasks.outbox_redeliver", "schedule": 60.0},
    "keystore-retire-expired": {"task": "apps.keystores.tasks.keystore_retire_expired", "schedule": 3600.0},
    "oauth-expired-clear": {"task": "apps.oauth.tasks.oauth_expired_clear", "schedule": 3600.0},
    "notification-sweep": {
        "task": "apps.notifications.tasks.notification_sweep",
        "schedule": float(os.environ.get("IAM_NOTIFICATION_SWEEP_SECONDS", "15")),
    },
    "notification-purge": {"task": "apps.notifications.tasks.notification_purge", "schedule": 3600.0},
    "webhook-deliveries-sweep": {
        "task": "apps.webhooks.tasks.webhook_deliveries_sweep",
        "schedule": float(os.environ.get("IAM_WEBHOOK_SWEEP_SECONDS", "5")),
    },
    "flow-contexts-sweep": {"task": "apps.flows.tasks.flow_contexts_sweep", "schedule": 300.0},
}
# Outbox rows older than this and still undelivered are picked up by the sweep.
IAM_OUTBOX_REDELIVER_AFTER_SECONDS = 30
# With a shared cache (Redis), a commit queues an outbox task (and a webhook delivery task per endpoint)
# only when none is queued yet: bursts cost a few tasks. Off with a per-process cache.
IAM_OUTBOX_COALESCE = env_bool("IAM_OUTBOX_COALESCE", bool(_CACHE_URL))
# Workers consume this queue (a test points a worker subprocess at a queue of its own).
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "celery")
if CELERY_BROKER_URL.startswith("sqla+"):
    # The embedded broker is polled: a worker whose prefetch slots are full sleeps a second before
    # it asks again (kombu hands transport options to SQLAlchemy, so the interval cannot be set).
    # Wide slots let a burst (an outbox sweep, a webhook fan-out) run in one poll.
    CELERY_WORKER_PREFETCH_MULTIPLIER = 64

# --- Notifications (docs/notifications.md) -------------------------------------------
# Send attempts per message before it is "dead"; backoff base * 2^(attempt-1), capped.
IAM_NOTIFICATION_MAX_ATTEMPTS = int(os.environ.get("IAM_NOTIFICATION_MAX_ATTEMPTS", "8"))
IAM_NOTIFICATION_RETRY_BASE_SECONDS = float(os.environ.get("IAM_NOTIFICATION_RETRY_BASE_SECONDS", "30"))
IAM_NOTIFICATION_RETRY_MAX_DELAY_SECONDS = float(os.environ.get("IAM_NOTIFICATION_RETRY_MAX_DELAY_SECONDS", "3600"))
# A message "sending" for longer than this (worker died mid-send) is handed back to the sweep.
IAM_NOTIFICATION_SENDING_STALE_SECONDS = int(os.environ.get("IAM_NOTIFICATION_SENDING_STALE_SECONDS", "300"))
# Used or expired codes and links, and the sealed bodies of dead messages, are purged after this.
IAM_NOTIFICATION_RETENTION_SECONDS = int(os.environ.get("IAM_NOTIFICATION_RETENTION_SECONDS", str(7 * 86400)))
IAM_NOTIFICATION_TIMEOUT_SECONDS = float(os.environ.get("IAM_NOTIFICATION_TIMEOUT_SECONDS", "15"))
# Extra CA bundle for SMTP TLS (a private relay); token/SMS URLs must be https except on loopback.
IAM_NOTIFICATION_SMTP_CA_FILE = os.environ.get("IAM_NOTIFICATION_SMTP_CA_FILE", "")
IAM_NOTIFICATION_REQUIRE_HTTPS = env_bool("IAM_NOTIFICATION_REQUIRE_HTTPS", PRODUCTION)

# --- Webhooks (docs/webhooks.md) ----------------------------------------------------
# Endpoints resolving to private, loopback, link-local or reserved addresses are refused unless allowed.
IAM_WEBHOOK_ALLOW_PRIVATE_TARGETS = env_bool("IAM_WEBHOOK_ALLOW_PRIVATE_TARGETS", False)
IAM_WEBHOOK_REQUIRE_HTTPS = env_bool("IAM_WEBHOOK_REQUIRE_HTTPS", PRODUCTION)
# Attempts per delivery round (first try included) and the age after which a failing event is dead-lettered.
IAM_WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("IAM_WEBHOOK_MAX_ATTEMPTS", "10"))
IAM_WEBHOOK_MAX_AGE_SECONDS = int(os.environ.get("IAM_WEBHOOK_MAX_AGE_SECONDS", str(24 * 3600)))
# Exponential backoff with full jitter: base * 2^(attempt-1), capped.
IAM_WEBHOOK_RETRY_BASE_SECONDS = float(os.environ.get("IAM_WEBHOOK_RETRY_BASE_SECONDS", "10"))
IAM_WEBHOOK_RETRY_MAX_DELAY_SECONDS = float(os.environ.get("IAM_WEBHOOK_RETRY_MAX_DELAY_SECONDS", "3600"))
IAM_WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("IAM_WEBHOOK_TIMEOUT_SECONDS", "5"))
IAM_WEBHOOK_MAX_RESPONSE_BYTES = int(os.environ.get("IAM_WEBHOOK_MAX_RESPONSE_BYTES", "65536"))
IAM_WEBHOOK_CONCURRENCY_PER_ENDPOINT = int(os.environ.get("IAM_WEBHOOK_CONCURRENCY_PER_ENDPOINT", "8"))
# A delivery whose worker died mid-attempt is retried once its lease (timeout + grace) has run out.
IAM_WEBHOOK_LEASE_GRACE_SECONDS = float(os.environ.get("IAM_WEBHOOK_LEASE_GRACE_SECONDS", "30"))
# Circuit breaker: this many consecutive failed attempts open the circuit for the given time.
IAM_WEBHOOK_CIRCUIT_FAILURE_THRESHOLD = int(os.environ.get("IAM_WEBHOOK_CIRCUIT_FAILURE_THRESHOLD", "5"))
IAM_WEBHOOK_CIRCUIT_OPEN_SECONDS = float(os.environ.get("IAM_WEBHOOK_CIRCUIT_OPEN_SECONDS", "60"))
# How long a process may believe "nobody subscribed to this channel" (login and token hot paths).
IAM_WEBHOOK_SUBSCRIPTION_CACHE_SECONDS = float(os.environ.get("IAM_WEBHOOK_SUBSCRIPTION_CACHE_SECONDS", "5"))

# --- Flows (docs/flows.md) ----------------------------------------------------------
# A registration/recovery/invite in progress lives this long after its last step (sliding).
IAM_FLOW_CONTEXT_SECONDS = int(os.environ.get("IAM_FLOW_CONTEXT_SECONDS", "900"))
# Execution API requests per client IP: (requests, seconds).
IAM_FLOW_EXECUTE_RATE_PER_IP = (int(os.environ.get("IAM_FLOW_EXECUTE_RATE_PER_IP", "120")), 60)
# Lifetime of the auto-login userAssertion JWT a completed flow returns.
IAM_FLOW_ASSERTION_SECONDS = int(os.environ.get("IAM_FLOW_ASSERTION_SECONDS", "5"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
