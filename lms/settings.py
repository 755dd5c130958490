"""Lectern settings: one module, configured from the environment.

Every variable read here is documented in README.md ("Configuration"). The defaults
give a complete local site (SQLite file, local-memory cache, console email, local
files); ``DEBUG=0`` switches to the production posture and then refuses to start
without a real ``SECRET_KEY``.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from lms.lib.jwt_keys import load_private_key

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=True)

_DEFAULT_SECRET_KEY = "insecure-dev-only-key-set-SECRET_KEY-in-production"
SECRET_KEY = env.str("SECRET_KEY", default=_DEFAULT_SECRET_KEY)
if not DEBUG and SECRET_KEY == _DEFAULT_SECRET_KEY:
    raise ImproperlyConfigured("DEBUG=0 needs SECRET_KEY set to a long random value.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# scripts/bench.py only: exposes /bench/ok/, a bare view to compare pages against.
BENCHMARK_ENDPOINTS = env.bool("BENCHMARK_ENDPOINTS", default=False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",  # lets templates/django/forms/ restyle every form field
    "django_htmx",
    "csp",
    "template_partials",
    "allauth",
    "allauth.account",
    "allauth.headless",  # the token API's sign-up, login, refresh and logout (/api/v1/auth/)
    "allauth.usersessions",  # a user's sessions, listed and ended through the API
    "corsheaders",
    "ninja",  # serves the API docs page from our static files (no CDN)
    "django_tasks",
    "django_tasks_db",
    "django_rq",
    "django_tasks_rq",
    "accounts",
    "catalog",
    "learning",
    "reviews",
    "analytics",
    "payments",
    "video",
    "lms",  # the root: demo and scale-data commands, admin templates
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before CommonMiddleware; only answers origins listed in CORS_ALLOWED_ORIGINS.
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Refuses sign-in, codes and emails while the cache (their rate limits) is down.
    "accounts.middleware.SignInNeedsRateLimitsMiddleware",
    # Parses multipart PUT bodies under /api/ (Django only parses POST's): the avatar.
    "lms.lib.api.put_files_middleware",
    # allauth's API errors (/api/v1/auth/) in the API's problem shape, allauth's JSON kept.
    # Last, so the headers the others add reach the problems it makes.
    "accounts.middleware.AuthApiProblemsMiddleware",
]

ROOT_URLCONF = "lms.urls"
WSGI_APPLICATION = "lms.wsgi.application"

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
            ],
        },
    },
]

FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# --- Database ---------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so two writers queue on the busy
    # timeout instead of one failing with "database is locked" mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (also holds allauth's rate-limit counters) -----------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's RedisCache, but an unreachable Redis degrades to "no cache"
            # instead of failing every request (lms/lib/cache_backends.py).
            "BACKEND": "lms.lib.cache_backends.DegradingRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "lectern",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Accounts -----------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
# The fields Lectern adds to signup (names, "I want to teach"): allauth puts them in the
# web page's form and in the API's signup input alike.
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.signup.SignupFields"
ACCOUNT_FORMS = {  # allauth's forms with Lectern's checks and sentence-case labels
    "signup": "accounts.forms.SignupForm",
    "login": "accounts.forms.LoginForm",
    "change_password": "accounts.forms.ChangePasswordForm",
    "reset_password_from_key": "accounts.forms.ResetPasswordKeyForm",
}
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = True
ACCOUNT_EMAIL_VERIFICATION_SUPPORTS_RESEND = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_NOTIFICATIONS = True  # "your password was changed" and the like
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""  # subjects name Lectern in words, as its own emails do
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_SESSION_REMEMBER = None
# Renders allauth's emails in the request, as allauth does, and sends them from a task.
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"

# --- Email ----------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(BASE_DIR / "sent-emails"))
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Lectern <noreply@lectern.test>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Background tasks (django-tasks, the backport of Django 6's tasks) ---------------
# Two backends: "default" for short jobs (emails, allauth's code emails, certificate PDFs)
# and "video" for transcoding (minutes per lesson, its own queue so it never holds up an
# email). Production: both django_tasks_rq.RQBackend on Redis, workers
# `manage.py rqworker default video --with-scheduler` (the scheduler moves deferred
# tasks, e.g. email retries, onto their queue when due; README, "Background tasks").
# `make run`: emails in-process right after commit, transcoding in the database queue
# with a db_worker started beside gunicorn by the same command.
RQ_URL = env.str("RQ_URL", default=REDIS_URL or "redis://127.0.0.1:6379/0")
RQ_QUEUES = {
    "default": {"URL": RQ_URL, "DEFAULT_TIMEOUT": 10 * 60},
    "video": {"URL": RQ_URL, "DEFAULT_TIMEOUT": 6 * 60 * 60},
}
RQ = {
    # Workers must run jobs as django-tasks tasks (rq's own Job cannot call a Task):
    # set here, `manage.py rqworker` needs no --job-class.
    "JOB_CLASS": "django_tasks_rq.Job",
}
# django-rq's dashboard is mounted in the admin for platform staff only (lms/admin.py),
# not through django-rq's own registration, which lets any is_staff user (instructors) in.
RQ_SHOW_ADMIN_LINK = False
TASKS = {
    "default": {
        "BACKEND": env.str(
            "TASKS_BACKEND", default="django_tasks.backends.immediate.ImmediateBackend"
        ),
        "QUEUES": ["default"],
    },
    "video": {
        "BACKEND": env.str("VIDEO_TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
        "QUEUES": ["video"],
    },
}

# --- Files --------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = env.str("MEDIA_URL", default="/media/")
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))

# Lesson videos: never under MEDIA_ROOT, never at a public URL; learning.streaming serves
# them to entitled viewers only.
PRIVATE_MEDIA_ROOT = Path(env.str("PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "private")))

AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
AWS_PRIVATE_STORAGE_BUCKET_NAME = env.str("AWS_PRIVATE_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME or AWS_PRIVATE_STORAGE_BUCKET_NAME:
    # Credentials come from boto3's own chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY,
    # an instance role, ...); django-storages reads the AWS_* names below.
    AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", default=None)
    AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default=None)
    AWS_S3_CUSTOM_DOMAIN = env.str("AWS_S3_CUSTOM_DOMAIN", default=None)
    AWS_S3_FILE_OVERWRITE = False
    AWS_DEFAULT_ACL = None
    AWS_QUERYSTRING_AUTH = False
_default_storage = (
    {"BACKEND": "storages.backends.s3.S3Storage"}
    if AWS_STORAGE_BUCKET_NAME
    else {"BACKEND": "lms.lib.files.NoPartialFilesStorage"}
)
_private_storage = (
    {
        "BACKEND": "storages.backends.s3.S3Storage",
        # Private objects; the streaming view hands out short-lived signed URLs.
        "OPTIONS": {
            "bucket_name": AWS_PRIVATE_STORAGE_BUCKET_NAME,
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": 300,
            "custom_domain": None,
        },
    }
    if AWS_PRIVATE_STORAGE_BUCKET_NAME
    else {"BACKEND": "lms.lib.files.PrivateFileSystemStorage"}
)

STORAGES = {
    "default": _default_storage,
    "private": _private_storage,
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedStaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Upload limits. Django refuses a request body larger than DATA_UPLOAD_MAX_MEMORY_SIZE
# unless it is a file; files spill to disk above FILE_UPLOAD_MAX_MEMORY_SIZE.
# The quiz editor posts a whole quiz as one form: up to 100 questions of 6 fields, each
# with up to 12 answers of 4 (catalog.quiz_editor), past Django's default of 1000 fields.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 6000
AVATAR_MAX_BYTES = env.int("AVATAR_MAX_BYTES", default=5 * 1024 * 1024)
AVATAR_MAX_SIDE = env.int("AVATAR_MAX_SIDE", default=6000)
AVATAR_SIZE = 256
THUMBNAIL_MAX_BYTES = env.int("THUMBNAIL_MAX_BYTES", default=8 * 1024 * 1024)
THUMBNAIL_SIZE = (960, 540)
VIDEO_MAX_BYTES = env.int("VIDEO_MAX_BYTES", default=2 * 1024 * 1024 * 1024)
# Seconds a direct-to-bucket upload may stay unfinished before
# `manage.py purge_abandoned_uploads` deletes its row and object (catalog.uploads).
UPLOAD_PENDING_MAX_AGE = env.int("UPLOAD_PENDING_MAX_AGE", default=24 * 60 * 60)
# A WebVTT caption file (video.captions): an hour of speech is about 100 KB.
CAPTION_MAX_BYTES = env.int("CAPTION_MAX_BYTES", default=1024 * 1024)
# Django keeps uploads up to this size in memory; larger ones stream to a temp file.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    # Like Django's, but a disk that fills up mid-upload leaves no temp file behind.
    "lms.lib.files.NoPartialTemporaryFileUploadHandler",
]

# How lesson video bytes leave the server (learning.streaming): "direct" (Django serves
# them, with Range support), "nginx" (X-Accel-Redirect to VIDEO_ACCEL_PREFIX, an
# internal location) or "s3" (a redirect to a short-lived signed URL).
VIDEO_DELIVERY = env.str("VIDEO_DELIVERY", default="direct")
VIDEO_ACCEL_PREFIX = env.str("VIDEO_ACCEL_PREFIX", default="/protected-videos/")
VIDEO_URL_MAX_AGE = env.int("VIDEO_URL_MAX_AGE", default=60 * 60)
# x264's speed/size trade-off for the HLS renditions (video.transcode): "veryfast" keeps
# a 2-core worker near real time at 720p; "medium" makes ~10 % smaller files, 2–3× slower.
VIDEO_X264_PRESET = env.str("VIDEO_X264_PRESET", default="veryfast")

# A lesson completes by itself once this share of it has really been played.
LESSON_COMPLETE_RATIO = env.float("LESSON_COMPLETE_RATIO", default=0.9)

# --- Catalog --------------------------------------------------------------------------
CURRENCY = env.str("CURRENCY", default="USD")
CATALOG_PAGE_SIZE = 12

# --- Payments ---------------------------------------------------------------------------------
# "test": the built-in test provider (no keys, no network; refused with DEBUG=0);
# "stripe": Stripe (README, Payments).
PAYMENTS_PROVIDER = env.str("PAYMENTS_PROVIDER", default="test" if DEBUG else "stripe")
# Stripe (README, Payments → Stripe): the account's API keys, the signing secret of the
# webhook endpoint registered for /payments/stripe/webhook/, and where the API and
# Stripe.js are. STRIPE_API_BASE empty means Stripe's real API; the suite points it (and
# STRIPE_JS_URL) at localstripe, and DEBUG=0 refuses it set (lms.E007).
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="").rstrip("/")
STRIPE_JS_URL = env.str("STRIPE_JS_URL", default="https://js.stripe.com/v3/")
# Anonymous catalog pages are cached whole for this long (0 turns it off); any catalog
# change invalidates them at once (lms.lib.page_cache), so this bounds how stale what
# changes without one may be: enrolment counts, helpful votes, instructors' names.
# --- Token API for apps (allauth headless, JWT) ------------------------------------
# Apps sign in through /api/v1/auth/app/v1/... and get a short-lived access token and a
# refresh token that rotates on every use; tokens are tied to a server-side session
# (stateful validation), so logout, a password change or deleting the account ends them.
HEADLESS_CLIENTS = ("app",)
HEADLESS_TOKEN_STRATEGY = "allauth.headless.tokens.strategies.jwt.JWTTokenStrategy"
HEADLESS_JWT_ALGORITHM = "RS256"
HEADLESS_JWT_PRIVATE_KEY = load_private_key(
    pem=env.str("JWT_PRIVATE_KEY", default=""),
    file=env.str("JWT_PRIVATE_KEY_FILE", default=""),
    debug=DEBUG,
    dev_path=BASE_DIR / ".jwt-dev-key.pem",
)
HEADLESS_JWT_ACCESS_TOKEN_EXPIRES_IN = env.int("JWT_ACCESS_TOKEN_SECONDS", default=300)
HEADLESS_JWT_REFRESH_TOKEN_EXPIRES_IN = env.int("JWT_REFRESH_TOKEN_SECONDS", default=14 * 24 * 3600)
HEADLESS_JWT_ROTATE_REFRESH_TOKEN = True
HEADLESS_JWT_STATEFUL_VALIDATION_ENABLED = True
HEADLESS_SERVE_SPECIFICATION = False  # ours is /api/v1/openapi.json; auth is in the README
# Browser apps on other origins (none by default): e.g. https://app.example.com
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"
# The token, JSON bodies, and the headers allauth's code steps take (the session of a
# pending signup, login or reset; a code checked by GET).
CORS_ALLOW_HEADERS = (
    "accept",
    "authorization",
    "content-type",
    "x-session-token",
    "x-email-verification-key",
    "x-password-reset-key",
)
CORS_EXPOSE_HEADERS = ("retry-after",)  # 429s and 503s say when to try again
API_PAGE_SIZE_MAX = 100
# The API's file upload is a PUT (the avatar): lms.lib.api.put_files_middleware parses it,
# so ninja needs no middleware of its own for any method.
NINJA_FIX_REQUEST_FILES_METHODS = set()

PUBLIC_PAGE_CACHE_SECONDS = env.int("PUBLIC_PAGE_CACHE_SECONDS", default=60)
REVIEWS_PAGE_SIZE = 10
FILE_UPLOAD_PERMISSIONS = 0o640

# --- Security -------------------------------------------------------------------
# Sessions live in the database and are read through the cache (Redis in production).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content Security Policy (django-csp): scripts only from our own origin (htmx is
# vendored; no inline scripts, no eval). Inline *styles* stay allowed for the admin's
# and the dashboard's style attributes. Extra hosts for media (an S3 bucket or CDN that
# video redirects and uploads are served from) come from CSP_MEDIA_HOSTS.
_media_hosts = env.list("CSP_MEDIA_HOSTS", default=[])
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", *_media_hosts],
        # blob: is the MediaSource hls.js plays through (a URL only our scripts can make);
        # its worker is a static file of ours: script-src covers it.
        "media-src": ["'self'", "blob:", *_media_hosts],
        # hls.js fetches playlists, keys and segments with XHR: with VIDEO_DELIVERY=s3
        # the segments come from the bucket's origin. With S3 storage the course page's
        # upload script posts lesson videos to the private bucket (catalog.uploads).
        "connect-src": ["'self'", *_media_hosts],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz/$", r"^readyz/$"]  # probes come over plain HTTP
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # The directive alone enrols nothing: submitting the domain to the preload list does.
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"
    if env.bool("BEHIND_TLS_PROXY", default=True):
        # The TLS-terminating proxy (nginx) sets this header; see README "Production".
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Internationalisation -------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Logging ----------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "lms.lib.log_format.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": env.str("LOG_FORMAT", default="plain"),
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
    },
}
