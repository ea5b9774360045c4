"""newsdesk settings: one file, driven by the environment (see docs/configuration.md)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from newsdesk.core.caches import DEFAULT_MAX_ENTRIES, cache_setting
from newsdesk.core.static_headers import static_headers_add
from newsdesk.env import (
    data_dir,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_networks,
    env_redis_url,
    env_str,
    env_time_zone,
    env_url,
    secret_key,
)

PACKAGE_DIR = Path(__file__).resolve().parent

DATA_DIR = data_dir("NEWSDESK_DATA_DIR", "./newsdesk-data")
DEBUG = env_bool("DEBUG", False)
SITE_URL = env_url("SITE_URL", "http://127.0.0.1:8000")
# A public https site without DEBUG is production: there the key must pass check --deploy's rule.
SECRET_KEY = secret_key(DATA_DIR, production=not DEBUG and SITE_URL.startswith("https://"))
SITE_NAME = env_str("SITE_NAME", "The Harrowgate Bay Courier") or "newsdesk"
TIME_ZONE = env_time_zone("TIME_ZONE", "UTC")

_site_host = urlsplit(SITE_URL).hostname or "localhost"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [_site_host, "127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = [SITE_URL]

INSTALLED_APPS = [
    "newsdesk.core",
    "newsdesk.news",
    "newsdesk.importers",
    "newsdesk.related",
    "newsdesk.newsletter",
    "newsdesk.ops",
    "wagtail.contrib.redirects",
    "wagtail.contrib.sitemaps",
    "wagtail.contrib.routable_page",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "django_tasks",
    "django_tasks_db",  # its table exists either way, so switching NEWSDESK_TASKS needs no migrate
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
]

MIDDLEWARE = [
    "newsdesk.core.proxies.UntrustedForwardingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "newsdesk.core.middleware.SecurityHeadersMiddleware",
    "newsdesk.news.middleware.CachedSiteMiddleware",
    "newsdesk.news.middleware.QueryRedirectMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Inside the security headers, so that pages answered from the cache get them too, and
    # inside the redirects, which an editor changes without publishing anything.
    "newsdesk.news.page_cache.PageCacheMiddleware",
]

# A reader whose browser sent no CSRF cookie gets a page in the site's design that says why.
CSRF_FAILURE_VIEW = "newsdesk.core.csrf.csrf_failure"
ROOT_URLCONF = "newsdesk.urls"
WSGI_APPLICATION = "newsdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                # LANGUAGE_CODE for <html lang>: "en-gb" by default, not a bare "en".
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "newsdesk.news.context_processors.site",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------
# SQLite by default, in the data directory. IMMEDIATE transactions take the write lock at BEGIN,
# so concurrent writers queue on the busy timeout instead of failing with "database is locked"
# when a read transaction tries to upgrade; WAL lets readers run beside the one writer.
_sqlite_path = DATA_DIR / "newsdesk.sqlite3"
_database_url = env_str("DATABASE_URL", "")
if _database_url:
    try:
        _db = dj_database_url.parse(_database_url, conn_max_age=60, conn_health_checks=True)
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL: {exc}") from exc
    if not _db.get("ENGINE"):
        raise ImproperlyConfigured(f"DATABASE_URL: unsupported scheme in {_database_url!r}")
else:
    _db = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(_sqlite_path)}
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db.setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL;PRAGMA synchronous=FULL;PRAGMA foreign_keys=ON;"
            ),
        }
    )
    _db["CONN_MAX_AGE"] = 600
    _db["CONN_HEALTH_CHECKS"] = False
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Caches ---------------------------------------------------------------------------------------
# The Site per host, the page fragments of each publication version and Wagtail's site root paths
# (core/caches.py): in Redis when REDIS_URL is set (filled once for every process and machine),
# else in each process's memory, holding at most NEWSDESK_CACHE_ENTRIES entries.
REDIS_URL = env_redis_url("REDIS_URL")
NEWSDESK_CACHE_ENTRIES = env_int(
    "NEWSDESK_CACHE_ENTRIES", DEFAULT_MAX_ENTRIES, minimum=100, maximum=10_000_000
)
CACHES = cache_setting(redis_url=REDIS_URL, max_entries=NEWSDESK_CACHE_ENTRIES)

# --- Internationalisation -----------------------------------------------------------------------
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "en-gb") or "en-gb"
USE_I18N = True
USE_TZ = True

# --- Static and media files -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Serve straight from the app folders when static files were never collected (tests, debug).
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
# Whitenoise answers before newsdesk's middleware: static files get their CSP from this hook.
WHITENOISE_ADD_HEADERS_FUNCTION = static_headers_add
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# --- Request bodies, as `newsdesk serve` receives them (ops/bridge; docs/deploy.md) -------------
# Larger declared bodies get 413 before they are read. Room for Wagtail's image upload limit
# (WAGTAILIMAGES_MAX_UPLOAD_SIZE, 10 MB) and the rest of its form.
NEWSDESK_MAX_REQUEST_BYTES = env_int(
    "NEWSDESK_MAX_REQUEST_BYTES", 12 * 1024 * 1024, minimum=64 * 1024, maximum=2**31 - 1
)
# A body may pause this long, and after this grace must average NEWSDESK_BODY_MIN_RATE bytes a
# second, else 408; at most NEWSDESK_BODY_WAITING_MAX requests per worker wait on one (then 503).
NEWSDESK_BODY_TIMEOUT = env_int("NEWSDESK_BODY_TIMEOUT", 10, minimum=1, maximum=600)
NEWSDESK_BODY_MIN_RATE = env_int("NEWSDESK_BODY_MIN_RATE", 16 * 1024, minimum=1)
NEWSDESK_BODY_WAITING_MAX = env_int("NEWSDESK_BODY_WAITING_MAX", 32, minimum=1, maximum=10_000)

# --- Security -------------------------------------------------------------------------------------
_https = SITE_URL.startswith("https://")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = _https
CSRF_COOKIE_SECURE = _https
SECURE_SSL_REDIRECT = _https and env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if _https else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _https
# The header alone submits nothing; it allows an operator to apply for the browser preload list.
SECURE_HSTS_PRELOAD = _https and env_bool("SECURE_HSTS_PRELOAD", True)
# Rate limits are counted in Redis when REDIS_URL is set (shared by every process and machine,
# and no write to the site's database per signup), else in the database. (REDIS_URL is read
# with the caches above.)
_proxy_count = env_int("NEWSDESK_TRUSTED_PROXIES", 0, maximum=10)
NEWSDESK_TRUSTED_PROXIES = _proxy_count
# Where those proxies connect from: forwarded headers from any other peer are dropped
# (core/proxies.py), so a client that reaches the port directly cannot pick its own IP.
NEWSDESK_PROXY_ADDRESSES = env_networks("NEWSDESK_PROXY_ADDRESSES", "127.0.0.0/8,::1")
if _proxy_count:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SILENCED_SYSTEM_CHECKS: list[str] = []

# --- Signing in (newsdesk/accounts/) --------------------------------------------------------------
# django-axes locks out password guessers at every form that goes through authenticate()
# (Wagtail's admin, Django's admin): by username across addresses and by address across
# usernames, each lock twice as long as the last (accounts/lockouts.py).
INSTALLED_APPS.append("axes")
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first, so a locked-out sign-in computes no hash
    "django.contrib.auth.backends.ModelBackend",
]
MIDDLEWARE += [
    "newsdesk.accounts.middleware.PasswordCheckBusyMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as axes asks
]
NEWSDESK_LOGIN_FAILURE_LIMIT = env_int("NEWSDESK_LOGIN_FAILURE_LIMIT", 5, minimum=1, maximum=100)
NEWSDESK_LOGIN_LOCKOUT_MINUTES = env_int(
    "NEWSDESK_LOGIN_LOCKOUT_MINUTES", 5, minimum=1, maximum=1440
)
AXES_FAILURE_LIMIT = NEWSDESK_LOGIN_FAILURE_LIMIT
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_COOLOFF_TIME = "newsdesk.accounts.lockouts.cool_off"
AXES_HANDLER = "newsdesk.accounts.axes_handler.GrowingLockoutHandler"
AXES_CLIENT_IP_CALLABLE = "newsdesk.accounts.lockouts.lockout_client_ip"  # trusted proxies only
AXES_LOCKOUT_CALLABLE = "newsdesk.accounts.responses.lockout_response"
# A refused attempt checks no password, so it does not lengthen the lock either: otherwise anyone
# could keep a real user locked out for a day by knocking a few times.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Django's defaults, with its PBKDF2 hasher replaced by the same algorithm computed one hash at a
# time per process (accounts/hashers.py), so sign-ins cannot take the CPU from reader pages.
PASSWORD_HASHERS = [
    "newsdesk.accounts.hashers.SerialPBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
# Page and document passwords: guesses per client address and per password, each per hour.
NEWSDESK_PAGE_PASSWORD_LIMIT_PER_IP = env_int("NEWSDESK_PAGE_PASSWORD_LIMIT_PER_IP", 10, minimum=1)
NEWSDESK_PAGE_PASSWORD_LIMIT_PER_PAGE = env_int(
    "NEWSDESK_PAGE_PASSWORD_LIMIT_PER_PAGE", 100, minimum=1
)
# Django's own admin at /django-admin/: off unless asked for (Wagtail's admin does everything).
NEWSDESK_DJANGO_ADMIN = env_bool("NEWSDESK_DJANGO_ADMIN", False)

# --- Wagtail --------------------------------------------------------------------------------------
WAGTAIL_SITE_NAME = SITE_NAME
# A self-hosted newsroom's admin tells no third party who works there or that it runs Wagtail:
# no Gravatar pictures (they send a hash of each editor's address to gravatar.com) and no check
# for new Wagtail releases.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAILADMIN_BASE_URL = SITE_URL
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "pptx", "rtf", "txt", "xlsx"]
WAGTAIL_ALLOW_UNICODE_SLUGS = False
WAGTAILIMAGES_EXTENSIONS = ["gif", "jpg", "jpeg", "png", "webp", "avif"]

# --- Background tasks -----------------------------------------------------------------------------
# "database" (the default) queues tasks in the database for `newsdesk worker` (which `newsdesk
# serve` and the demo start beside themselves), so no request waits on the mail server or the
# related-stories ranking, and a signup's answer takes as long whatever it sends.
# "immediate" runs a task right where it is queued, inside the request: for tests and
# development only (the answer's timing then shows which signups sent an email).
TASK_BACKENDS = {
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
}
NEWSDESK_TASKS = env_choice("NEWSDESK_TASKS", "database", tuple(TASK_BACKENDS))
TASKS = {"default": {"BACKEND": TASK_BACKENDS[NEWSDESK_TASKS]}}

# --- Logging --------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING") or "WARNING"},
}

# --- newsdesk -------------------------------------------------------------------------------------
NEWSDESK_PAGE_SIZE = 20
NEWSDESK_RECENT_COUNT = 5
NEWSDESK_RELATED_COUNT = 5
# Related stories: after this many days apart, two stories' time factor has halved.
NEWSDESK_RELATED_HALF_LIFE_DAYS = env_int(
    "NEWSDESK_RELATED_HALF_LIFE_DAYS", 30, minimum=1, maximum=36500
)
NEWSDESK_WORDS_PER_MINUTE = 230
# Seconds after which a process re-reads the publication version (see news/versioning.py).
NEWSDESK_VERSION_CHECK_SECONDS = 2.0
# Whole pages for anonymous readers (news/page_cache.py), and what a CDN or proxy in front may
# keep: s-maxage, then stale-while-revalidate while it fetches a fresh copy.
NEWSDESK_PAGE_CACHE = env_bool("NEWSDESK_PAGE_CACHE", True)
NEWSDESK_SHARED_CACHE_SECONDS = env_int(
    "NEWSDESK_SHARED_CACHE_SECONDS", 10, minimum=0, maximum=86_400
)
NEWSDESK_SHARED_CACHE_STALE_SECONDS = env_int(
    "NEWSDESK_SHARED_CACHE_STALE_SECONDS", 30, minimum=0, maximum=86_400
)

# --- Email and newsletter -------------------------------------------------------------------------
# EMAIL_URL picks Django's email backend (see newsdesk.mail.email_url.parse_email_url). With nothing
# configured, mail goes to files in the data directory's outbox, so a demo never needs a mail
# server and a new user can still read every message the site sent.
from email.utils import formataddr as _formataddr  # noqa: E402

from newsdesk.env import env_email_address  # noqa: E402
from newsdesk.mail.email_url import env_email_url  # noqa: E402

_email = env_email_url("EMAIL_URL", f"file://{DATA_DIR / 'outbox'}")
EMAIL_BACKEND = _email.backend
EMAIL_HOST = _email.host
EMAIL_PORT = _email.port
EMAIL_HOST_USER = _email.user
EMAIL_HOST_PASSWORD = _email.password
EMAIL_USE_TLS = _email.use_tls
EMAIL_USE_SSL = _email.use_ssl
EMAIL_TIMEOUT = _email.timeout or 30  # never wait forever on a stuck mail server
EMAIL_FILE_PATH = _email.file_path or str(DATA_DIR / "outbox")
DEFAULT_FROM_EMAIL = env_email_address(
    "DEFAULT_FROM_EMAIL", _formataddr((SITE_NAME, "news@localhost"))
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
NEWSDESK_REPLY_TO = env_email_address("NEWSDESK_REPLY_TO", "")
# Signup limits (per client IP and per address, each per hour); the confirmation email itself is
# sent at most once per address per day whatever these say.
NEWSDESK_SIGNUP_LIMIT_PER_IP = env_int("NEWSDESK_SIGNUP_LIMIT_PER_IP", 20, minimum=1)
NEWSDESK_SIGNUP_LIMIT_PER_ADDRESS = env_int("NEWSDESK_SIGNUP_LIMIT_PER_ADDRESS", 5, minimum=1)

# The digest goes out every day at this local time (TIME_ZONE); the weekly edition on this day.
from newsdesk.env import env_time, env_weekday  # noqa: E402

NEWSDESK_DIGEST_TIME = env_time("NEWSDESK_DIGEST_TIME", "07:00")
NEWSDESK_DIGEST_WEEKDAY = env_weekday("NEWSDESK_DIGEST_WEEKDAY", "monday")
# Parallel SMTP connections of the digest sender; most providers accept a handful per client.
NEWSDESK_DIGEST_CONNECTIONS = env_int("NEWSDESK_DIGEST_CONNECTIONS", 4, minimum=1, maximum=64)
# A reader whose mail server keeps deferring is tried again in later rounds until the edition is
# this many hours old; then the delivery fails with the server's last reply.
NEWSDESK_DIGEST_RETRY_HOURS = env_int("NEWSDESK_DIGEST_RETRY_HOURS", 24, minimum=1, maximum=168)

# --- Anymail: ESP backends and bounce/complaint webhooks (newsletter/feedback/bounces.py) --------
# EMAIL_URL=anymail+postmark: (or mailgun, …) sends through an ESP's API with ANYMAIL_API_KEY.
# The tracking webhooks under /webhooks/anymail/<esp>/tracking/ accept nothing until
# ANYMAIL_WEBHOOK_SECRET ("user:password", given to the ESP as basic auth in the URL) is set.
from newsdesk.mail.email_url import env_anymail  # noqa: E402

INSTALLED_APPS.append("anymail")
ANYMAIL = env_anymail(_email)
# ESPs batch events (Mailjet, SparkPost): a batch stays well under this; anything larger is refused
# before it is read.
NEWSDESK_WEBHOOK_MAX_BYTES = env_int(
    "NEWSDESK_WEBHOOK_MAX_BYTES", 1_000_000, minimum=10_000, maximum=20_000_000
)

# --- Subscriber CSV import (newsletter/subscriptions/admin_views.py) -----------------------------
# Each new address gets a confirmation email, sent by a task (the worker's; inline only with the
# immediate backend of tests and development, which the row limit keeps within one request).
NEWSDESK_IMPORT_MAX_BYTES = env_int("NEWSDESK_IMPORT_MAX_BYTES", 2_000_000, minimum=1_000)
NEWSDESK_IMPORT_MAX_ROWS = env_int("NEWSDESK_IMPORT_MAX_ROWS", 2_000, minimum=1)

# --- Site imports uploaded in the admin (importers/admin_views.py) --------------------------------
# Uploads wait here for the worker, outside MEDIA_ROOT so that no URL serves them (a Ghost export
# holds the subscriber list); each is deleted once its import has run. Several workers on several
# machines need this folder shared between them and the web processes.
NEWSDESK_SITE_IMPORT_DIR = DATA_DIR / "imports"
# Uploads are bounded by NEWSDESK_MAX_REQUEST_BYTES (12 MB by default): larger exports are
# imported with the command, or after raising it.
