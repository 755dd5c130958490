"""Serving captions: the video's signed link and the right to watch, as for the video;
the <track> list and transcript the player gets; files follow rows."""

import time
from pathlib import Path
from unittest import mock

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from accounts.tests.api_client import AUTH, ApiClient
from catalog.models import Lesson
from catalog.tests.factories import LessonFactory, published_course
from learning import services, streaming
from learning.tests.player_page import player_of
from video.captions import caption_tracks
from video.models import Caption
from video.tests.factories import GOOD_VTT, add_caption, vtt

pytestmark = pytest.mark.django_db

FRENCH_VTT = vtt("00:00:01.000 --> 00:00:03.000\nBienvenue.")


@pytest.fixture
def course(instructor):
    course = published_course(instructor=instructor, sections=1, lessons=2, with_video=True)
    preview, paid = Lesson.objects.filter(section__course=course).order_by("order")
    Lesson.objects.filter(pk=preview.pk).update(is_free_preview=True)
    for lesson in (preview, paid):
        add_caption(lesson, "en")
        add_caption(lesson, "fr", FRENCH_VTT)
    return course


@pytest.fixture
def preview_lesson(course):
    return Lesson.objects.filter(section__course=course).order_by("order").first()


@pytest.fixture
def paid_lesson(course):
    return Lesson.objects.filter(section__course=course).order_by("order").last()


@pytest.fixture
def enrolled(student, course):
    services.enroll(user=student, course=course)
    return student


def caption_url(user, lesson, language="en") -> str:
    query = streaming.signed_query(user=user, lesson=lesson)
    return reverse("video:caption", args=[lesson.pk, language]) + "?" + query


def fetch(user, lesson, language="en"):
    """``user``'s browser opening the captions link the player gave ``user``."""
    client = Client()
    if user.is_authenticated:
        client.force_login(user)
    return client.get(caption_url(user, lesson, language))


# --- Who may read them -------------------------------------------------------------------
def test_an_enrolled_student_gets_the_stored_file_as_webvtt(enrolled, paid_lesson):
    response = fetch(enrolled, paid_lesson)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/vtt; charset=utf-8"
    assert response["Cache-Control"].startswith("private")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.content.decode() == GOOD_VTT
    assert fetch(enrolled, paid_lesson, "fr").content.decode() == FRENCH_VTT


@pytest.mark.parametrize(
    ("actor", "preview", "paid"),
    [
        ("anonymous", 200, 403),
        ("student", 200, 200),  # enrolled (below)
        ("other_student", 200, 403),  # not enrolled
        ("instructor", 200, 200),  # the course's
        ("other_instructor", 200, 403),
        ("staff", 200, 200),
    ],
)
def test_who_may_read_captions(
    request, enrolled, actor, preview, paid, preview_lesson, paid_lesson
):
    user = request.getfixturevalue(actor)
    assert fetch(user, preview_lesson).status_code == preview
    assert fetch(user, paid_lesson).status_code == paid


def test_a_draft_course_is_for_its_instructor_and_staff(request, course, preview_lesson):
    course.unpublish()
    for actor, status in (("anonymous", 403), ("instructor", 200), ("staff", 200)):
        assert fetch(request.getfixturevalue(actor), preview_lesson).status_code == status, actor


def test_leaving_the_course_ends_access_at_once(enrolled, course, paid_lesson):
    url = caption_url(enrolled, paid_lesson)
    client = Client()
    client.force_login(enrolled)
    assert client.get(url).status_code == 200
    services.unenroll(user=enrolled, course=course)
    assert client.get(url).status_code == 403


def test_links_without_a_valid_signature_are_refused(enrolled, staff, paid_lesson, preview_lesson):
    client = Client()
    client.force_login(enrolled)
    base = reverse("video:caption", args=[paid_lesson.pk, "en"])
    assert client.get(base).status_code == 403  # no token
    good = caption_url(enrolled, paid_lesson)
    assert client.get(good).status_code == 200
    assert client.get(good[:-2] + ("xx" if not good.endswith("xx") else "yy")).status_code == 403
    # Someone else's link (staff's), or the student's link for another lesson, or a
    # logged-out browser with the student's link: refused.
    assert client.get(caption_url(staff, paid_lesson)).status_code == 403
    token = good.split("?")[1]
    other = reverse("video:caption", args=[preview_lesson.pk, "en"]) + "?" + token
    assert client.get(other).status_code == 403
    assert Client().get(good).status_code == 403


