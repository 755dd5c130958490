"""An enrolled student watches an HLS lesson in Chromium: hls.js streams the encrypted
ladder, the student picks a quality and 2× speed, turns captions on, plays the lesson
through (credited in full: the per-report limit scales with the speed), jumps from the
transcript, uses the keyboard shortcuts, and finds the lesson resumed after a reload.

The stream is a real one: a generated 20-second 960×540 clip transcoded by
video.transcode into 360p and 540p AES-128 encrypted segments, with its poster and
WebVTT captions. Until the delivery views land, the test gives the player template the
names those views will (hls_url, poster_url, captions, transcript) through a context
processor, and the browser fetches the files from the test (``page.route``), key
included, at same-origin URLs as the real signed ones are.
"""

import copy
import re
import time
from types import SimpleNamespace

import pytest
from django.urls import resolve
from playwright.sync_api import expect

from accounts.tests.factories import PASSWORD
from catalog.tests.factories import CourseFactory, LessonFactory, SectionFactory
from learning.models import LessonProgress
from learning.tests.factories import EnrollmentFactory
from lms.tests.a11y import axe_violations, describe, require_axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CLIP_SECONDS = 20
FIXTURE = "/hls-fixture/"
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
TRANSCRIPT = [
    (0.5, 3.0, "Welcome to the test pattern."),
    (5.0, 8.0, "Here the colours start to move."),
    (10.0, 13.0, "Halfway through the clip."),
    (15.0, 19.0, "Nearly the end now."),
]
TYPES = {".m3u8": "application/vnd.apple.mpegurl", ".ts": "video/mp2t", ".jpg": "image/jpeg"}


@pytest.fixture(scope="session")
def ladder(tmp_path_factory):
    """The transcoded clip: (folder, video.transcode.Result)."""
    from video.clips import make_clip
    from video.transcode import transcode

    folder = tmp_path_factory.mktemp("player-hls")
    source = make_clip(folder / "source.mp4", seconds=CLIP_SECONDS, rate=10)
    out = folder / "run"
    out.mkdir()
    result = transcode(source, out)
    (out / "captions.en.vtt").write_text(VTT)
    (out / "captions.fr.vtt").write_text(VTT.replace("Welcome", "Bienvenue"))
    return out, result


STREAM = {}  # what the context processor gives the lesson page (set by the fixture)


def stream_context(request):
    """The names the delivery views will give the player (see the module docstring)."""
    match = getattr(request, "resolver_match", None) or resolve(request.path_info)
    return STREAM if match.view_name == "learning:lesson" else {}


@pytest.fixture
def hls_lesson(settings, ladder, student):
    """An HLS lesson the student is enrolled in; the page, given its stream."""
    _folder, result = ladder
    course = CourseFactory(published=True, title="Streams")
    lesson = LessonFactory(
        section=SectionFactory(course=course), with_video=True, title="Watching a stream"
    )
    lesson.duration = round(result.duration)
    lesson.save(update_fields=["duration"])
    course.publish()
    EnrollmentFactory(user=student, course=course)
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["OPTIONS"]["context_processors"].append(f"{__name__}.stream_context")
    settings.TEMPLATES = templates
    STREAM.update(
        hls_url=FIXTURE + "master.m3u8",
        poster_url=FIXTURE + "poster.jpg",
        captions=[
            SimpleNamespace(
                language="en", label="English", url=FIXTURE + "captions.en.vtt", default=True
            ),
            SimpleNamespace(
                language="fr", label="Français", url=FIXTURE + "captions.fr.vtt", default=False
            ),
        ],
        transcript=TRANSCRIPT,
    )
    yield lesson
    STREAM.clear()


def serve_the_stream(page, base: str, ladder) -> dict:
    """Answer the stream's URLs from the transcoded folder; returns the request counts."""
    folder, result = ladder
    fetched = {}

    def answer(route):
        name = route.request.url.split(FIXTURE, 1)[1].split("?")[0]
        fetched[name] = fetched.get(name, 0) + 1
        if name == "key":
            route.fulfill(
                status=200,
                body=result.key,
                headers={"Content-Type": "application/octet-stream", "Cache-Control": "no-store"},
            )
            return
        path = folder / name
        suffix = path.suffix
        content_type = TYPES.get(suffix, "text/vtt; charset=utf-8")
        route.fulfill(status=200, body=path.read_bytes(), headers={"Content-Type": content_type})

    page.route(re.compile(re.escape(base + FIXTURE) + ".*"), answer)
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


def open_lesson(page, live_server, ladder, student, lesson) -> dict:
    fetched = serve_the_stream(page, live_server.url, ladder)
    log_in(page, live_server.url, student)
    page.goto(live_server.url + f"/learn/{lesson.section.course.slug}/lessons/{lesson.pk}/")
    return fetched


def test_a_student_streams_a_lesson_through_hls_js(live_server, page, student, hls_lesson, ladder):
    lesson = hls_lesson
    fetched = open_lesson(page, live_server, ladder, student, lesson)
    player = page.locator("#lesson-video")

    # hls.js plays it through a MediaSource (the browser's own HLS would have a plain URL);
    # the poster shows meanwhile. Before a play only the first frame is fetched.
    expect(player).to_have_attribute("data-engine", "hls.js")
    expect(player).to_have_attribute("poster", FIXTURE + "poster.jpg")
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


def test_the_player_passes_axe_and_reflows(live_server, page, student, hls_lesson, ladder):
    """With every part showing (quality, captions, shortcuts, the transcript with a
    current cue): axe at 1280 and 375 px, no sideways scroll at 320 px, and at 320 px
    the transcript sits under the video."""
    require_axe()
    open_lesson(page, live_server, ladder, student, hls_lesson)
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


def test_a_stream_that_stops_loading_says_to_reload(live_server, page, student, hls_lesson, ladder):
    """A refused playlist (an expired link, a dropped connection) ends in a message that
    says what to do, not a silent black box."""
    serve_the_stream(page, live_server.url, ladder)
    page.route(
        re.compile(re.escape(live_server.url + FIXTURE) + r"master\.m3u8.*"),
        lambda route: route.fulfill(status=403, body="expired"),
    )
    log_in(page, live_server.url, student)
    page.goto(live_server.url + f"/learn/{hls_lesson.section.course.slug}/lessons/{hls_lesson.pk}/")
    alert = page.get_by_role("alert")
    expect(alert).to_have_text(
        re.compile("The video stopped loading.*reload the page"), timeout=10_000
    )
    expect(page.get_by_label("Quality")).to_be_hidden()
