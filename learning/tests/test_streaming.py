"""Protected video: signed URLs bound to viewer and lesson, entitlement, HTTP Range."""

import time
from unittest import mock

import pytest
from django.core import signing
from django.urls import reverse

from catalog.models import Lesson
from catalog.tests.factories import SAMPLE_MP4, published_course
from learning import streaming
from learning.streaming import UnsatisfiableRange, parse_range

pytestmark = pytest.mark.django_db

SIZE = SAMPLE_MP4.stat().st_size
BYTES = SAMPLE_MP4.read_bytes()


@pytest.fixture
def course(instructor):
    return published_course(instructor=instructor, sections=1, lessons=2, with_video=True)


@pytest.fixture
def preview_lesson(course):
    lesson = Lesson.objects.filter(section__course=course).order_by("order").first()
    lesson.is_free_preview = True
    lesson.save()
    return lesson


@pytest.fixture
def paid_lesson(course):
    return Lesson.objects.filter(section__course=course).order_by("order").last()


def fetch(client, user, lesson, **headers):
    if user is not None and user.is_authenticated:
        client.force_login(user)
    return client.get(streaming.stream_url(user=user, lesson=lesson), **headers)


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


# --- Entitlement ------------------------------------------------------------------------
def test_free_preview_plays_for_anyone(client, anonymous, preview_lesson):
    response = fetch(client, anonymous, preview_lesson)
    assert response.status_code == 200
    assert response["Content-Type"] == "video/mp4"
    assert body(response) == BYTES


@pytest.mark.parametrize("actor", ["anonymous", "student", "other_instructor"])
def test_other_lessons_are_refused_to_outsiders(client, request, actor, paid_lesson):
    user = request.getfixturevalue(actor)
    assert fetch(client, user, paid_lesson).status_code == 403


@pytest.mark.parametrize("actor", ["instructor", "staff"])
def test_instructor_and_staff_can_watch_everything(client, request, actor, paid_lesson):
    user = request.getfixturevalue(actor)
    assert fetch(client, user, paid_lesson).status_code == 200


def test_a_draft_courses_preview_is_not_public(client, anonymous, preview_lesson):
    preview_lesson.section.course.unpublish()
    assert fetch(client, anonymous, preview_lesson).status_code == 403


def test_preview_page_points_at_the_signed_stream_not_the_file(client, course, preview_lesson):
    url = reverse("learning:preview", args=[course.slug, preview_lesson.pk])
    page = client.get(url).content.decode()
    assert f"/video/{preview_lesson.pk}/?t=" in page
    assert preview_lesson.video.name not in page


def test_preview_page_refuses_non_preview_lessons(client, student, course, paid_lesson):
    client.force_login(student)
    url = reverse("learning:preview", args=[course.slug, paid_lesson.pk])
    assert client.get(url).status_code == 403


def test_preview_page_refuses_a_lesson_of_another_course(client, preview_lesson):
    other = published_course()
    url = reverse("learning:preview", args=[other.slug, preview_lesson.pk])
    assert client.get(url).status_code == 404


# --- Signatures -----------------------------------------------------------------------
def test_missing_tampered_and_foreign_signatures_are_refused(
    client, instructor, staff, paid_lesson, course
):
    client.force_login(instructor)
    base = reverse("learning:stream", args=[paid_lesson.pk])
    assert client.get(base).status_code == 403
    good = streaming.stream_url(user=instructor, lesson=paid_lesson)
    assert client.get(good[:-2] + "xx").status_code == 403
    # A link signed for staff does not work for the instructor, nor for another lesson.
    assert client.get(streaming.stream_url(user=staff, lesson=paid_lesson)).status_code == 403
    other_lesson = Lesson.objects.filter(section__course=course).exclude(pk=paid_lesson.pk).get()
    token = good.split("?t=")[1]
    assert (
        client.get(reverse("learning:stream", args=[other_lesson.pk]) + "?t=" + token).status_code
        == 403
    )


def test_expired_signature_is_refused(client, instructor, paid_lesson, settings):
    client.force_login(instructor)
    url = streaming.stream_url(user=instructor, lesson=paid_lesson)
    later = time.time() + settings.VIDEO_URL_MAX_AGE + 5
    with mock.patch.object(signing.time, "time", return_value=later):
        assert client.get(url).status_code == 403


def test_copied_link_does_not_work_for_someone_else(client, instructor, student, paid_lesson):
    url = streaming.stream_url(user=instructor, lesson=paid_lesson)
    client.force_login(student)
    assert client.get(url).status_code == 403
    client.logout()
    assert client.get(url).status_code == 403


# --- Range requests ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=1000-1999", 1000, 1999),
        ("bytes=5000-", 5000, SIZE - 1),
        ("bytes=-500", SIZE - 500, SIZE - 1),
        (f"bytes=100-{SIZE + 1000}", 100, SIZE - 1),
    ],
    ids=["first-bytes", "middle", "open-ended", "suffix", "past-the-end"],
)
def test_range_requests(client, anonymous, preview_lesson, header, start, end):
    response = fetch(client, anonymous, preview_lesson, HTTP_RANGE=header)
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {start}-{end}/{SIZE}"
    assert int(response["Content-Length"]) == end - start + 1
    assert response["Accept-Ranges"] == "bytes"
    assert body(response) == BYTES[start : end + 1]


@pytest.mark.parametrize(
    "header", [f"bytes={SIZE}-", "bytes=500-100", "bytes=-0", "bytes=abc", "items=0-10", "bytes=-"]
)
def test_unsatisfiable_ranges_are_416(client, anonymous, preview_lesson, header):
    response = fetch(client, anonymous, preview_lesson, HTTP_RANGE=header)
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{SIZE}"


def test_multiple_ranges_get_the_whole_file(client, anonymous, preview_lesson):
    response = fetch(client, anonymous, preview_lesson, HTTP_RANGE="bytes=0-1,5-6")
    assert response.status_code == 200
    assert body(response) == BYTES


def test_parse_range_edges():
    assert parse_range(None, 10) is None
    assert parse_range("bytes=9-", 10).length == 1
    with pytest.raises(UnsatisfiableRange):
        parse_range("bytes=10-", 10)


# --- Production hand-offs ---------------------------------------------------------------
def test_nginx_hand_off(client, anonymous, preview_lesson, settings):
    settings.VIDEO_DELIVERY = "nginx"
    response = fetch(client, anonymous, preview_lesson)
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == "/protected-videos/" + preview_lesson.video.name
    assert response.content == b""


def test_refused_requests_never_hand_off(client, student, paid_lesson, settings):
    settings.VIDEO_DELIVERY = "nginx"
    response = fetch(client, student, paid_lesson)
    assert response.status_code == 403
    assert "X-Accel-Redirect" not in response


def test_s3_hand_off_redirects_to_a_signed_url(client, anonymous, preview_lesson, settings):
    settings.VIDEO_DELIVERY = "s3"
    storage = preview_lesson.video.storage
    signed = "https://bucket.s3.example/videos/x.mp4?X-Amz-Signature=abc&X-Amz-Expires=300"
    with mock.patch.object(type(storage), "url", return_value=signed):
        response = fetch(client, anonymous, preview_lesson)
    assert response.status_code == 302
    assert response["Location"] == signed
    assert response["Cache-Control"] == "private, max-age=300"
