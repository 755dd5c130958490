"""System checks for settings that start fine and then fail at request time.

``DEBUG=0`` is production: several gunicorn workers on several hosts. A local-memory
cache there keeps one copy of the rate limits, the page cache and the cached sessions per
process; in-process tasks send emails (and transcode) inside the request. Both are the defaults that
make ``make run`` need no services, so they are refused here rather than in settings.py.
``VIDEO_DELIVERY=s3`` with videos on local disk fails on every video, in any mode.
A long-lived API access token is only a warning: it works, but is a risk.

They are normal checks (not only ``--deploy``): ``manage.py check``, ``migrate`` and
every other command refuse to run, and the web unit runs ``check`` before gunicorn.
"""

from django.conf import settings
from django.core.checks import Error, Warning, register
from django.utils.module_loading import import_string

ONE_PROCESS_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)
IN_PROCESS_TASKS = (
    "django_tasks.backends.immediate.ImmediateBackend",
    "django_tasks.backends.dummy.DummyBackend",
)
LOCAL_STORAGES = ("django.core.files.storage.FileSystemStorage",)
VIDEO_DELIVERIES = ("direct", "nginx", "s3")


def _is_one_of(backend_path: str, classes: tuple[str, ...]) -> bool:
    """Whether the backend is one of ``classes`` or a subclass of one."""
    try:
        backend = import_string(backend_path)
    except ImportError:
        return False  # Django's own checks and the first request report a bad path
    return any(issubclass(backend, import_string(path)) for path in classes)


@register("lectern")
def production_needs_shared_backends(app_configs, **kwargs) -> list[Error]:
    if settings.DEBUG:
        return []
    errors = []
    for alias, config in settings.CACHES.items():
        if _is_one_of(config["BACKEND"], ONE_PROCESS_CACHES):
            errors.append(
                Error(
                    f"DEBUG=0 with CACHES[{alias!r}] = {config['BACKEND']}: each process "
                    "would keep its own rate limits (sign-in limits that do not count), "
                    "page cache and sessions.",
                    hint="Set REDIS_URL (e.g. redis://127.0.0.1:6379/0), or DEBUG=1 for a "
                    "local site.",
                    id="lms.E001",
                )
            )
    for alias, config in settings.TASKS.items():
        if _is_one_of(config["BACKEND"], IN_PROCESS_TASKS):
            variable = "TASKS_BACKEND" if alias == "default" else f"{alias.upper()}_TASKS_BACKEND"
            errors.append(
                Error(
                    f"DEBUG=0 with TASKS[{alias!r}] = {config['BACKEND']}: its tasks "
                    "(emails, PDFs, transcoding) would run inside the request (or never), "
                    "not on a worker.",
                    hint=f"Set {variable}=django_tasks_rq.RQBackend and run "
                    "`manage.py rqworker default video --with-scheduler` "
                    "(deploy/lectern-worker.service and lectern-video-worker.service; README, "
                    "Background tasks).",
                    id="lms.E002",
                )
            )
    return errors


RQ_BACKEND = ("django_tasks_rq.RQBackend",)


@register("lectern")
def task_queue_apart_from_cache(app_configs, **kwargs) -> list[Warning]:
    """RQ keeps its queues in Redis; the cache may be flushed (``cache.clear()`` empties
    its whole Redis database) or evict keys under memory pressure (a cache's usual
    ``allkeys-lru``), and either would drop queued emails and transcodes unseen."""
    if settings.DEBUG or not settings.REDIS_URL or settings.RQ_URL != settings.REDIS_URL:
        return []
    if not any(_is_one_of(c["BACKEND"], RQ_BACKEND) for c in settings.TASKS.values()):
        return []
    return [
        Warning(
            f"RQ_URL is the cache's Redis database ({settings.REDIS_URL}): clearing the "
            "cache, or Redis evicting keys when full, would drop queued tasks.",
            hint="Give the queue its own Redis database (e.g. RQ_URL=redis://host:6379/1), "
            "better a Redis with maxmemory-policy noeviction (README, Background tasks).",
            id="lms.W002",
        )
    ]


