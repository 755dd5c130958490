"""Fixtures for the video app: synthetic clips and a real RQ worker on the local Redis.
(The S3-compatible server, `s3_endpoint` and `s3_bucket`, is in the root conftest.py:
catalog's direct uploads use it too.)"""

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
