"""Project-wide pytest fixtures: named actors, a clean cache, fast hashing, the browser."""

import os

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

# Playwright's sync API runs an event loop in the test thread; Django then refuses ORM
# calls from that thread unless told the loop is not serving requests (it is not).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# Property-based tests: a bounded run in the suite (and CI); `pytest
# --hypothesis-profile=long` explores far more sequences.
hypothesis_settings.register_profile(
    "default",
    max_examples=10,
    stateful_step_count=25,
    deadline=None,  # steps go through real views and the database: no per-step timing
    suppress_health_check=[HealthCheck.too_slow],
)
hypothesis_settings.register_profile(
    "long", parent=hypothesis_settings.get_profile("default"), max_examples=300
)
hypothesis_settings.load_profile("default")

CHROMIUM = "/usr/bin/chromium"
IN_CI = os.environ.get("CI", "").lower() == "true"


# --- One set of Redis databases per pytest-xdist worker ----------------------------------
def pytest_configure(config):
    """Under pytest-xdist (`pytest -n 2`) each worker process (gw0, gw1, ...) gets Redis
    databases of its own, moved before anything connects: tests empty them (cache.clear()
    is FLUSHDB, the video fixtures empty the queues), and one worker must not wipe what
    another is in the middle of. The test database needs nothing here: pytest-django
    names it per worker (test_lectern_gw0, ...), and SQLite's is in memory, per process."""
    worker = getattr(config, "workerinput", None)
    if worker is None:
        return
    from django.conf import settings

    from lms.tests.workers import worker_redis_urls

    moved = worker_redis_urls(
        {"cache": settings.REDIS_URL, "queues": settings.RQ_URL}, worker=worker["workerid"]
    )
    if settings.REDIS_URL:
        settings.REDIS_URL = settings.CACHES["default"]["LOCATION"] = moved["cache"]
    settings.RQ_URL = moved["queues"]
    for queue in settings.RQ_QUEUES.values():
        queue["URL"] = moved["queues"]


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):
    """Fast password hashing, media in a temp folder, and a cache with no leftovers.

    allauth counts rate limits in the cache; one test's attempts must not throttle
    the next.
    """
    from django.core.cache import cache

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    # Transcoding is recorded, not run: a test that wants it runs a worker (video.tests).
    settings.TASKS = {
        **settings.TASKS,
        "video": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["video"]},
    }
    cache.clear()
    yield
    cache.clear()


# --- Named actors -------------------------------------------------------------------
@pytest.fixture
def student(db):
    from accounts.tests.factories import UserFactory

    return UserFactory(first_name="Sam", last_name="Student")


@pytest.fixture
def other_student(db):
    from accounts.tests.factories import UserFactory

    return UserFactory(first_name="Olga", last_name="Other")


@pytest.fixture
def instructor(db):
    from accounts.tests.factories import InstructorFactory

    return InstructorFactory(first_name="Ines", last_name="Instructor")


@pytest.fixture
def other_instructor(db):
    from accounts.tests.factories import InstructorFactory

    return InstructorFactory(first_name="Omar", last_name="Otherteacher")


@pytest.fixture
def staff(db):
    from accounts.tests.factories import StaffFactory

    return StaffFactory(first_name="Stella", last_name="Staff")


@pytest.fixture
def anonymous():
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()


# --- Browser tests (Playwright driving Debian's Chromium) -----------------------------
def pytest_collection_modifyitems(config, items):
    browser_items = [item for item in items if item.get_closest_marker("browser")]
    if not browser_items or os.path.exists(CHROMIUM):
        return
    if IN_CI:
        raise pytest.UsageError(
            f"CI=true but {CHROMIUM} is missing: browser tests must run in CI "
            "(.ci/run installs Debian's chromium package)."
        )
    skip = pytest.mark.skip(
        reason=f"{CHROMIUM} not found: install Debian's chromium to run browser tests "
        "(apt-get install chromium); under CI=true they are required."
    )
    for item in browser_items:
        item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
            "--autoplay-policy=no-user-gesture-required",
            "--mute-audio",
        ],
    }


@pytest.fixture
def page(page):
    """Playwright's page with short timeouts (a failing step should fail fast), failing
    the test if the page broke the Content Security Policy."""
    page.set_default_timeout(10_000)
    page.set_default_navigation_timeout(15_000)
    from playwright.sync_api import expect

    expect.set_options(timeout=5_000)
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield page
    # Leave the page while the database still exists: the player's pagehide beacon (a
    # progress report) must not reach the live server during the test's teardown.
    page.goto("about:blank")
    page.wait_for_timeout(500)
    assert violations == [], f"CSP violations: {violations}"


# --- A real S3-compatible server: moto's server mode ------------------------------------
@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory):
    """moto_server (PyPI: moto[server]) on a free port of 127.0.0.1 for the session: an
    S3 API that boto3 and django-storages talk to over HTTP, as to AWS. Skipped where
    moto is not installed, except under CI=true, where that fails."""
    import shutil
    import socket
    import subprocess
    import sys
    import time
    from pathlib import Path

    program = Path(sys.executable).parent / "moto_server"
    if not program.exists():
        program = shutil.which("moto_server")
    if not program:
        message = "moto_server is missing (pip install -r requirements-dev.txt)"
        if IN_CI:
            pytest.fail(f"CI=true but {message}")
        pytest.skip(message)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(  # noqa: S603 (moto_server from our venv, on loopback)
            [str(program), "-H", "127.0.0.1", "-p", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "moto_server did not start listening"
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def s3_bucket(s3_endpoint, settings, monkeypatch):
    """A new private bucket on the S3 server as the "private" storage (lesson videos,
    renditions, captions), configured as production's AWS_PRIVATE_STORAGE_BUCKET_NAME
    does. Returns a boto3 client and the bucket name, to look at what is stored."""
    import uuid

    import boto3
    from django.core.files.storage import storages

    from catalog.models import Lesson

    bucket = f"lectern-private-{uuid.uuid4().hex[:12]}"
    credentials = {
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
        "region_name": "us-east-1",
    }
    client = boto3.client("s3", endpoint_url=s3_endpoint, **credentials)
    client.create_bucket(Bucket=bucket)
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                # as lms/settings.py's private bucket
                "bucket_name": bucket,
                "default_acl": "private",
                "querystring_auth": True,
                "querystring_expire": 300,
                "custom_domain": None,
                "file_overwrite": False,
                # where and as whom
                "endpoint_url": s3_endpoint,
                "access_key": "testing",
                "secret_key": "testing",
                "region_name": "us-east-1",
                "addressing_style": "path",
                "signature_version": "s3v4",
            },
        },
    }
    # The lesson's FileField took its storage when the model was loaded.
    monkeypatch.setattr(Lesson._meta.get_field("video"), "storage", storages["private"])
    yield client, bucket
