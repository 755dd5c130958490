"""Production posture and the services CI must really use."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from lms.tests.workers import database, worker_redis_urls

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "x7#q-production-like-secret-key-with-plenty-of-entropy-9f2k1!m",
    "ALLOWED_HOSTS": "lectern.example.com",
    "SITE_URL": "https://lectern.example.com",
    "REDIS_URL": "redis://cache.invalid:6379/0",  # checks never connect
    "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
    "STRIPE_SECRET_KEY": "sk_live_settings",
    "STRIPE_PUBLISHABLE_KEY": "pk_live_settings",
    "STRIPE_WEBHOOK_SECRET": "whsec_settings",
    # The development key (settings made it when the suite started): any RSA key will do.
    "JWT_PRIVATE_KEY_FILE": str(ROOT / ".jwt-dev-key.pem"),
}


def manage(*args, env_overrides, without=()):
    dropped = ("DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE", *without)  # the third: tests
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_in_production():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env_overrides=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_the_default_secret_key():
    env_without_key = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = manage("check", env_overrides=env_without_key)
    assert result.returncode != 0
    assert "DEBUG=0 needs SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_a_token_signing_key(tmp_path):
    without_key = {k: v for k, v in PRODUCTION_ENV.items() if k != "JWT_PRIVATE_KEY_FILE"}
    result = manage("check", env_overrides=without_key, without=("JWT_PRIVATE_KEY",))
    assert result.returncode != 0
    assert "DEBUG=0 needs JWT_PRIVATE_KEY or JWT_PRIVATE_KEY_FILE" in result.stderr

    not_a_key = tmp_path / "key.pem"
    not_a_key.write_text("-----BEGIN PRIVATE KEY-----\nnonsense\n-----END PRIVATE KEY-----\n")
    bad_key = {**PRODUCTION_ENV, "JWT_PRIVATE_KEY_FILE": str(not_a_key)}
    result = manage("check", env_overrides=bad_key)
    assert result.returncode != 0
    assert "JWT_PRIVATE_KEY_FILE is not an unencrypted PEM private key" in result.stderr


def test_token_lifetimes_come_from_the_environment():
    long_lived = {**PRODUCTION_ENV, "JWT_ACCESS_TOKEN_SECONDS": "7200"}
    result = manage("check", "--fail-level", "WARNING", env_overrides=long_lived)
    assert result.returncode != 0
    assert "lms.W001" in result.stderr and "JWT_ACCESS_TOKEN_SECONDS=7200" in result.stderr
    assert settings.HEADLESS_JWT_ACCESS_TOKEN_EXPIRES_IN == 300  # the defaults
    assert settings.HEADLESS_JWT_REFRESH_TOKEN_EXPIRES_IN == 14 * 24 * 3600


def test_production_refuses_to_start_on_one_process_settings():
    """The defaults that suit `make run` (local-memory cache, in-process tasks) are refused
    by every command that runs the checks: `check`, `migrate`, the web unit's check."""
    single_process = {
        k: v for k, v in PRODUCTION_ENV.items() if k not in ("REDIS_URL", "TASKS_BACKEND")
    }
    for command in (["check"], ["migrate", "--check"]):
        result = manage(
            *command, env_overrides=single_process, without=("REDIS_URL", "TASKS_BACKEND")
        )
        assert result.returncode != 0
        assert "lms.E001" in result.stderr and "REDIS_URL" in result.stderr
        assert "lms.E002" in result.stderr and "TASKS_BACKEND" in result.stderr


@pytest.mark.django_db
def test_database_is_the_configured_one():
    """Under CI the PostgreSQL run must really be on PostgreSQL, never a silent fallback."""
    url = os.environ.get("DATABASE_URL", "")
    expected = "postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite"
    assert connection.vendor == expected
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_cache_is_the_configured_one():
    backend = settings.CACHES["default"]["BACKEND"]
    if os.environ.get("REDIS_URL"):
        assert backend == "lms.lib.cache_backends.DegradingRedisCache"
    else:
        assert backend == "django.core.cache.backends.locmem.LocMemCache"
    cache.set("lectern-probe", "ok", 5)
    # Under CI the Redis run must really reach Redis (the backend degrades silently).
    assert cache.get("lectern-probe") == "ok"


