"""Settings for the Alliance Scorecard: one module, configured from the environment.

Variables: DATABASE_URL, DJANGO_SECRET_KEY, DJANGO_DEBUG, DJANGO_ALLOWED_HOSTS (see README,
"Operating it"). Anything malformed stops the start with a message naming the variable.
"""

import datetime
import warnings
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from corsheaders.defaults import default_headers as cors_default_headers
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from scorecard.env import env_bool, env_int, env_list, env_rate, env_site_url, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it to a long random string "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set DJANGO_DEBUG=1 for local development."
        )
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"  # noqa: S105 -- only with DJANGO_DEBUG=1

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS",
    default=["localhost", "127.0.0.1", "[::1]"],
)

# The canonical address of the site (scheme and host, e.g. https://scorecard.example.org):
# absolute links in feeds, exports and the embed code use it, and the feeds' permanent ids
# are tag: URIs under its host name (scorecard/links.py). Unset: the request's host.
SITE_URL = env_site_url("DJANGO_SITE_URL")
SITE_TAG_AUTHORITY = urlsplit(SITE_URL).hostname if SITE_URL else "localhost"

# HTTPS. On by default outside debug mode; `manage.py check --deploy` passes with these.
# Behind a proxy that terminates TLS, set DJANGO_TLS_PROXY_HEADER=1 so Django trusts its
# X-Forwarded-Proto header (only if the proxy always sets or strips it).
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
if env_bool("DJANGO_TLS_PROXY_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", default=not DEBUG)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Request size limits: no uploads here, so bodies stay small. The largest body accepted on
# any route (scorecard/middleware.py refuses larger ones with 413); Django's form parsing
# keeps the same limit.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DJANGO_MAX_REQUEST_BYTES", 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "simple_history",
    "csp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "tracker",
    "scorecard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # Before anything reads the request: oversized bodies and control characters are
    # refused here, on every route (scorecard/middleware.py).
    "scorecard.middleware.RequestLimitsMiddleware",
    # What a view reads all day is kept by the data's state its request read.
    "scorecard.middleware.ServingMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Below whitenoise (static files come precompressed); compresses the rest where safe.
    "scorecard.compression.CompressionMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After sessions, before CommonMiddleware (Django's order): the language of a page is
    # the one its path names (/ja/…), English elsewhere (scorecard/languages.py).
    "scorecard.languages.PathLanguageMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its lockout response.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Admin login lockout: after this many failures for one user name from one address, that
# pair waits out the cool-off. API tokens are not passwords and are not counted.
AXES_FAILURE_LIMIT = env_int("DJANGO_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = datetime.timedelta(
    minutes=env_int("DJANGO_LOGIN_COOLOFF_MINUTES", 15, minimum=1)
)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The lockout page says when to try again, in the admin's look (429, Retry-After).
AXES_LOCKOUT_CALLABLE = "tracker.admin.lockout.lockout_response"

# Content-Security-Policy on every response: our pages load scripts and styles from this
# site only and have no inline ones; nothing may embed them or change their base URL.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

ROOT_URLCONF = "scorecard.urls"
WSGI_APPLICATION = "scorecard.wsgi.application"

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
                # The page in each language: the switch and the hreflang alternates.
                "scorecard.languages.page_languages",
            ],
        },
    },
]

# Database: a SQLite file in the project unless DATABASE_URL says otherwise.
try:
    DATABASES = {
        "default": dj_database_url.parse(
            env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
        )
    }
except ValueError as error:
    raise ImproperlyConfigured(f"DATABASE_URL is not a usable database URL: {error}") from None

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers go on while a writer commits; IMMEDIATE transactions plus a busy
    # timeout make concurrent writers wait for the lock instead of failing at once.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": env_int("SQLITE_BUSY_TIMEOUT_SECONDS", 20, minimum=1),
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Every wait for PostgreSQL is bounded, so that a database that stops answering is a
    # 503 in seconds rather than requests hanging until gunicorn kills its workers
    # (scorecard/postgresql/base.py). A connect_timeout given in DATABASE_URL wins.
    DATABASES["default"]["ENGINE"] = "scorecard.postgresql"
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options.setdefault(
        "connect_timeout", env_int("DATABASE_CONNECT_TIMEOUT_SECONDS", 3, minimum=0)
    )
    _options["query_timeout"] = env_int("DATABASE_QUERY_TIMEOUT_SECONDS", 5, minimum=0)

