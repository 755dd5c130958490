"""Transcoding on a real RQ worker: the ladder decodes, segments need the key, failures
show and can be retried, replaced and deleted videos leave no files behind."""

import io

import av
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages

from catalog.tests.factories import LessonFactory
from video import services
from video.models import Transcode, lesson_prefix
from video.tests.media import decode
from video.transcode import SEGMENT_SECONDS, decrypt_segment, plan_ladder

pytestmark = pytest.mark.django_db(transaction=True)


def stored_files(prefix="hls/") -> list[str]:
    return sorted(services.list_tree(prefix))


def test_the_ladder_never_upscales():
    assert [(r.name, w, h) for r, w, h in plan_ladder(1920, 1080)] == [
        ("360p", 640, 360),
        ("540p", 960, 540),
        ("720p", 1280, 720),
        ("1080p", 1920, 1080),
    ]
    assert [r.name for r, _, _ in plan_ladder(1280, 720)] == ["360p", "540p", "720p"]
    assert [(r.name, w, h) for r, w, h in plan_ladder(480, 270)] == [("270p", 480, 270)]
    # Portrait: rungs by height, width follows the shape.
    assert plan_ladder(720, 1280)[0][1:] == (202, 360)


def test_an_uploaded_video_is_transcoded_by_a_worker_into_an_encrypted_ladder(clip, rq_worker):
    lesson = LessonFactory(video=clip(), duration=5)
    row = Transcode.objects.get(lesson=lesson)
    assert row.status == Transcode.Status.QUEUED and row.task_id

    rq_worker()

    row.refresh_from_db()
    assert row.status == Transcode.Status.READY, row.error
    assert row.progress == 100 and row.attempts == 1 and len(row.key) == 16
    assert row.duration == pytest.approx(5, abs=0.1)
    assert [r["name"] for r in row.renditions] == ["360p", "540p"]
    storage = storages["private"]
    assert row.poster == row.prefix + "poster.jpg" and storage.exists(row.poster)
    source_frames = 5 * 25
    for rendition in row.renditions:
        playlist = storage.open(row.prefix + rendition["playlist"]).read().decode()
        assert '#EXT-X-KEY:METHOD=AES-128,URI="key"' in playlist
        segments = [line for line in playlist.splitlines() if line.endswith(".ts")]
        assert len(segments) == rendition["segments"] == 2  # 4 s + 1 s
        encrypted = [storage.open(row.prefix + name).read() for name in segments]
        key = bytes(row.key)
        plain = b"".join(decrypt_segment(data, key, i) for i, data in enumerate(encrypted))
        frames, audio_seconds = decode(plain)
        assert frames == source_frames
        assert audio_seconds == pytest.approx(5, abs=0.1)
        # Without the key the segments are noise: nothing decodes.
        with pytest.raises((av.FFmpegError, EOFError)):
            decode(b"".join(encrypted))
        # Each segment begins with a keyframe (the player can switch rung there).
        with av.open(io.BytesIO(decrypt_segment(encrypted[1], bytes(row.key), 1))) as second:
            first = next(second.decode(video=0))
            assert first.key_frame
            assert float(first.time) == pytest.approx(SEGMENT_SECONDS, abs=0.2)
    master = storage.open(row.prefix + "master.m3u8").read().decode()
    assert "RESOLUTION=640x360" in master and "RESOLUTION=960x540" in master
    assert 'CODECS="avc1.4d401e,mp4a.40.2"' in master


def test_a_corrupt_upload_fails_with_its_reason_and_can_be_retried(clip, clip_bytes, rq_worker):
    lesson = LessonFactory(video=ContentFile(b"\x00\x00\x00\x18ftypmp42" + b"junk" * 500, "x.mp4"))
    rq_worker()
    row = Transcode.objects.get(lesson=lesson)
    assert row.status == Transcode.Status.FAILED
    assert "could not be read as a video" in row.error or "decoded" in row.error
    assert stored_files() == []  # the failed run left nothing

    # The file is mended where it lies (e.g. restored from a backup); retry makes it.
    storage = storages["private"]
    storage.delete(lesson.video.name)
    storage.save(lesson.video.name, ContentFile(clip_bytes))
    old_run = row.run
    services.retry(row)
    row.refresh_from_db()
    assert row.status == Transcode.Status.QUEUED and row.run != old_run and row.error == ""
    rq_worker()
    row.refresh_from_db()
    assert row.status == Transcode.Status.READY


