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
    return settings


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
    assert "TASKS_BACKEND=django_tasks_db.DatabaseBackend" in message.hint


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
