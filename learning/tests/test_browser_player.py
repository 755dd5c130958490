"""An enrolled student watches an HLS lesson in Chromium: hls.js streams the encrypted
ladder, the student picks a quality and 2× speed, turns captions on, plays the lesson
through (credited in full: the per-report limit scales with the speed), jumps from the
transcript, uses the keyboard shortcuts, and finds the lesson resumed after a reload.
The lesson and its stream: learning/tests/hls_player.py. Its axe check:
lms/tests/test_player_accessibility.py.
"""

import re
import time

import pytest
from playwright.sync_api import expect

from catalog.tests.factories import CourseFactory, LessonFactory, SectionFactory
from learning.tests.hls_player import (  # noqa: F401 (the fixtures)
    CLIP_SECONDS,
    hls_lesson_fixture,
    ladder_fixture,
    log_in,
    open_lesson,
    saved_progress,
    video,
    wait_for,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


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