def test_an_expired_link_is_refused(enrolled, paid_lesson, settings):
    client = Client()
    client.force_login(enrolled)
    url = caption_url(enrolled, paid_lesson)
    later = time.time() + settings.VIDEO_URL_MAX_AGE + 5
    with mock.patch.object(signing.time, "time", return_value=later):
        assert client.get(url).status_code == 403


def test_a_language_the_lesson_has_no_captions_in_is_404(enrolled, paid_lesson):
    assert fetch(enrolled, paid_lesson, "de").status_code == 404
    assert fetch(enrolled, paid_lesson, "pt-br").status_code == 404


def test_a_file_lost_from_storage_is_404_not_500(enrolled, paid_lesson):
    caption = Caption.objects.get(lesson=paid_lesson, language="en")
    caption.file.storage.delete(caption.file.name)
    assert fetch(enrolled, paid_lesson).status_code == 404


def test_only_get_and_head(enrolled, paid_lesson):
    client = Client()
    client.force_login(enrolled)
    url = caption_url(enrolled, paid_lesson)
    assert client.head(url).status_code == 200
    assert client.post(url).status_code == 405


def test_a_refused_link_costs_no_lesson_query(enrolled, paid_lesson, django_assert_num_queries):
    client = Client()
    with django_assert_num_queries(0):
        assert client.get(reverse("video:caption", args=[paid_lesson.pk, "en"])).status_code == 403


def test_serving_costs_one_query_after_the_viewer(enrolled, paid_lesson, django_assert_num_queries):
    client = Client()
    client.force_login(enrolled)
    url = caption_url(enrolled, paid_lesson)
    client.get(url)  # warm the session
    with django_assert_num_queries(2):  # the user; the caption, lesson, course, "enrolled?"
        assert client.get(url).status_code == 200


# --- Apps ----------------------------------------------------------------------------------
def test_the_api_lists_captions_an_app_can_fetch_without_cookies(enrolled, course, paid_lesson):
    api = ApiClient(enrolled)
    data = api.get(f"/api/v1/courses/{course.slug}/lessons/{paid_lesson.pk}").json()
    assert [(c["language"], c["label"], c["default"]) for c in data["captions"]] == [
        ("en", "English", True),
        ("fr", "French", False),
    ]
    url = data["captions"][0]["url"]
    assert url.startswith(f"http://testserver/video/{paid_lesson.pk}/captions/en.vtt?app=")
    response = Client().get(url)
    assert response.status_code == 200 and response.content.decode() == GOOD_VTT
    # The app token is for this lesson only, and ends with the sign-in.
    token = url.split("?")[1]
    other = Lesson.objects.filter(section__course=course).exclude(pk=paid_lesson.pk).get()
    assert Client().get(f"/video/{other.pk}/captions/en.vtt?{token}").status_code == 403
    api.generic("DELETE", f"{AUTH}/auth/session", HTTP_AUTHORIZATION=f"Bearer {api.token}")
    assert Client().get(url).status_code == 403


def test_an_anonymous_app_gets_a_preview_lessons_captions(course, preview_lesson):
    data = ApiClient().get(f"/api/v1/courses/{course.slug}/lessons/{preview_lesson.pk}").json()
    url = data["captions"][1]["url"]
    assert "/captions/fr.vtt?t=" in url
    assert Client().get(url).content.decode() == FRENCH_VTT


