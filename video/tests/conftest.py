"""Fixtures for the video app: synthetic clips and a real RQ worker on the local Redis."""

import os

import pytest
from django.core.files.base import ContentFile

from video.clips import make_clip

IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def clip_bytes(tmp_path_factory) -> bytes:
    """A 5-second 960×540 H.264 + AAC clip: two rungs (360p, 540p), one keyframe each
    segment."""
    return make_clip(tmp_path_factory.mktemp("clips") / "clip.mp4", seconds=5).read_bytes()


@pytest.fixture
def clip(clip_bytes):
    return lambda name="lesson.mp4": ContentFile(clip_bytes, name=name)


@pytest.fixture
def rq_worker(settings):
    """Transcoding on django-tasks-rq and Redis, as in production. Returns ``work()``:
    runs an RQ worker (in this process, so it shares the test database) until the
    "video" queue is empty, scheduled jobs included when ``scheduled=True``."""
    import django_rq
    from redis.exceptions import ConnectionError as RedisDown
    from rq import SimpleWorker

    settings.TASKS = {
        **settings.TASKS,
        "video": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["video"]},
    }
    queue = django_rq.get_queue("video")
    try:
        queue.connection.ping()
    except RedisDown:
        if IN_CI:
            raise
        pytest.skip("Redis is not running on 127.0.0.1:6379 (required under CI=true)")
    queue.empty()

    def work(*, scheduled: bool = False) -> None:
        if scheduled:  # move jobs whose time has come (or not: tests do not wait) to the queue
            registry = queue.scheduled_job_registry
            for job_id in registry.get_job_ids():
                queue.enqueue_job(queue.fetch_job(job_id))
                registry.remove(job_id)
        worker = django_rq.get_worker("video", worker_class=SimpleWorker)
        worker.work(burst=True)

    yield work
    queue.empty()


@pytest.fixture(scope="session")
def transcoded(clip_bytes, tmp_path_factory):
    """The clip transcoded once per session: (output folder, Result)."""
    from video.transcode import transcode

    folder = tmp_path_factory.mktemp("transcoded")
    source = folder / "source.mp4"
    source.write_bytes(clip_bytes)
    out = folder / "out"
    out.mkdir()
    return out, transcode(source, out)


@pytest.fixture
def make_ready(transcoded, monkeypatch):
    """``make_ready(lesson)``: the lesson's queued rendition set made by the real job
    (video.services.run_transcode: storage uploads, the row made ready), with the
    session's transcoded clip standing in for transcoding (same files, same key) —
    delivery tests need a ready set, not minutes of x264. Returns the ready row."""
    import shutil

    from video import services
    from video.models import Transcode

    out, result = transcoded

    def copy(source, folder, *, on_progress=lambda share: None, preset=None):
        for name in result.files:
            shutil.copyfile(out / name, folder / name)
        return result

    monkeypatch.setattr(services, "transcode", copy)

    def make(lesson):
        row = Transcode.objects.get(lesson=lesson)
        assert services.run_transcode(row.pk, row.run, attempt=1, can_wait=False) == "ready"
        row.refresh_from_db()
        return row

    return make


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
        process = subprocess.Popen(
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