@register("lectern")
def video_delivery_matches_storage(app_configs, **kwargs) -> list[Error]:
    delivery = settings.VIDEO_DELIVERY
    if delivery not in VIDEO_DELIVERIES:
        return [
            Error(
                f"VIDEO_DELIVERY={delivery!r} is not one of {', '.join(VIDEO_DELIVERIES)}.",
                hint="Set VIDEO_DELIVERY to direct (the default), nginx or s3.",
                id="lms.E004",
            )
        ]
    private = settings.STORAGES["private"]["BACKEND"]
    if delivery == "s3" and _is_one_of(private, LOCAL_STORAGES):
        return [
            Error(
                "VIDEO_DELIVERY=s3 redirects viewers to signed S3 URLs, but lesson videos "
                f"are stored on local disk ({private}): every video would fail.",
                hint="Set AWS_PRIVATE_STORAGE_BUCKET_NAME (videos on S3), or "
                "VIDEO_DELIVERY=direct or nginx.",
                id="lms.E003",
            )
        ]
    return []


@register("lectern")
def test_payments_never_in_production(app_configs, **kwargs) -> list[Error]:
    if settings.DEBUG or getattr(settings, "PAYMENTS_PROVIDER", "") != "test":
        return []
    return [
        Error(
            "PAYMENTS_PROVIDER=test with DEBUG=0: the test provider gives courses away.",
            hint="Set PAYMENTS_PROVIDER=stripe and the STRIPE_* variables (README, Payments).",
            id="lms.E005",
        )
    ]


STRIPE_KEYS = ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET")
STRIPE_JS_ORIGIN = "https://js.stripe.com/"


@register("lectern")
def stripe_is_configured_in_production(app_configs, **kwargs) -> list[Error]:
    """Production with Stripe needs its three keys: without them no checkout starts, or
    no paid order is ever fulfilled. And production talks to Stripe only: an API base or
    a Stripe.js elsewhere (localstripe, in tests) would take orders nobody pays, or hand
    card numbers to a stranger's script."""
    if settings.DEBUG:
        return []
    errors = []
    missing = [name for name in STRIPE_KEYS if not getattr(settings, name, "")]
    if getattr(settings, "PAYMENTS_PROVIDER", "") == "stripe" and missing:
        errors.append(
            Error(
                f"PAYMENTS_PROVIDER=stripe with DEBUG=0 needs {', '.join(missing)}: without "
                "them no checkout starts, or no paid order is ever fulfilled.",
                hint="Set the keys from Stripe's Dashboard (Developers → API keys) and the "
                "signing secret of the webhook endpoint (README, Payments → Stripe).",
                id="lms.E006",
            )
        )
    api_base = getattr(settings, "STRIPE_API_BASE", "")
    js_url = getattr(settings, "STRIPE_JS_URL", STRIPE_JS_ORIGIN)
    if api_base or not js_url.startswith(STRIPE_JS_ORIGIN):
        errors.append(
            Error(
                f"DEBUG=0 with STRIPE_API_BASE={api_base!r} and STRIPE_JS_URL={js_url!r}: "
                "payments must go to Stripe's own API and Stripe.js (a fake Stripe such "
                "as localstripe is for tests only).",
                hint="Leave STRIPE_API_BASE empty and STRIPE_JS_URL unset in production.",
                id="lms.E007",
            )
        )
    return errors


# An access token is checked against its session on every request (stateful validation),
# so logout and password changes end it at once; a stolen one is still usable until it
# expires wherever it is replayed, so it should live minutes, not hours.
ACCESS_TOKEN_SECONDS_MAX = 3600


@register("lectern")
def api_access_tokens_are_short_lived(app_configs, **kwargs) -> list[Warning]:
    seconds = settings.HEADLESS_JWT_ACCESS_TOKEN_EXPIRES_IN
    if seconds <= ACCESS_TOKEN_SECONDS_MAX:
        return []
    return [
        Warning(
            f"JWT_ACCESS_TOKEN_SECONDS={seconds}: API access tokens would live more than "
            f"{ACCESS_TOKEN_SECONDS_MAX // 60} minutes; a leaked one stays usable that long.",
            hint="Keep access tokens short (the default is 300 s); apps renew them with "
            "their refresh token (JWT_REFRESH_TOKEN_SECONDS, 14 days by default).",
            id="lms.W001",
        )
    ]