# --- The tracks ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("course_language", "languages", "default"),
    [
        ("en", ["de", "en", "en-gb"], "en"),  # exact first
        ("en", ["de", "en-gb"], "en-gb"),  # then by primary subtag
        ("pt", ["es", "pt-br"], "pt-br"),
        ("fr", ["de", "en"], None),  # none in the course's language
        ("other", ["de", "en"], None),
    ],
)
def test_the_default_track_is_in_the_courses_language(course_language, languages, default):
    lesson = LessonFactory(section__course__language=course_language, with_video=True)
    for language in languages:
        add_caption(lesson, language)
    lesson = Lesson.objects.select_related("section__course").get(pk=lesson.pk)
    tracks = caption_tracks(lesson, query="t=x")
    assert [t.language for t in tracks] == sorted(languages)
    assert [t.language for t in tracks if t.default] == ([default] if default else [])
    assert tracks[0].url == f"/video/{lesson.pk}/captions/{tracks[0].language}.vtt?t=x"


def test_the_player_gets_tracks_and_the_transcript(client, enrolled, course, paid_lesson):
    client.force_login(enrolled)
    response = client.get(reverse("learning:lesson", args=[course.slug, paid_lesson.pk]))
    player = player_of(response)
    tracks = player.captions
    assert [(t.language, t.label, t.default) for t in tracks] == [
        ("en", "English", True),
        ("fr", "French", False),
    ]
    assert client.get(tracks[1].url).content.decode() == FRENCH_VTT  # the page's links work
    transcript = player.transcript  # the default track's, "English"
    assert transcript.language == "en" and tracks[0].label == "English"
    assert [(c.start, c.end, c.text) for c in transcript.cues] == [
        (1.0, 4.0, "Welcome to the first lesson."),
        (4.5, 8.0, "Tom & Jerry say <hello>."),
    ]


def test_the_preview_page_gets_them_too_for_anyone(client, course, preview_lesson):
    response = client.get(reverse("learning:preview", args=[course.slug, preview_lesson.pk]))
    player = player_of(response)
    assert [t.language for t in player.captions] == ["en", "fr"]
    assert client.get(player.captions[0].url).status_code == 200
    assert player.transcript.cues[0].text == "Welcome to the first lesson."


def test_without_a_default_the_transcript_is_the_first_tracks(
    client, enrolled, course, paid_lesson
):
    Caption.objects.filter(lesson=paid_lesson, language="en").delete()
    client.force_login(enrolled)
    response = client.get(reverse("learning:lesson", args=[course.slug, paid_lesson.pk]))
    player = player_of(response)
    assert player.transcript.language == "fr"
    assert [t.default for t in player.captions] == [False]


def test_a_lesson_without_captions_or_video_has_none(client, instructor):
    course = published_course(instructor=instructor, lessons=1, with_video=False)
    lesson = Lesson.objects.get(section__course=course)
    client.force_login(instructor)
    response = client.get(reverse("learning:lesson", args=[course.slug, lesson.pk]))
    player = player_of(response)
    assert player.captions == [] and player.transcript is None


# --- Files follow rows -------------------------------------------------------------------
def stored(root) -> list[str]:
    root = Path(root)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def captions_in_storage(settings) -> list[str]:
    return [name for name in stored(settings.PRIVATE_MEDIA_ROOT) if name.startswith("captions/")]


def test_deleting_a_caption_or_its_lesson_deletes_the_files(
    settings, django_capture_on_commit_callbacks
):
    lesson = LessonFactory(with_video=True)
    english, french = add_caption(lesson, "en"), add_caption(lesson, "fr", FRENCH_VTT)
    assert captions_in_storage(settings) == sorted([english.file.name, french.file.name])
    with django_capture_on_commit_callbacks(execute=True):
        english.delete()
    assert captions_in_storage(settings) == [french.file.name]
    with django_capture_on_commit_callbacks(execute=True):
        lesson.delete()
    assert stored(settings.PRIVATE_MEDIA_ROOT) == []


def test_deleting_a_course_deletes_its_captions(
    settings, django_capture_on_commit_callbacks, course
):
    assert len(captions_in_storage(settings)) == 4
    with django_capture_on_commit_callbacks(execute=True):
        course.delete()
    assert stored(settings.PRIVATE_MEDIA_ROOT) == []