# A PostgreSQL streaming replica for reads (README, "Operating it"): scorecard/routers.py
# sends requests' reads there and everything else to the primary, keeps a client that
# wrote on the primary for DATABASE_REPLICA_STICKY_SECONDS, and reads on the primary while
# the replica is away (its connect timeout is short: a dead replica costs little).
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL")
DATABASE_REPLICA_STICKY_SECONDS = env_int("DATABASE_REPLICA_STICKY_SECONDS", 5, minimum=1)
if DATABASE_REPLICA_URL:
    try:
        _replica = dj_database_url.parse(DATABASE_REPLICA_URL)
    except ValueError as error:
        raise ImproperlyConfigured(
            f"DATABASE_REPLICA_URL is not a usable database URL: {error}"
        ) from None
    if _replica["ENGINE"] != "django.db.backends.postgresql" or (
        DATABASES["default"]["ENGINE"] != "scorecard.postgresql"
    ):
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URL needs PostgreSQL: a postgres:// URL of a streaming replica "
            "of the PostgreSQL database in DATABASE_URL."
        )
    _replica.update(
        ENGINE="scorecard.postgresql",
        CONN_MAX_AGE=DATABASES["default"]["CONN_MAX_AGE"],
        CONN_HEALTH_CHECKS=True,
        # Tests run on one database: the replica's connection reads the test database.
        TEST={"MIRROR": "default"},
    )
    _replica_options = _replica.setdefault("OPTIONS", {})
    _replica_options.setdefault(
        "connect_timeout", env_int("DATABASE_REPLICA_CONNECT_TIMEOUT_SECONDS", 1, minimum=1)
    )
    _replica_options["query_timeout"] = DATABASES["default"]["OPTIONS"]["query_timeout"]
    DATABASES["replica"] = _replica
    DATABASE_ROUTERS = ["scorecard.routers.ReplicaRouter"]
    # First, so that every read of the request, the response cache's too, is routed.
    MIDDLEWARE.insert(1, "scorecard.routers.ReadYourWritesMiddleware")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The cache is shared by every worker process (throttling counts must agree), so it lives
# in the database by default; the table is created by a migration.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "scorecard_cache",
    },
    # Whole responses of public pages and API reads (scorecard/response_cache.py), shared by
    # every worker. Keyed by the data's state, so an entry only ever serves the data it was
    # made from: nothing is invalidated, entries of older states just age out. A table of
    # its own, so culling it never touches the rate limits' counts in "default".
    "responses": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "scorecard_response_cache",
        "TIMEOUT": env_int("RESPONSE_CACHE_SECONDS", 86400, minimum=1),
        "OPTIONS": {"MAX_ENTRIES": env_int("RESPONSE_CACHE_ENTRIES", 5000, minimum=1)},
    },
    # The same responses, a few per worker process in front of the shared ones: a hit here
    # costs no query (bench/README.md). Same keys, so it can never be staler than "responses".
    "responses-local": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "scorecard-responses",
        "TIMEOUT": env_int("RESPONSE_CACHE_SECONDS", 86400, minimum=1),
        "OPTIONS": {"MAX_ENTRIES": env_int("RESPONSE_CACHE_LOCAL_ENTRIES", 300, minimum=0)},
    },
}

# Several nodes (README, "Operating it"): with REDIS_URL, the shared caches (the rate limits'
# counts in "default", the response cache in "responses") live in Redis, which every node
# reaches; "responses-local" stays in each process. Through a backend that answers as an empty
# cache while Redis is away (scorecard/redis_cache.py): no request fails because of it.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    if urlsplit(REDIS_URL).scheme not in {"redis", "rediss", "unix"}:
        raise ImproperlyConfigured(
            f"REDIS_URL={REDIS_URL!r} is not a Redis URL: use redis://HOST:PORT/DB "
            "(rediss:// for TLS, unix:///path/to/socket)."
        )
    _redis_options = {
        # Seconds; a Redis that does not answer costs at most this, once a second per process.
        "socket_connect_timeout": env_int("REDIS_TIMEOUT_SECONDS", 1, minimum=1),
        "socket_timeout": env_int("REDIS_TIMEOUT_SECONDS", 1, minimum=1),
    }
    CACHES["default"] = {
        "BACKEND": "scorecard.redis_cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "scorecard",
        "OPTIONS": _redis_options,
    }
    CACHES["responses"] = {
        "BACKEND": "scorecard.redis_cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "scorecard-responses",
        "TIMEOUT": env_int("RESPONSE_CACHE_SECONDS", 86400, minimum=1),
        "OPTIONS": _redis_options,
    }