def test_replacing_and_deleting_the_video_leave_no_renditions_keys_or_posters(clip, rq_worker):
    lesson = LessonFactory(video=clip())
    rq_worker()
    first = Transcode.objects.get(lesson=lesson)
    first_files = stored_files()
    assert first.is_ready and len(first_files) == 8  # master, 2 playlists, 4 segments, poster

    lesson.video = clip("replacement.mp4")
    lesson.save()
    second = Transcode.objects.get(lesson=lesson)
    assert second.status == Transcode.Status.QUEUED and second.run != first.run
    assert second.key == b"" and second.renditions == []  # nothing old is served meanwhile
    assert stored_files() == []  # the old run's files went with the old video
    rq_worker()
    second.refresh_from_db()
    assert second.is_ready and bytes(second.key) != bytes(first.key)
    assert all(name.startswith(second.prefix) for name in stored_files())

    lesson.video = None
    lesson.save()
    assert not Transcode.objects.filter(lesson=lesson).exists()
    assert stored_files() == []

    other = LessonFactory(video=clip())
    rq_worker()
    assert stored_files(lesson_prefix(other.pk))
    other.section.course.delete()  # by cascade: course → section → lesson
    assert stored_files() == []
    assert not storages["private"].exists(lesson_prefix(other.pk))


def test_a_run_superseded_while_it_works_throws_its_files_away(clip, rq_worker):
    lesson = LessonFactory(video=clip())
    row = Transcode.objects.get(lesson=lesson)
    stale_run = row.run
    # The video is replaced while the first job waits in the queue: two jobs queued.
    lesson.video = clip("second.mp4")
    lesson.save()
    assert services.run_transcode(row.pk, stale_run, attempt=1, can_wait=True) == "superseded"
    rq_worker()
    row.refresh_from_db()
    assert row.is_ready and row.source == lesson.video.name
    assert all(name.startswith(row.prefix) for name in stored_files())


class BrokenStorage:
    """The private storage, except that writing fails as a full or unreachable disk does."""

    def __init__(self, real):
        self.real = real

    def save(self, name, content):
        raise OSError("No space left on device")

    def __getattr__(self, name):
        return getattr(self.real, name)


def test_a_failure_that_may_pass_is_retried_later_as_a_new_run(clip, rq_worker, monkeypatch):
    lesson = LessonFactory(video=clip())
    real = storages["private"]
    monkeypatch.setattr(services, "storage", lambda: BrokenStorage(real))
    rq_worker()
    row = Transcode.objects.get(lesson=lesson)
    assert row.status == Transcode.Status.QUEUED and row.attempts == 1
    assert "No space left on device" in row.error and "Trying again in 60 s" in row.error
    assert stored_files() == []

    monkeypatch.setattr(services, "storage", lambda: real)  # the disk has room again
    rq_worker(scheduled=True)
    row.refresh_from_db()
    assert row.status == Transcode.Status.READY and row.attempts == 2


def test_the_last_attempt_fails_for_good_and_says_why(clip, rq_worker, monkeypatch):
    lesson = LessonFactory(video=clip())
    real = storages["private"]
    monkeypatch.setattr(services, "storage", lambda: BrokenStorage(real))
    for _ in range(3):
        rq_worker(scheduled=True)
    row = Transcode.objects.get(lesson=lesson)
    assert row.status == Transcode.Status.FAILED and row.attempts == 3
    assert "no attempts left" in row.error


def test_the_integrity_check_finds_and_mends_leftovers(clip, rq_worker):
    from django.core.management import CommandError, call_command

    lesson = LessonFactory(video=clip())
    rq_worker()
    row = Transcode.objects.get(lesson=lesson)
    storage = storages["private"]
    leftover = f"hls/{lesson.pk}/deadbeefdeadbeef/540p_00000.ts"  # a killed worker's upload
    storage.save(leftover, ContentFile(b"x"))
    storage.delete(row.prefix + "master.m3u8")
    with pytest.raises(CommandError, match="2 item"):
        call_command("check_integrity", "--only", "renditions", "--orphan-grace", "0")
    call_command("check_integrity", "--only", "renditions", "--orphan-grace", "0", "--fix")
    assert not storage.exists(leftover)
    row.refresh_from_db()
    assert row.status == Transcode.Status.QUEUED  # prepared again
    rq_worker()
    call_command("check_integrity", "--only", "renditions", "--orphan-grace", "0")
