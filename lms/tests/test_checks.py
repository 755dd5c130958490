"""Settings that only work in one process, or not at all, are refused at start: each is
a system check error, so ``manage.py check``, ``migrate`` and the web unit's start refuse."""

import pytest
from django.core.checks import ERROR, WARNING, run_checks

LOCAL_MEMORY = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
NO_CACHE = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
REDIS = {
    "default": {
        "BACKEND": "lms.lib.cache_backends.DegradingRedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # never contacted by the checks
    }
}
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DUMMY_TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
RQ = "django_tasks_rq.RQBackend"
RQ_TASKS = {"default": {"BACKEND": RQ}, "video": {"BACKEND": RQ, "QUEUES": ["video"]}}
LOCAL_PRIVATE = {"BACKEND": "lms.lib.files.PrivateFileSystemStorage"}
S3_PRIVATE = {
    "BACKEND": "storages.backends.s3.S3Storage",
    "OPTIONS": {"bucket_name": "lectern-private", "querystring_auth": True},
}


def lectern_errors() -> set[str]:
    """The ids of the errors the project's own checks report (a normal check run, not
    only ``--deploy``)."""
    return {m.id for m in run_checks(tags=["lectern"]) if m.level >= ERROR}


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.CACHES = REDIS
    settings.TASKS = DATABASE_TASKS
    settings.VIDEO_DELIVERY = "nginx"
    settings.STORAGES = {**settings.STORAGES, "private": LOCAL_PRIVATE}
    settings.PAYMENTS_PROVIDER = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_live_checks"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_live_checks"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_checks"
    settings.STRIPE_API_BASE = ""
    settings.STRIPE_JS_URL = "https://js.stripe.com/v3/"
    return settings


def test_the_test_payment_provider_is_refused_in_production(production):
    assert lectern_errors() == set()
    production.PAYMENTS_PROVIDER = "test"
    assert lectern_errors() == {"lms.E005"}


@pytest.mark.parametrize(
    "key", ["STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET"]
)
def test_production_with_stripe_needs_its_keys(production, key):
    setattr(production, key, "")
    assert lectern_errors() == {"lms.E006"}
    (message,) = run_checks(tags=["lectern"])
    assert key in message.msg
    production.DEBUG = True  # a local site may run without them (checkout then fails)
    assert lectern_errors() == set()


@pytest.mark.parametrize(
    "name, value",
    [
        ("STRIPE_API_BASE", "http://127.0.0.1:8420"),
        ("STRIPE_JS_URL", "http://127.0.0.1:8420/js.stripe.com/v3/"),
        ("STRIPE_JS_URL", "https://js.stripe.com.evil.example/v3/"),
    ],
)
def test_production_talks_to_stripe_only(production, name, value):
    """A fake Stripe (localstripe, in tests) would take orders nobody pays, and a
    Stripe.js from elsewhere would see card numbers."""
    setattr(production, name, value)
    assert lectern_errors() == {"lms.E007"}
    production.DEBUG = True
    assert lectern_errors() == set()


def test_a_production_configuration_passes(production):
    assert lectern_errors() == set()


@pytest.mark.parametrize("caches", [LOCAL_MEMORY, NO_CACHE], ids=["locmem", "dummy"])
def test_production_refuses_a_cache_of_one_process(production, caches):
    production.CACHES = caches
    assert lectern_errors() == {"lms.E001"}
    (message,) = run_checks(tags=["lectern"])
    assert "REDIS_URL" in message.hint


@pytest.mark.parametrize("tasks", [IMMEDIATE, DUMMY_TASKS], ids=["immediate", "dummy"])
def test_production_refuses_in_process_tasks(production, tasks):
    production.TASKS = tasks
    assert lectern_errors() == {"lms.E002"}
    (message,) = run_checks(tags=["lectern"])
    assert "TASKS_BACKEND=django_tasks_rq.RQBackend" in message.hint
    assert "rqworker default video --with-scheduler" in message.hint


def test_production_refuses_in_process_transcoding_too(production):
    production.TASKS = {**RQ_TASKS, "video": IMMEDIATE["default"]}
    production.RQ_URL = "redis://queue:6379/0"  # apart from the cache (no lms.W002)
    assert lectern_errors() == {"lms.E002"}
    (message,) = run_checks(tags=["lectern"])
    assert "TASKS['video']" in message.msg
    assert "VIDEO_TASKS_BACKEND=django_tasks_rq.RQBackend" in message.hint


def test_the_rq_production_setting_passes(production):
    production.TASKS = RQ_TASKS
    production.REDIS_URL = "redis://cache:6379/0"
    production.RQ_URL = "redis://queue:6379/0"
    assert run_checks(tags=["lectern"]) == []


def test_a_task_queue_in_the_cache_database_is_warned_about(production):
    """cache.clear() empties the cache's Redis database, and a cache evicts keys when
    full: queued tasks there can vanish."""
    production.TASKS = RQ_TASKS
    production.REDIS_URL = production.RQ_URL = "redis://cache:6379/0"
    (message,) = run_checks(tags=["lectern"])
    assert (message.id, message.level) == ("lms.W002", WARNING)
    assert "noeviction" in message.hint
    production.RQ_URL = "redis://cache:6379/1"
    assert run_checks(tags=["lectern"]) == []
    production.RQ_URL = production.REDIS_URL
    production.TASKS = DATABASE_TASKS  # no RQ: nothing to lose there
    assert run_checks(tags=["lectern"]) == []


def test_debug_allows_the_single_process_defaults(production):
    production.DEBUG = True
    production.CACHES = LOCAL_MEMORY
    production.TASKS = IMMEDIATE
    assert lectern_errors() == set()


@pytest.mark.parametrize("debug", [True, False])
def test_s3_video_delivery_needs_videos_on_s3(production, debug):
    production.DEBUG = debug
    production.VIDEO_DELIVERY = "s3"
    assert lectern_errors() == {"lms.E003"}
    (message,) = run_checks(tags=["lectern"])
    assert "AWS_PRIVATE_STORAGE_BUCKET_NAME" in message.hint
    production.STORAGES = {**production.STORAGES, "private": S3_PRIVATE}
    assert lectern_errors() == set()


def test_an_unknown_video_delivery_is_refused(production):
    production.VIDEO_DELIVERY = "ngnix"
    assert lectern_errors() == {"lms.E004"}


def test_every_problem_is_reported_at_once(production):
    production.CACHES = LOCAL_MEMORY
    production.TASKS = IMMEDIATE
    production.VIDEO_DELIVERY = "s3"
    assert lectern_errors() == {"lms.E001", "lms.E002", "lms.E003"}


@pytest.mark.parametrize("debug", [True, False])
def test_long_lived_api_access_tokens_are_warned_about(production, debug):
    production.DEBUG = debug
    production.HEADLESS_JWT_ACCESS_TOKEN_EXPIRES_IN = 3600
    assert run_checks(tags=["lectern"]) == []
    production.HEADLESS_JWT_ACCESS_TOKEN_EXPIRES_IN = 3601
    (message,) = run_checks(tags=["lectern"])
    assert (message.id, message.level) == ("lms.W001", WARNING)
    assert "JWT_ACCESS_TOKEN_SECONDS=3601" in message.msg
    assert lectern_errors() == set()  # a warning: the site still starts