@pytest.mark.django_db
def test_pages_send_a_strict_content_security_policy(client):
    policy = client.get("/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"  # no inline scripts, no eval
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"


@pytest.mark.django_db
def test_liveness_reports_the_database(client):
    response = client.get("/healthz/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_readiness_reports_database_and_cache(client):
    response = client.get("/readyz/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}


@pytest.mark.django_db
def test_health_checks_fail_cleanly_when_the_cache_is_down(client, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "set", broken)
    response = client.get("/readyz/")
    assert response.status_code == 503
    assert response.json()["cache"] == "unreachable"
    assert client.get("/healthz/").status_code == 200  # a balancer keeps the host


@pytest.mark.django_db
def test_health_checks_fail_when_the_database_is_down(client, monkeypatch):
    from django.db import OperationalError

    def unreachable(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", unreachable)
    for url in ("/healthz/", "/readyz/"):
        response = client.get(url)
        assert response.status_code == 503
        assert response.json()["database"] == "unreachable"


@pytest.mark.django_db
def test_admin_login_goes_through_allauth(client, student):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    client.force_login(student)
    assert client.get("/admin/login/").status_code == 403  # logged in, but not staff


@pytest.mark.django_db
def test_admin_login_takes_no_password_from_a_signed_in_staff_member(client, staff):
    """Django's admin login would check any account's password for a signed-in staff
    member (and switch to it), with no rate limit: only allauth's login takes passwords."""
    from accounts.tests.factories import PASSWORD, StaffFactory

    other = StaffFactory()
    client.force_login(staff)
    response = client.post("/admin/login/", {"username": other.email, "password": PASSWORD})
    assert response.status_code == 405
    assert client.get("/").wsgi_request.user == staff
    assert client.get("/admin/login/")["Location"] == "/admin/"


@pytest.mark.django_db
def test_admin_password_change_is_allauths_rate_limited_page(client, staff):
    from django.urls import reverse

    from accounts.tests.factories import PASSWORD

    client.force_login(staff)
    response = client.get("/admin/password_change/")
    assert response.status_code == 302
    assert response["Location"] == reverse("account_change_password")
    new = "a-new-and-long-passphrase-42"
    client.post(
        "/admin/password_change/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    staff.refresh_from_db()
    assert staff.check_password(PASSWORD)


def test_json_log_lines():
    import json
    import logging

    from lms.lib.log_format import JsonFormatter

    try:
        raise RuntimeError("boom")
    except RuntimeError:
        import sys

        record = logging.LogRecord(
            "lms", logging.ERROR, __file__, 1, "failed %s", ("x",), sys.exc_info()
        )
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "ERROR" and line["message"] == "failed x"
    assert "RuntimeError: boom" in line["exception"]


def test_media_hosts_may_serve_video_images_and_hls_requests():
    """With VIDEO_DELIVERY=s3 the player's hls.js fetches segments from the bucket (XHR:
    connect-src), the poster and progressive video load from it (img-src, media-src)."""
    code = (
        "from django.conf import settings; d = settings.CONTENT_SECURITY_POLICY['DIRECTIVES'];"
        "print(*(d[k][-1] for k in ('img-src', 'media-src', 'connect-src')))"
    )
    host = "https://lectern-private.s3.eu-west-1.amazonaws.com"
    result = manage("shell", "-c", code, env_overrides={"CSP_MEDIA_HOSTS": host})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == [host] * 3


def test_each_xdist_worker_uses_redis_databases_of_its_own(request):
    """Under `pytest -n 2` tests in two processes clear the cache and empty the queues at
    once: each process's cache and queues are on databases the other never touches (the
    root conftest.py moves them; a plain `pytest` keeps what the environment says)."""
    import django_rq

    worker = getattr(request.config, "workerinput", {"workerid": "gw0"})["workerid"]
    cache_url = os.environ.get("REDIS_URL", "")
    queue_url = os.environ.get("RQ_URL") or cache_url or "redis://127.0.0.1:6379/0"
    expected = worker_redis_urls({"cache": cache_url, "queues": queue_url}, worker=worker)
    for name in ("default", "video"):  # no connection is made: the pools only say where
        pool = django_rq.get_connection(name).connection_pool
        assert pool.connection_kwargs["db"] == database(expected["queues"])
    if cache_url:
        pool = cache._cache.get_client(write=True).connection_pool
        assert pool.connection_kwargs["db"] == database(expected["cache"])


@pytest.mark.parametrize(
    "urls, worker, expected",
    [
        ({"cache": "redis://h:6379/0", "queues": "redis://h:6379/0"}, "gw0", (0, 0)),
        ({"cache": "redis://h:6379/0", "queues": "redis://h:6379/0"}, "gw1", (1, 1)),
        ({"cache": "redis://h:6379/0", "queues": "redis://h:6379/1"}, "gw1", (2, 3)),
        ({"cache": "redis://h:6379/13", "queues": "redis://h:6379/13"}, "gw2", (15, 15)),
        ({"cache": "", "queues": "redis://h:6379"}, "gw1", (None, 1)),
    ],
)
def test_xdist_workers_move_every_redis_database_apart(urls, worker, expected):
    moved = worker_redis_urls(urls, worker=worker)
    assert tuple(database(url) if url else None for url in moved.values()) == expected
    assert all(url.startswith("redis://h:6379/") for url in moved.values() if url)


def test_too_many_xdist_workers_for_redis_say_so():
    urls = {"cache": "redis://h:6379/13", "queues": "redis://h:6379/14"}
    with pytest.raises(pytest.UsageError, match="would need Redis database 16"):
        worker_redis_urls(urls, worker="gw1")
