"""Settings, driven by the environment so one code base serves a laptop and production.

DATABASE_URL unset  -> an SQLite file under var/ (zero-setup default).
DATABASE_URL=postgres://... -> PostgreSQL through psycopg 3 with its connection pool.

Production is the default. Local development is opted into with DJANGO_DEBUG=1 or
FACTCHECK_DEV=1 (`make run`, `make test` and the test settings set the latter); only then
may the built-in secret key and the uncollected static files be used.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("FACTCHECK_VAR_DIR", BASE_DIR / "var"))


def env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None


DEBUG = env_flag("DJANGO_DEBUG", default=False)
LOCAL_DEVELOPMENT = DEBUG or env_flag("FACTCHECK_DEV", default=False)

# A known key would let anyone forge sessions, so it is only ever used on a laptop.
DEVELOPMENT_SECRET_KEY = "insecure-local-development-key-change-me"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "").strip()
if not SECRET_KEY:
    if not LOCAL_DEVELOPMENT:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. In production set it to a long random value, e.g. "
            "DJANGO_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))'). "
            "For local development use `make run` / `make test`, or set FACTCHECK_DEV=1."
        )
    SECRET_KEY = DEVELOPMENT_SECRET_KEY
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    # The admin's registrations are loaded with the URLs (factcheck/urls.py), not at
    # start-up: commands that never serve a page start ~0.1-0.2 s sooner.
    "django.contrib.admin.apps.SimpleAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "django_tasks_db",
    "annotations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outermost but for security: a database outage anywhere below becomes a clear 503.
    "annotations.middleware.DatabaseUnavailableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "annotations.middleware.SlidingSessionMiddleware",
    "annotations.middleware.HtmxAwareLoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "annotations.conflict_middleware.ConflictMiddleware",
    "annotations.origin_middleware.HistoryOriginMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into our lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "factcheck.urls"
WSGI_APPLICATION = "factcheck.wsgi.application"
ASGI_APPLICATION = "factcheck.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "annotations.context_processors.roles",
            ],
        },
    },
]

DEFAULT_SQLITE_PATH = VAR_DIR / "db.sqlite3"
DATABASE_URL = os.environ.get("DATABASE_URL", "").strip()
USING_LOCAL_DEFAULT_DATABASE = not DATABASE_URL
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=0, conn_health_checks=True)
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        options = DATABASES["default"].setdefault("OPTIONS", {})
        # While PostgreSQL is unreachable, a request must fail within seconds (a 503), not
        # hang until the proxy gives up: both the TCP connect and the wait for a pooled
        # connection are bounded.
        options.setdefault("connect_timeout", env_int("DATABASE_CONNECT_TIMEOUT", 3))
        if env_flag("DATABASE_POOL", True):
            # psycopg 3's pool: one per worker process, connections reused across requests.
            # A request holds one connection, so max_size = threads per worker means no
            # thread ever waits for another's; gunicorn.conf.py sets it to its thread count.
            pool_max = max(1, env_int("DATABASE_POOL_MAX_SIZE", 4))
            options["pool"] = {
                "min_size": min(2, pool_max),
                "max_size": pool_max,
                "timeout": env_int("DATABASE_POOL_TIMEOUT", 3),
            }
        else:
            options["pool"] = False
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DEFAULT_SQLITE_PATH,
            "OPTIONS": {
                # WAL lets the export stream read while a reviewer writes.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# django-axes first: a locked-out attempt is refused before any password is hashed.
AUTHENTICATION_BACKENDS = [
    "factcheck.auth.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Lock the pair (user name, address): a guesser cannot lock a colleague out from
# elsewhere, and a locked user can still sign in from another machine.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15))
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "annotations.views.errors.login_locked_out"
AXES_CLIENT_IP_CALLABLE = "factcheck.auth.client_ip_address"
AXES_USERNAME_CALLABLE = "factcheck.auth.attempted_username"
# How many reverse proxies in front of the app append to X-Forwarded-For (0: none, the
# client is REMOTE_ADDR). Behind one nginx/Caddy this is 1.
TRUSTED_PROXY_COUNT = env_int("DJANGO_TRUSTED_PROXY_COUNT", 0)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
CSRF_FAILURE_VIEW = "annotations.views.errors.csrf_failure"
LOGIN_REDIRECT_URL = "article-list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise expects it to exist
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Production serves collectstatic's hashed, pre-compressed files (cached forever);
    # development and tests serve them straight from the apps, no collectstatic.
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if LOCAL_DEVELOPMENT
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = LOCAL_DEVELOPMENT
WHITENOISE_AUTOREFRESH = DEBUG

# Nothing is loaded from another origin; scripts need our nonce.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

SESSION_COOKIE_HTTPONLY = True
# A working day, sliding (annotations.middleware.SlidingSessionMiddleware): a session
# ends SESSION_HOURS after the last request, so a reviewer is not signed out mid-article
# and a forgotten laptop does not stay signed in.
SESSION_COOKIE_AGE = max(1, env_int("SESSION_HOURS", 12)) * 3600
X_FRAME_OPTIONS = "DENY"

# Behind an HTTPS-terminating proxy (which must set X-Forwarded-Proto itself).
HTTPS = env_flag("DJANGO_HTTPS", False)
SESSION_COOKIE_SECURE = env_flag("DJANGO_SECURE_COOKIES", HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    # The proxy or a load balancer asks for /healthz over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_flag("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
    # Joining browsers' preload lists is hard to undo, so it is a deliberate choice; the
    # check that asks for it is silenced only while it is left off on purpose.
    SECURE_HSTS_PRELOAD = env_flag("DJANGO_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = []
if HTTPS and not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS.append("security.W021")
if HTTPS and not SECURE_HSTS_INCLUDE_SUBDOMAINS:
    SILENCED_SYSTEM_CHECKS.append("security.W005")

# Uploads: the import's own limits (FACTCHECK_IMPORT_MAX_*_BYTES below) are checked by
# the import view before anything is read; these only bound what Django holds in memory.
# Form fields (not files) up to 20 MB, as before (an article's text edited in the admin);
# a file over 2.5 MB streams to a temporary file instead of memory. The import view
# counts files itself (with a clear message), so Django's own count, which answers a
# bare "Bad request", is set above it.
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FILES = 10_000

# Long imports (annotations/tasks.py) run on django-tasks-db's database backend; its
# worker (`manage.py db_worker`) is started beside the web server by `make run` and
# `make serve` (scripts/run-with-worker). Several workers may share one PostgreSQL
# database: each claims a task row with SELECT ... FOR UPDATE SKIP LOCKED.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Exports prepared in the background are written here (annotations/exporters/jobs.py),
# on the file system under var/exports/ by default. For S3-compatible object storage,
# install django-storages[s3] and point this at "storages.backends.s3.S3Storage" (see
# the README, "Exports in object storage").
STORAGES["exports"] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": VAR_DIR / "exports"},
}
# An export whose filters count more spans than this is prepared in the background (the
# page also offers it for any export).
FACTCHECK_EXPORT_BACKGROUND_SPANS = env_int("FACTCHECK_EXPORT_BACKGROUND_SPANS", 50_000)

# A read replica for exports and the export page's counts (factcheck/db_router.py):
# reads go there only inside db_router.reading_from_replica(); every write goes to
# "default".
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "").strip()
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL, conn_max_age=0, conn_health_checks=True
    )
    # Under the test runner the replica is the test database itself (no second copy).
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["factcheck.db_router.ReplicaRouter"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Every sign-in is in axes' access log table; the log file only needs lockouts.
        "axes": {"level": "WARNING"},
    },
}

# --- Import limits (annotations/importers/limits.py reads these; one set for the import
# page and `import_articles` alike). Sizes are bytes of the file as stored or uploaded.
FACTCHECK_IMPORT_MAX_FILE_BYTES = env_int("FACTCHECK_IMPORT_MAX_FILE_BYTES", 10 * 1024 * 1024)
FACTCHECK_IMPORT_MAX_UPLOAD_BYTES = env_int("FACTCHECK_IMPORT_MAX_UPLOAD_BYTES", 100 * 1024 * 1024)
# A ZIP archive: how many members, how much they hold once decompressed, and how much
# more than its compressed size one member may grow (a zip bomb grows a thousandfold).
FACTCHECK_IMPORT_ZIP_MAX_MEMBERS = env_int("FACTCHECK_IMPORT_ZIP_MAX_MEMBERS", 10_000)
FACTCHECK_IMPORT_ZIP_MAX_TOTAL_BYTES = env_int(
    "FACTCHECK_IMPORT_ZIP_MAX_TOTAL_BYTES", 200 * 1024 * 1024
)
FACTCHECK_IMPORT_ZIP_MAX_RATIO = env_int("FACTCHECK_IMPORT_ZIP_MAX_RATIO", 100)
# Fetching a page by URL (importers/fetch.py). Private, loopback and link-local addresses
# stay out of reach unless this is on (tests; an intranet deployment that means it).
FACTCHECK_IMPORT_ALLOW_PRIVATE_URLS = env_flag("FACTCHECK_IMPORT_ALLOW_PRIVATE_URLS", False)
FACTCHECK_IMPORT_FETCH_TIMEOUT_SECONDS = env_int("FACTCHECK_IMPORT_FETCH_TIMEOUT_SECONDS", 10)
FACTCHECK_IMPORT_FETCH_MAX_BYTES = env_int("FACTCHECK_IMPORT_FETCH_MAX_BYTES", 5 * 1024 * 1024)
FACTCHECK_IMPORT_FETCH_MAX_REDIRECTS = env_int("FACTCHECK_IMPORT_FETCH_MAX_REDIRECTS", 5)
# trafilatura logs a page it finds no article in as an error ("empty HTML tree",
# "discarding data"); the import refuses such a page with a message, so the log would
# only repeat it, on the terminal of `import_articles` too.
LOGGING["loggers"]["trafilatura"] = {"level": "CRITICAL"}
LOGGING["loggers"]["htmldate"] = {"level": "CRITICAL"}
# --- end of import limits

# --- ClaimReview publishing (annotations/exporters/formats/claimreview.py reads these).
# The organisation that publishes the fact checks (each ClaimReview's `author`), and the
# public page of one review: "{span_id}" is replaced by the claim's span id.
FACTCHECK_ORGANISATION_NAME = os.environ.get("FACTCHECK_ORGANISATION_NAME", "Factcheck")
FACTCHECK_ORGANISATION_URL = os.environ.get(
    "FACTCHECK_ORGANISATION_URL", "https://factcheck.example"
)
FACTCHECK_REVIEW_URL_TEMPLATE = os.environ.get(
    "FACTCHECK_REVIEW_URL_TEMPLATE", "https://factcheck.example/reviews/{span_id}"
)
# --- end of ClaimReview publishing
