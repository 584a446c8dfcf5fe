"""Settings shared by every environment; each value that differs between a laptop
and a cluster comes from the environment (see README)."""

import copy
import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key
from django.utils.log import DEFAULT_LOGGING

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))

DEBUG = False

# The address the public reaches the site at: every absolute link the site
# gives (feeds, APIs, sitemap, e-mails, QR codes) and the Wagtail Site record
# (cms/public_address.py) follow it.
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")


def allowed_hosts() -> list[str]:
    """ALLOWED_HOSTS, or the public address's host and this machine's names."""
    listed = [host for host in os.environ.get("ALLOWED_HOSTS", "").split(",") if host]
    public = urlsplit(PUBLIC_BASE_URL).hostname or "127.0.0.1"
    return listed or list(dict.fromkeys([public, "127.0.0.1", "localhost", "[::1]"]))


ALLOWED_HOSTS = allowed_hosts()


def secret_key_from_var() -> str:
    """A key generated once into var/, for a single machine without SECRET_KEY."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(get_random_secret_key())
        path.chmod(0o600)
    return path.read_text().strip()


INSTALLED_APPS = [
    # First, so that its db_worker (worker + scheduler) overrides the plain one.
    "cms",
    "channels",
    "media_pipeline",
    "feeds",
    "partners",
    "ingest",
    "screens",
    "tiers",
    "reach",
    "demo",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.sitemaps",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail.api.v2",
    "wagtail",
    "wagtailmedia",
    "modelcluster",
    "taggit",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "django_tasks_db",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.forms",
]

MIDDLEWARE = [
    # First, so that its time and status are what the client got.
    "cms.request_log.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # The screens' polls and heartbeats, as cheap as a static file.
    "screens.fast_path.ScreenFastPathMiddleware",
    # Counts the site's reads, cached pages' too (it only buffers).
    "reach.site_reads.SiteReadMiddleware",
    "reach.downloads.EnclosureDownloadMiddleware",
    "cms.page_cache.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "cms.gone.GoneMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "cms.urls"
WSGI_APPLICATION = "cms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]
# Widgets' templates are found where the site's are (templates/<app>/widgets/).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"


def database_from_env() -> dict:
    default_sqlite = f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
    # Connections are kept for a minute on SQLite too: opening one (its
    # pragmas and Django's functions) costs about 1.7 ms, four times a cached
    # feed request (benchmarks/feeds.py).
    config = dj_database_url.parse(
        os.environ.get("DATABASE_URL", default_sqlite), conn_max_age=60
    )
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # IMMEDIATE: a transaction takes the write lock when it begins, so that
        # read-check-write sequences (the scheduler's claims) cannot interleave.
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    return config


DATABASES = {"default": database_from_env()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
# Uploaded files are private: staff reach them at this address when logged in
# (cms/file_views.py); the public only through the guarded doors.
MEDIA_URL = "/private-files/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Behind nginx: its internal location for MEDIA_ROOT (e.g. /internal-media/),
# so that it sends the local files the guarded doors let out.
FILES_ACCEL_REDIRECT = os.environ.get("FILES_ACCEL_REDIRECT", "")


def storages_from_env() -> dict:
    static = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}
    if os.environ.get("MEDIA_STORAGE") == "s3":
        media = {
            "BACKEND": "cms.storage.S3Storage",
            "OPTIONS": {
                "bucket_name": os.environ["AWS_STORAGE_BUCKET_NAME"],
                "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL"),
                "region_name": os.environ.get("AWS_S3_REGION_NAME"),
                "default_acl": None,
                "querystring_auth": True,
                # A new upload never takes an approved version's name.
                "file_overwrite": False,
            },
        }
    else:
        media = {"BACKEND": "cms.storage.FileSystemStorage"}
    return {"default": media, "staticfiles": static, "outputs": outputs_storage(media)}


def outputs_storage(media: dict) -> dict:
    """Rendered channel packages: private (no public URL; served by signed
    links), beside the media in S3 or in var/outputs."""
    if media["BACKEND"] == "cms.storage.S3Storage":
        private = {"location": "channel-outputs", "default_acl": "private"}
        options = {**media["OPTIONS"], **private}
        return {"BACKEND": media["BACKEND"], "OPTIONS": options}
    location = os.environ.get("OUTPUTS_ROOT", VAR_DIR / "outputs")
    return {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": location, "base_url": "/outputs-not-served/"},
    }


STORAGES = storages_from_env()

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
    RQ_QUEUES = {"default": {"URL": REDIS_URL}}
    INSTALLED_APPS += ["django_rq"]
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
else:
    # Each process's memory. Django's default of 300 entries is less than
    # the loops of a province's screen groups (two entries per group and
    # orientation) beside the cached pages: past it, entries are culled and
    # made again.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 5_000},
        }
    }
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Public pages are cached under a fingerprint a process re-reads once its
# reading is this old: a change is on every page within it (cms/page_cache.py).
PAGE_CACHE_FINGERPRINT_SECONDS = float(
    os.environ.get("PAGE_CACHE_FINGERPRINT_SECONDS", "1")
)
# A CDN or reverse proxy in front answers PURGE at this address (Varnish,
# nginx with a purge module); it is purged on publish, unpublish, moves and
# taxonomy changes (cms/frontend_purge.py) and may keep a page this long.
FRONTEND_CACHE_PURGE_URL = os.environ.get("FRONTEND_CACHE_PURGE_URL", "")
WAGTAILFRONTENDCACHE = (
    {
        "default": {
            "BACKEND": "wagtail.contrib.frontend_cache.backends.HTTPBackend",
            "LOCATION": FRONTEND_CACHE_PURGE_URL,
        }
    }
    if FRONTEND_CACHE_PURGE_URL
    else {}
)
PAGE_CACHE_CDN_SECONDS = int(os.environ.get("PAGE_CACHE_CDN_SECONDS", "600"))

WAGTAIL_SITE_NAME = "科普全媒体"
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", PUBLIC_BASE_URL)
WAGTAILAPI_BASE_URL = PUBLIC_BASE_URL
WAGTAIL_I18N_ENABLED = False
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "cms.search"}}
WAGTAILDOCS_EXTENSIONS = ["srt", "vtt", "pdf", "docx", "txt"]
WAGTAILIMAGES_EXTENSIONS = ["jpg", "jpeg", "png", "webp"]
WAGTAILMEDIA = {
    "MEDIA_MODEL": "wagtailmedia.Media",
    # Refuses an upload whose bytes are not an allowed media container.
    "MEDIA_FORM_BASE": "media_pipeline.forms.MediaForm",
}
WAGTAIL_WORKFLOW_REQUIRE_REAPPROVAL_ON_EDIT = True
# Four eyes: a reviewer may not approve a revision they edited (cms/review.py).
# Offices with a single reviewer set REVIEW_ALLOW_SELF_APPROVAL=1.
REVIEW_ALLOW_SELF_APPROVAL = os.environ.get(
    "REVIEW_ALLOW_SELF_APPROVAL", ""
).lower() in ("1", "true", "yes", "on")
# Reviewers (the 科学审核 group) are notified of submissions; superusers need not be.
WAGTAILADMIN_NOTIFICATION_INCLUDE_SUPERUSERS = False

# The scheduler publishes and expires pages; the health check calls it down
# when its last tick is older than SCHEDULER_STALE_SECONDS.
SCHEDULER_INTERVAL_SECONDS = float(os.environ.get("SCHEDULER_INTERVAL_SECONDS", "15"))
SCHEDULER_STALE_SECONDS = 90
# A placement being delivered is leased for this long and the lease renewed
# every third of it, so a dead worker's placement is taken up within a lease.
PLACEMENT_LEASE_SECONDS = float(os.environ.get("PLACEMENT_LEASE_SECONDS", "60"))
# Called with the current time at every scheduler tick, after pages.
SCHEDULER_JOBS = [
    "channels.queue.enqueue_due_placements",
    "ingest.tasks.poll_due_feeds",
    "screens.pairing.remove_expired_requests",
    "screens.rollups.roll_up_and_prune",
    "screens.commands.sweep",
    "tiers.escalation.remind_overdue",
    "reach.daily.write_ledger",
]

# Django's own logging, plus ours ("cms": requests, tasks, health) as JSON
# lines on the standard error; partner keys may arrive as ?key=, so they are
# masked in every line logged.
LOGGING = copy.deepcopy(DEFAULT_LOGGING)
LOGGING["filters"]["mask_partner_keys"] = {"()": "partners.logging.MaskPartnerKeys"}
LOGGING["formatters"]["json"] = {
    "()": "pythonjsonlogger.json.JsonFormatter",
    "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
    "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
    "json_ensure_ascii": False,
}
LOGGING["handlers"]["json"] = {
    "class": "logging.StreamHandler",
    "formatter": "json",
    "filters": ["mask_partner_keys"],
}
LOGGING["loggers"]["cms"] = {"handlers": ["json"], "level": "INFO"}
# Errors with their tracebacks, whether DEBUG is on or off; every request is
# already in cms.requests, so Django's 4xx warnings are left out.
LOGGING["loggers"]["django"]["handlers"] = ["json", "mail_admins"]
LOGGING["loggers"]["django.request"] = {"level": "ERROR"}
for request_logger in ("django.server", "django.request"):
    LOGGING["loggers"].setdefault(request_logger, {})["filters"] = ["mask_partner_keys"]

# GET /metrics (Prometheus) answers a scraper sending this token as Bearer;
# without one it does not exist. The apps above cms add their counts.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
METRICS_COLLECTORS = [
    "channels.metrics.placement_metrics",
    "screens.metrics.screen_metrics",
]

# 科普大屏: how often players poll their playlist (an emergency reaches them
# within this many seconds).
BIG_SCREEN_POLL_SECONDS = int(os.environ.get("BIG_SCREEN_POLL_SECONDS", "30"))
# New pairing codes a minute, from one address (a site's screens often share
# one) and from everyone; past either a player is told when to ask again.
BIG_SCREEN_PAIRINGS_PER_ADDRESS = int(
    os.environ.get("BIG_SCREEN_PAIRINGS_PER_ADDRESS", "10")
)
BIG_SCREEN_PAIRINGS_PER_MINUTE = int(
    os.environ.get("BIG_SCREEN_PAIRINGS_PER_MINUTE", "120")
)
# How long a process reuses its reading of which player release each group
# runs (a pin or promotion reaches every process's polls within it).
BIG_SCREEN_RELEASE_SECONDS = float(os.environ.get("BIG_SCREEN_RELEASE_SECONDS", "1"))
# How long a process reuses its reading of what the screens' answers depend
# on (screens/fast_path.py): a change, a revocation too, reaches every poll
# within it.
BIG_SCREEN_FAST_PATH_SECONDS = float(
    os.environ.get("BIG_SCREEN_FAST_PATH_SECONDS", "1")
)
# Heartbeats are written in bulk, per process, when this many wait or the
# oldest has waited this long (and at exit).
BIG_SCREEN_HEARTBEAT_BATCH = int(os.environ.get("BIG_SCREEN_HEARTBEAT_BATCH", "500"))
BIG_SCREEN_HEARTBEAT_SECONDS = float(
    os.environ.get("BIG_SCREEN_HEARTBEAT_SECONDS", "2")
)
BIG_SCREEN_HEARTBEAT_BACKGROUND_FLUSH = True

# Behind a reverse proxy, the header in which it passes the client's address
# (X-Real-IP, or X-Forwarded-For whose last entry it wrote). Unset: the
# connection's address, and no header is believed.
CLIENT_ADDRESS_HEADER = os.environ.get("CLIENT_ADDRESS_HEADER", "")

# 科普大屏: days of raw heartbeats and plays kept after they are rolled up
# (the daily roll-ups the reports read are kept for ever).
SCREENS_RAW_RETENTION_DAYS = int(os.environ.get("SCREENS_RAW_RETENTION_DAYS", "90"))
if SCREENS_RAW_RETENTION_DAYS < 1:
    raise ImproperlyConfigured("SCREENS_RAW_RETENTION_DAYS must be at least 1")

# Partner feeds: how long a CDN may keep a public feed (keyed ones are
# private), and an optional WebSub hub announced in every feed.
FEEDS_PUBLIC_MAX_AGE = int(os.environ.get("FEEDS_PUBLIC_MAX_AGE", "30"))
FEEDS_WEBSUB_HUB = os.environ.get("FEEDS_WEBSUB_HUB", "")
# A process re-reads what feeds depend on once its last reading is this old:
# a change is in every feed within it (0: on every request).
FEEDS_FINGERPRINT_SECONDS = float(os.environ.get("FEEDS_FINGERPRINT_SECONDS", "1"))
# Pulls are written in batches of this many rows, or this many seconds
# after the first one buffered (by a timer thread when no request follows).
# A process reuses what it read of a partner key for this long, so a revoked
# key is refused everywhere within it (partners/access.py).
PARTNERS_KEY_SECONDS = float(os.environ.get("PARTNERS_KEY_SECONDS", "0.5"))
# The site's reads (reach.site_reads) and the enclosures' downloads
# (reach.downloads), buffered like the pull log; "0" switches either
# counting off (no rows, no ledger figures for it).
REACH_COUNT_SITE_READS = os.environ.get("REACH_COUNT_SITE_READS", "1") != "0"
REACH_COUNT_DOWNLOADS = os.environ.get("REACH_COUNT_DOWNLOADS", "1") != "0"
REACH_BUFFER_BATCH = 2000
REACH_BUFFER_SECONDS = 10
REACH_BUFFER_BACKGROUND_FLUSH = True

PARTNERS_PULL_LOG_BATCH = 200
PARTNERS_PULL_LOG_SECONDS = 10
PARTNERS_PULL_LOG_BACKGROUND_FLUSH = True
# The partner API's documentation pages (ReDoc, Swagger UI) load their scripts
# and styles from our static files (drf-spectacular-sidecar), never a CDN.
SPECTACULAR_SETTINGS = {
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Outbound requests (cms/outbound.py) reach public addresses only, and
# these networks (CIDR, comma separated), e.g. an intranet webhook.
OUTBOUND_ALLOWED_NETWORKS = [
    cidr.strip()
    for cidr in os.environ.get("OUTBOUND_ALLOWED_NETWORKS", "").split(",")
    if cidr.strip()
]

# Ingest of upstream feeds: the deadline for a whole download (connecting,
# redirects, the last byte), largest answer read, drafts made per poll at most.
INGEST_DEADLINE_SECONDS = 30
INGEST_MAX_BYTES = 5 * 1024 * 1024
INGEST_MAX_NEW_PER_POLL = 50

# Figures the health check gives staff beside its checks, from the apps above
# cms: {name: dotted path of a function returning a JSON value}.
HEALTH_FIGURES = {"failed_placements": "channels.metrics.failed_placement_count"}

# The admin offline-first: no avatar fetched from Gravatar (Wagtail's own
# default picture instead), no call to Wagtail's release server from the
# dashboard, and the sign-in form labelled in Chinese.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAILADMIN_USER_LOGIN_FORM = "cms.forms.SignInForm"
