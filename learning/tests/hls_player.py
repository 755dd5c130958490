"""A lesson with a ready, real HLS set, for the player's browser tests (learning's and the
accessibility check in lms/tests): fixtures and page helpers.

Everything is real but the x264 run: a generated 20-second 960×540 clip is transcoded
once per session (video.transcode: 360p and 540p, AES-128 encrypted segments, a poster)
and the lesson's job (video.services.run_transcode) stores that output as its run; the
lesson page, the signed playlists, the key, the segments and the captions come from the
site's own views.
"""

import re
import shutil
import time

import pytest
from django.core.files.base import ContentFile
from playwright.sync_api import expect

from accounts.tests.factories import PASSWORD
from catalog.tests.factories import CourseFactory, LessonFactory, SectionFactory
from learning.models import LessonProgress
from learning.tests.factories import EnrollmentFactory

CLIP_SECONDS = 20
VTT = """WEBVTT

00:00.500 --> 00:03.000
Welcome to the test pattern.

00:05.000 --> 00:08.000
Here the colours start to move.

00:10.000 --> 00:13.000
Halfway through the clip.

00:15.000 --> 00:19.000
Nearly the end now.
"""
STREAM = re.compile(r"/video/\d+/\w+/([\w.]+)\?")  # a URL of the lesson's HLS run


@pytest.fixture(scope="session", name="ladder")
def ladder_fixture(tmp_path_factory):
    """The clip transcoded once: (folder, video.transcode.Result)."""
    from video.clips import make_clip
    from video.transcode import transcode

    folder = tmp_path_factory.mktemp("player-hls")
    source = make_clip(folder / "source.mp4", seconds=CLIP_SECONDS, rate=10)
    out = folder / "run"
    out.mkdir()
    return out, transcode(source, out)


@pytest.fixture(name="hls_lesson")
def hls_lesson_fixture(ladder, student, monkeypatch):
    """A lesson with a ready HLS set and English (the course's language: the default) and
    French captions, in a course the student is enrolled in."""
    from video import services
    from video.models import Transcode
    from video.tests.factories import add_caption

    folder, result = ladder

    def copy(source, out, *, on_progress=lambda share: None, preset=None):
        for name in result.files:
            shutil.copyfile(folder / name, out / name)
        return result

    monkeypatch.setattr(services, "transcode", copy)
    course = CourseFactory(published=True, title="Streams")
    lesson = LessonFactory(
        section=SectionFactory(course=course),
        title="Watching a stream",
        video=ContentFile((folder.parent / "source.mp4").read_bytes(), name="stream.mp4"),
        duration=CLIP_SECONDS,
    )
    row = Transcode.objects.get(lesson=lesson)
    assert services.run_transcode(row.pk, row.run, attempt=1, can_wait=False) == "ready"
    add_caption(lesson, "en", VTT)
    add_caption(lesson, "fr", VTT.replace("Welcome to", "Bienvenue dans"))
    course.publish()
    EnrollmentFactory(user=student, course=course)
    return lesson


def count_stream_requests(page) -> dict:
    """The HLS run's requests by file name (master.m3u8, key, 540p_00001.ts …), counted."""
    fetched = {}

    def count(request):
        if match := STREAM.search(request.url):
            fetched[match.group(1)] = fetched.get(match.group(1), 0) + 1

    page.on("request", count)
    return fetched


def log_in(page, base: str, user) -> None:
    page.goto(base + "/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def video(page, expression: str):
    """``expression`` about the <video> (``v``), evaluated in the page."""
    return page.evaluate(
        f"(() => {{ const v = document.getElementById('lesson-video'); return {expression}; }})()"
    )


def wait_for(page, expression: str, *, timeout: float = 15, what: str = ""):
    """Poll ``expression`` about the video until truthy (wait_for_function needs eval,
    which the page's CSP forbids)."""
    deadline = time.monotonic() + timeout
    while not (value := video(page, expression)):
        assert time.monotonic() < deadline, f"timed out waiting for {what or expression}"
        page.wait_for_timeout(100)
    return value


def saved_progress(student, lesson):
    return LessonProgress.objects.filter(user=student, lesson=lesson).first()


def open_lesson(page, live_server, student, lesson) -> dict:
    fetched = count_stream_requests(page)
    log_in(page, live_server.url, student)
    page.goto(live_server.url + f"/learn/{lesson.section.course.slug}/lessons/{lesson.pk}/")
    return fetched