# How many reverse proxies stand in front of the app and append to X-Forwarded-For. 0 (the
# default): the client's address is REMOTE_ADDR and X-Forwarded-For is ignored; N: the N-th
# address from the right of X-Forwarded-For, the one the outermost trusted proxy saw.
TRUSTED_PROXIES = env_int("DJANGO_TRUSTED_PROXIES", 0, minimum=0)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Languages (README, "Languages"): English at today's URLs, Japanese under /ja/
# (scorecard/urls.py); the catalogues are in locale/, compiled by `make run` and `make test`.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("ja", "日本語"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# Dates and numbers on the pages per language (scorecard/formats/), then the admin's own
# ("1 Dec 2026, 05:52 UTC": tracker/formats/).
FORMAT_MODULE_PATH = ["scorecard.formats", "tracker.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Static files under names that carry a hash of their content (site.3f2a9c….css), served
# precompressed and cached for a year (immutable): a changed file gets a new name. Needs
# `collectstatic` (the Docker image runs it; so does the test suite, tests/conftest.py);
# in debug mode (`make run`) pages name the files as they are and nothing is collected.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# In debug mode, serve straight from the apps' static folders, as they are edited.
WHITENOISE_USE_FINDERS = DEBUG or not STATIC_ROOT.exists()
WHITENOISE_AUTOREFRESH = DEBUG
if WHITENOISE_USE_FINDERS:
    warnings.filterwarnings("ignore", message="No directory at: .*staticfiles")

LOGIN_URL = "admin:login"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # The partner API (scorecard/api/): orjson in and out, one JSON error shape, pages on
    # every list, and rate limits counted in the shared cache.
    "DEFAULT_RENDERER_CLASSES": [
        "scorecard.api.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["drf_orjson_renderer.parsers.ORJSONParser"],
    "EXCEPTION_HANDLER": "scorecard.api.errors.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "scorecard.api.pagination.PagePagination",
    "DEFAULT_THROTTLE_CLASSES": ["scorecard.api.throttling.RoleRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_rate("DRF_THROTTLE_ANON", "60/minute"),
        "partner": env_rate("DRF_THROTTLE_PARTNER", "1200/minute"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Alliance Scorecard API",
    "VERSION": "1.0.0",
    # 3.1: a nullable reference is `oneOf: [$ref, null]`, which strict validators accept
    # (under 3.0.3, `nullable` beside a reference is ignored: a null fails validation).
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "PublicationStatusEnum": "tracker.models.Status",
        # Read and written (sources): one name for both, apart from other `kind`s.
        "SourceKindEnum": "tracker.models.SourceKind",
        "ActorKindEnum": "tracker.models.ActorKind",  # (issue 17)
    },
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True, "displayRequestDuration": True},
    # Adds the partner guide, tags and shared error responses (scorecard/api/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "scorecard.api.schema.postprocess",
    ],
}

# Read-only API calls may come from any origin; the API has no cookie-based writes from
# browsers of other sites.
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
# Conditional reads from browsers: send validators, read them and the rate-limit wait back.
CORS_ALLOW_HEADERS = [*cors_default_headers, "if-none-match", "if-modified-since"]
CORS_EXPOSE_HEADERS = ["ETag", "Last-Modified", "Retry-After"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "WARNING")},
}

# Background work (webhooks, e-mails): Django's tasks framework through the django-tasks
# backport, with its database backend, so the queue lives in the project's database on
# SQLite and PostgreSQL alike.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Partners' webhooks (tracker/webhook_delivery.py; README, "Webhooks"). Each attempt may take
# WEBHOOKS_TIMEOUT_SECONDS; failures are retried after 10 s, 20 s, 40 s, ... until
# WEBHOOKS_RETRY_FOR_SECONDS have passed, then the endpoint is disabled and its owner told.
# Loopback (and plain http) targets only where WEBHOOKS_ALLOW_LOOPBACK (default: debug).
WEBHOOKS_TIMEOUT_SECONDS = env_int("WEBHOOKS_TIMEOUT_SECONDS", 10, minimum=1)
WEBHOOKS_RETRY_FIRST_SECONDS = env_int("WEBHOOKS_RETRY_FIRST_SECONDS", 10, minimum=1)
WEBHOOKS_RETRY_FOR_SECONDS = env_int("WEBHOOKS_RETRY_FOR_SECONDS", 24 * 3600, minimum=1)
WEBHOOKS_ALLOW_LOOPBACK = env_bool("WEBHOOKS_ALLOW_LOOPBACK", default=DEBUG)
# Delivered events and deliveries are deleted by the worker this many days after delivery
# (tracker/housekeeping.py); pending and failed ones are kept.
WEBHOOKS_RETENTION_DAYS = env_int("WEBHOOKS_RETENTION_DAYS", 90, minimum=1)

# E-mail to readers who follow grades (tracker/subscriptions.py), sent by the worker.
# Without EMAIL_HOST in debug mode (`make run`), e-mails are printed to the terminal.
_EMAIL_HOST_SET = bool(env_str("EMAIL_HOST", ""))
EMAIL_HOST = env_str("EMAIL_HOST", "") or "localhost"
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "") or ""
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "") or ""
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT_SECONDS", 10, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DJANGO_DEFAULT_FROM_EMAIL", "") or "scorecard@localhost"
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("Set EMAIL_USE_TLS or EMAIL_USE_SSL, not both.")
EMAIL_BACKEND = (
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG and not _EMAIL_HOST_SET
    else "django.core.mail.backends.smtp.EmailBackend"
)
# Follow requests, per client address and per e-mail address (scorecard/follow_views.py).
FOLLOW_RATE_CLIENT = env_rate("FOLLOW_RATE_CLIENT", "20/hour")
FOLLOW_RATE_ADDRESS = env_rate("FOLLOW_RATE_ADDRESS", "5/hour")
