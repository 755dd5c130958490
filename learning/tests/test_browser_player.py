"""An enrolled student watches an HLS lesson in Chromium: hls.js streams the encrypted
ladder, the student picks a quality and 2× speed, turns captions on, plays the lesson
through (credited in full: the per-report limit scales with the speed), jumps from the
transcript, uses the keyboard shortcuts, and finds the lesson resumed after a reload.

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
from lms.tests.a11y import axe_violations, describe, require_axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

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


@pytest.fixture(scope="session")
def ladder(tmp_path_factory):
    """The clip transcoded once: (folder, video.transcode.Result)."""
    from video.clips import make_clip
    from video.transcode import transcode

    folder = tmp_path_factory.mktemp("player-hls")
    source = make_clip(folder / "source.mp4", seconds=CLIP_SECONDS, rate=10)
    out = folder / "run"
    out.mkdir()
    return out, transcode(source, out)


@pytest.fixture
def hls_lesson(ladder, student, monkeypatch):
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


def test_a_student_streams_a_lesson_through_hls_js(live_server, page, student, hls_lesson):
    lesson = hls_lesson
    fetched = open_lesson(page, live_server, student, lesson)
    player = page.locator("#lesson-video")

    # hls.js plays it through a MediaSource (the browser's own HLS would have a plain URL);
    # the poster shows meanwhile. Before a play only the first frame is fetched.
    expect(player).to_have_attribute("data-engine", "hls.js")
    expect(player).to_have_attribute("poster", re.compile(r"/poster\.jpg\?"))
    wait_for(page, "v.readyState >= 2", what="the first frame")
    assert video(page, "v.currentSrc").startswith("blob:")
    page.wait_for_timeout(500)
    segments = sum(n for name, n in fetched.items() if name.endswith(".ts"))
    assert 1 <= segments <= 2 and fetched["key"] >= 1, fetched

    # Quality: Auto and each rendition, highest first; a choice switches at once.
    quality = page.get_by_label("Quality")
    expect(quality.locator("option")).to_have_text([re.compile("^Auto"), "540p", "360p"])
    other = 360 if video(page, "v.videoHeight") == 540 else 540
    quality.select_option(label=f"{other}p")
    wait_for(page, f"v.videoHeight === {other}", what=f"the {other}p rendition")

    page.get_by_label("Speed").select_option(label="2×")
    assert video(page, "v.playbackRate") == 2

    # Captions: English is the default track; the button turns them off and on.
    captions = page.get_by_role("button", name="Captions")
    tracks = "Array.from(v.textTracks, t => t.language + ':' + t.mode).join(' ')"
    if captions.get_attribute("aria-pressed") == "true":
        assert video(page, tracks) == "en:showing fr:disabled"
        captions.click()
    expect(captions).to_have_attribute("aria-pressed", "false")
    assert "showing" not in video(page, tracks)
    captions.click()
    expect(captions).to_have_attribute("aria-pressed", "true")
    assert video(page, tracks) == "en:showing fr:disabled"

    # Space on the video plays it; at 2× the whole clip plays in half its length and
    # every second of it is credited: the limit per report scales with the speed.
    player.focus()
    started = time.monotonic()
    page.keyboard.press(" ")
    wait_for(page, "v.ended", timeout=CLIP_SECONDS + 10, what="the end of the clip")
    assert time.monotonic() - started < CLIP_SECONDS * 0.8, "it did not play at 2×"
    assert video(page, "v.videoHeight") == other  # the manual choice held
    deadline = time.monotonic() + 10
    while (progress := saved_progress(student, lesson)) is None or (
        progress.watched_seconds < lesson.duration - 0.5
    ):
        assert time.monotonic() < deadline, f"not all credited: {progress and progress.watched}"
        page.wait_for_timeout(200)
    expect(page.locator("#lesson-status")).to_contain_text("Lesson completed")

    # The transcript: a cue seeks there and plays; it is marked current; focus stays.
    cue = page.get_by_role("button", name="0:05 Here the colours start to move.")
    cue.click()
    wait_for(page, "!v.paused && v.currentTime >= 5 && v.currentTime < 8", what="the cue")
    expect(cue).to_have_attribute("aria-current", "true")
    expect(cue).to_be_focused()
    expect(page.locator(".transcript-cue[aria-current]")).to_have_count(1)

    # The keyboard shortcuts, from the video and from a button beside it.
    player.focus()
    page.keyboard.press(" ")
    wait_for(page, "v.paused", what="the pause")
    at = video(page, "v.currentTime")
    page.keyboard.press("ArrowRight")
    wait_for(page, f"Math.abs(v.currentTime - {at + 5}) < 0.3", what="5 s forward")
    cue.focus()
    page.keyboard.press("ArrowLeft")
    wait_for(page, f"Math.abs(v.currentTime - {at}) < 0.3", what="5 s back")
    assert video(page, "v.paused")  # the arrows work from a button too, and only seek
    page.keyboard.press("m")
    assert video(page, "v.muted") is True
    expect(page.locator("#player-announce")).to_have_text("Muted")
    page.keyboard.press("m")
    assert video(page, "v.muted") is False
    page.keyboard.press("c")
    expect(captions).to_have_attribute("aria-pressed", "false")
    page.keyboard.press("c")
    expect(captions).to_have_attribute("aria-pressed", "true")
    player.focus()
    page.keyboard.press("f")
    wait_for(page, "document.fullscreenElement === v", what="full screen")
    page.keyboard.press("f")
    wait_for(page, "document.fullscreenElement === null", what="the end of full screen")
    # Not in a field: there the keys type, choose, as usual.
    page.get_by_label("Speed").focus()
    page.keyboard.press("m")
    assert video(page, "v.muted") is False

    # Play a moment, pause: the position is saved, and a reload resumes there, at the
    # speed and with the captions chosen.
    player.focus()
    page.keyboard.press(" ")
    wait_for(page, f"v.currentTime > {at} + 1", what="playing again")
    with page.expect_response(re.compile(r"/progress/\d+/$")):
        page.keyboard.press(" ")
    paused_at = video(page, "v.currentTime")
    assert abs(saved_progress(student, lesson).position - paused_at) < 0.5
    page.reload()
    expect(player).to_have_attribute("data-engine", "hls.js")
    wait_for(page, f"v.readyState >= 2 && Math.abs(v.currentTime - {paused_at}) < 1")
    assert video(page, "v.paused")
    expect(page.get_by_label("Speed")).to_have_value("2")
    expect(captions).to_have_attribute("aria-pressed", "true")


def test_the_player_passes_axe_and_reflows(live_server, page, student, hls_lesson):
    """With every part showing (quality, captions, shortcuts, the transcript with a
    current cue): axe at 1280 and 375 px, no sideways scroll at 320 px, and at 320 px
    the transcript sits under the video."""
    require_axe()
    open_lesson(page, live_server, student, hls_lesson)
    expect(page.get_by_label("Quality")).to_be_visible()
    page.get_by_role("button", name="0:10 Halfway through the clip.").click()
    wait_for(page, "!v.paused && v.currentTime >= 10", what="the cue")
    page.evaluate("document.getElementById('lesson-video').pause()")
    found = []
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        if violations := axe_violations(page):
            found.append(describe(violations, where=f"player at {width} px"))
    assert found == [], "\n".join(found)
    page.set_viewport_size({"width": 320, "height": 900})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    box = page.locator("#lesson-video").bounding_box()
    transcript = page.get_by_role("region", name="Transcript").bounding_box()
    assert transcript["y"] >= box["y"] + box["height"] and transcript["width"] <= 320


def test_a_free_preview_plays_the_file_with_the_same_controls(live_server, page):
    """No stream yet (the first transcode runs): the file plays as before, with speed and
    the shortcuts; no quality choice, no captions button; nothing is reported."""
    course = CourseFactory(published=True, title="Previews")
    lesson = LessonFactory(section=SectionFactory(course=course), with_video=True)
    lesson.is_free_preview = True
    lesson.save(update_fields=["is_free_preview"])
    course.publish()
    reports = []
    page.on("request", lambda r: reports.append(r.url) if "/progress/" in r.url else None)
    page.goto(live_server.url + f"/learn/{course.slug}/preview/{lesson.pk}/")
    player = page.locator("#lesson-video")
    expect(player).to_have_attribute("data-engine", "file")
    assert "/video/" in video(page, "v.currentSrc")
    expect(page.get_by_label("Quality")).to_be_hidden()
    expect(page.get_by_role("button", name="Captions")).to_have_count(0)
    expect(page.get_by_text("Keyboard shortcuts")).to_be_visible()
    page.get_by_label("Speed").select_option(label="1.5×")
    player.focus()
    page.keyboard.press(" ")
    wait_for(page, "!v.paused && v.currentTime > 1", what="playing")
    assert video(page, "v.playbackRate") == 1.5
    page.keyboard.press(" ")  # one toggle per press: the video's own controls stay out
    wait_for(page, "v.paused", what="the pause")
    page.wait_for_timeout(300)
    assert video(page, "v.paused") and reports == []


def test_a_stream_that_stops_loading_says_to_reload(live_server, page, student, hls_lesson):
    """A refused playlist (an expired link, a dropped connection) ends in a message that
    says what to do, not a silent black box."""
    page.route(re.compile(r".*/master\.m3u8\?.*"), lambda route: route.fulfill(status=403))
    log_in(page, live_server.url, student)
    page.goto(live_server.url + f"/learn/{hls_lesson.section.course.slug}/lessons/{hls_lesson.pk}/")
    alert = page.get_by_role("alert")
    expect(alert).to_have_text(
        re.compile("The video stopped loading.*reload the page"), timeout=10_000
    )
    expect(page.get_by_label("Quality")).to_be_hidden()
