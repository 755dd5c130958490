"""The learning endpoints of the JSON API, through the real URLs, with tokens from the
real headless login: enrolment, my courses, lessons and their video, progress, completion,
certificates. The same situations answer as the web views do (a table compares them)."""

import json
import threading
import time
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.contrib.messages import get_messages
from django.core import signing
from django.db import close_old_connections, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.tests.api_client import AUTH, ApiClient
from accounts.tests.factories import UserFactory
from catalog.models import Course, Lesson
from catalog.tests.factories import (
    SAMPLE_MP4,
    CategoryFactory,
    CourseFactory,
    LessonFactory,
    published_course,
)
from learning import services
from learning.models import Certificate, Enrollment, LessonProgress
from learning.tests.factories import big_course
from learning.tests.player_page import player_of
from learning.tests.test_progress import let_time_pass
from video.tests.factories import add_caption

pytestmark = pytest.mark.django_db

API = "/api/v1"
ACTORS = ["anonymous", "student", "other_student", "instructor", "other_instructor", "staff"]


@pytest.fixture
def course(instructor):
    """Two sections of two 12-second videos; the first lesson is a free preview."""
    course = published_course(instructor=instructor, sections=2, lessons=2, with_video=True)
    Lesson.objects.filter(pk=course_lessons(course)[0].pk).update(is_free_preview=True)
    return course


def course_lessons(course) -> list[Lesson]:
    return list(Lesson.objects.filter(section__course=course).order_by("section__order", "order"))


@pytest.fixture
def lessons(course):
    return course_lessons(course)


@pytest.fixture
def enrolled(student, course):
    services.enroll(user=student, course=course)
    return student


def api_for(request, actor: str) -> ApiClient:
    user = request.getfixturevalue(actor)
    return ApiClient(user if user.is_authenticated else None)


@pytest.fixture
def api(enrolled):
    """The enrolled student's app."""
    return ApiClient(enrolled)


def enrol_url(course) -> str:
    return f"{API}/courses/{course.slug}/enrollment"


def lesson_url(lesson, course=None) -> str:
    course = course or lesson.section.course
    return f"{API}/courses/{course.slug}/lessons/{lesson.pk}"


def progress_url(lesson) -> str:
    return f"{API}/lessons/{getattr(lesson, 'pk', lesson)}/progress"


def completion_url(lesson) -> str:
    return f"{API}/lessons/{getattr(lesson, 'pk', lesson)}/completion"


def report(api, lesson, *, after: float | None = None, **data):
    """The app's progress report. ``after``: the wall time since the previous report (by
    default the segment's length: playback at normal speed)."""
    if after is None and "start" in data and "end" in data:
        after = max(0, data["end"] - data["start"])
    if after:
        let_time_pass(api.user.pk, lesson, after)
    return api.post(progress_url(lesson), data)


def problem_of(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["detail"]
    return body


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


# --- Enrolment --------------------------------------------------------------------------------
def test_enrolling_answers_201_then_200_and_makes_one_enrolment(student, course, lessons):
    api = ApiClient(student)
    first = api.post(enrol_url(course))
    assert first.status_code == 201
    item = first.json()
    assert item["course"]["slug"] == course.slug
    assert item["progress_percent"] == 0
    assert (item["completed_lessons"], item["total_lessons"]) == (0, 4)
    assert item["continue_lesson_id"] == lessons[0].pk
    assert item["certificate_code"] is None and item["completed_at"] is None
    second = api.post(enrol_url(course))  # a double submit
    assert second.status_code == 200
    assert second.json()["enrolled_at"] == item["enrolled_at"]
    assert Enrollment.objects.filter(user=student, course=course).count() == 1
    course.refresh_from_db()
    assert course.enrollment_count == 1


def test_a_paid_course_is_refused_with_the_webs_message(student):
    paid = published_course(price=Decimal("20.00"))
    body = problem_of(ApiClient(student).post(enrol_url(paid)), 403)
    assert body["detail"] == "This course is paid: buy it to enrol."
    assert not Enrollment.objects.exists()


def test_a_draft_is_missing_for_students_and_not_open_for_its_instructor(student, instructor):
    draft = CourseFactory(instructor=instructor)
    problem_of(ApiClient(student).post(enrol_url(draft)), 404)
    body = problem_of(ApiClient(instructor).post(enrol_url(draft)), 403)
    assert body["detail"] == "This course is not open for enrolment."
    problem_of(ApiClient(student).post(f"{API}/courses/no-such-course/enrollment"), 404)


def test_enrolling_needs_a_token(course):
    response = ApiClient().post(enrol_url(course))
    problem_of(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert not Enrollment.objects.exists()


def test_enrolling_ignores_a_session_cookie(client, student, course):
    """The API takes tokens only: a browser session is not a credential (and so needs no
    CSRF protection)."""
    client.force_login(student)
    problem_of(client.post(enrol_url(course)), 401)
    assert not Enrollment.objects.exists()


def test_leaving_answers_204_then_404_and_keeps_progress(api, enrolled, course, lessons):
    api.put(completion_url(lessons[0]))
    assert api.delete(enrol_url(course)).status_code == 204
    assert not Enrollment.objects.filter(user=enrolled).exists()
    problem_of(api.delete(enrol_url(course)), 404)  # a double submit
    course.refresh_from_db()
    assert course.enrollment_count == 0
    item = api.post(enrol_url(course)).json()
    assert item["completed_lessons"] == 1  # the kept progress counts again


def test_leaving_a_paid_course_is_refused(student):
    paid = published_course(price=Decimal("20.00"))
    Enrollment.objects.create(user=student, course=paid, price_paid=paid.price)
    body = problem_of(ApiClient(student).delete(enrol_url(paid)), 403)
    assert body["detail"] == "Paid enrolments cannot be cancelled here."
    assert Enrollment.objects.filter(user=student, course=paid).exists()


# --- My courses -------------------------------------------------------------------------------
def test_my_courses_show_progress_continue_and_certificates(client, student, other_student):
    started = published_course(title="Started", lessons=3)
    finished = published_course(title="Finished", lessons=1)
    fresh = published_course(title="Fresh", lessons=2)
    for item in (fresh, finished, started):
        services.enroll(user=student, course=item)
    services.enroll(user=other_student, course=published_course(title="Not mine"))
    started_lessons = course_lessons(started)
    services.record_progress(user=student, lesson=started_lessons[1], position=30)
    services.set_completed(user=student, lesson=started_lessons[0], completed=True)
    services.set_completed(user=student, lesson=course_lessons(finished)[0], completed=True)
    # The latest activity first: "Finished" was worked on last, "Fresh" never.
    Enrollment.objects.filter(course=fresh).update(created_at="2020-01-01T00:00Z")

    page = ApiClient(student).get(f"{API}/me/courses").json()
    assert page["count"] == 3
    items = {item["course"]["title"]: item for item in page["results"]}
    assert [item["course"]["title"] for item in page["results"]] == ["Finished", "Started", "Fresh"]
    assert (items["Started"]["progress_percent"], items["Started"]["completed_lessons"]) == (33, 1)
    assert items["Started"]["total_lessons"] == 3
    assert items["Finished"]["progress_percent"] == 100
    assert items["Finished"]["completed_at"] is not None
    certificate = Certificate.objects.get(user=student)
    assert items["Finished"]["certificate_code"] == certificate.code
    assert items["Fresh"]["last_activity_at"] is None

    # "Continue" opens the same lesson as the web's Continue button.
    client.force_login(student)
    for course in (started, finished, fresh):
        web = client.get(reverse("learning:continue", args=[course.slug])).url
        lesson_pk = items[course.title]["continue_lesson_id"]
        assert web == reverse("learning:lesson", args=[course.slug, lesson_pk])
    assert items["Started"]["continue_lesson_id"] == started_lessons[0].pk  # completed last


def test_my_courses_are_paginated_and_personal(student, other_student):
    for _ in range(3):
        services.enroll(user=student, course=published_course())
    api = ApiClient(student)
    page = api.get(f"{API}/me/courses", {"page": 2, "page_size": 2}).json()
    assert (page["count"], page["page"], page["pages"], len(page["results"])) == (3, 2, 2, 1)
    assert api.get(f"{API}/me/courses", {"page": 9}).json()["results"] == []
    for bad in ({"page": 0}, {"page_size": 101}, {"page": "x"}, {"page": "9" * 30}):
        problem_of(api.get(f"{API}/me/courses", bad), 422)
    assert ApiClient(other_student).get(f"{API}/me/courses").json()["count"] == 0
    problem_of(ApiClient().get(f"{API}/me/courses"), 401)


def test_a_course_without_lessons_has_nothing_to_continue(student):
    empty = CourseFactory(published=True)
    item = ApiClient(student).post(enrol_url(empty)).json()
    assert item["continue_lesson_id"] is None and item["progress_percent"] == 0


# --- A lesson ----------------------------------------------------------------------------------
def test_an_enrolled_student_gets_the_lesson_to_resume(api, enrolled, course, lessons):
    report(api, lessons[1], position=8.5, start=0, end=8.5)
    data = api.get(lesson_url(lessons[1])).json()
    assert data["id"] == lessons[1].pk and data["title"] == lessons[1].title
    assert data["duration"] == 12 and data["is_free_preview"] is False
    assert data["course"] == {"slug": course.slug, "title": course.title}
    assert data["section"] == {"id": lessons[1].section_id, "title": lessons[1].section.title}
    assert (data["previous_lesson_id"], data["next_lesson_id"]) == (lessons[0].pk, lessons[2].pk)
    assert data["progress_recorded"] is True
    assert (data["position"], data["watched_seconds"], data["completed"]) == (8.5, 8.5, False)
    assert data["course_progress"] == {
        "completed_lessons": 0,
        "total_lessons": 4,
        "percent": 0,
        "completed": False,
        "certificate_code": None,
    }
    assert data["stream_url"].startswith(f"http://testserver/video/{lessons[1].pk}/?app=")
    assert data["stream_expires_at"] is not None
    first, last = api.get(lesson_url(lessons[0])).json(), api.get(lesson_url(lessons[3])).json()
    assert first["previous_lesson_id"] is None and last["next_lesson_id"] is None


@pytest.mark.parametrize(
    ("actor", "preview", "other", "recorded"),
    [
        ("anonymous", 200, 403, False),
        ("student", 200, 200, True),  # enrolled
        ("other_student", 200, 403, False),
        ("instructor", 200, 200, False),  # the course's: watches without recording
        ("other_instructor", 200, 403, False),
        ("staff", 200, 200, False),
    ],
)
def test_who_gets_a_lesson(request, actor, preview, other, recorded, enrolled, lessons):
    api = api_for(request, actor)
    assert api.get(lesson_url(lessons[0])).status_code == preview
    response = api.get(lesson_url(lessons[1]))
    assert response.status_code == other
    if other == 403:
        assert problem_of(response, 403)["detail"] == "Enrol in the course to watch its lessons."
    else:
        assert response.json()["progress_recorded"] is recorded
        assert (response.json()["course_progress"] is not None) is recorded


def test_forged_lesson_ids_are_missing(api, enrolled, course, lessons):
    other = published_course(with_video=True)
    services.enroll(user=enrolled, course=other)
    problem_of(api.get(lesson_url(course_lessons(other)[0], course=course)), 404)
    for forged in ("99999999", "99999999999999999999", "0", "-1"):
        problem_of(api.get(f"{API}/courses/{course.slug}/lessons/{forged}"), 404)
    problem_of(api.get(f"{API}/courses/{course.slug}/lessons/abc"), 422)  # not a number


def test_a_draft_courses_lessons_are_missing_except_for_its_editors(request, instructor):
    draft = CourseFactory(instructor=instructor)
    lesson = LessonFactory(section__course=draft, with_video=True, is_free_preview=True)
    for actor in ("anonymous", "student", "other_instructor"):
        problem_of(api_for(request, actor).get(lesson_url(lesson)), 404)
    for actor in ("instructor", "staff"):
        assert api_for(request, actor).get(lesson_url(lesson)).status_code == 200


def test_an_unpublished_lesson_is_for_its_editors_only(request, enrolled, course):
    hidden = LessonFactory(section=course.sections.first(), is_published=False)
    problem_of(ApiClient(enrolled).get(lesson_url(hidden)), 403)
    data = api_for(request, "instructor").get(lesson_url(hidden)).json()
    assert data["id"] == hidden.pk and data["stream_url"] is None  # no video yet


@pytest.mark.parametrize("slug", ["no-such-course", "a%00b", "%E2%9C%93", "x" * 500])
def test_slugs_that_name_no_course_are_404_never_500(api, lessons, slug):
    problem_of(api.get(f"{API}/courses/{slug}/lessons/{lessons[0].pk}"), 404)
    problem_of(api.post(f"{API}/courses/{slug}/enrollment"), 404)
    problem_of(api.delete(f"{API}/courses/{slug}/enrollment"), 404)


def test_a_bad_token_is_401_even_where_anonymous_is_welcome(lessons):
    response = ApiClient(token="not-a-token").get(lesson_url(lessons[0]))
    problem_of(response, 401)


# --- The video URL an app gets -----------------------------------------------------------------
def app_stream(api, lesson) -> str:
    return api.get(lesson_url(lesson)).json()["stream_url"]


def play(url, **headers):
    """Play ``url`` as a video player does: no cookie, no token."""
    return Client().get(url, **headers)


def test_the_stream_url_plays_without_cookies(api, lessons):
    url = app_stream(api, lessons[1])
    response = play(url)
    assert response.status_code == 200 and body(response) == SAMPLE_MP4.read_bytes()
    partial = play(url, HTTP_RANGE="bytes=0-9")
    assert partial.status_code == 206 and body(partial) == SAMPLE_MP4.read_bytes()[:10]
    assert response["Cache-Control"] == "private, max-age=300"


def test_an_anonymous_preview_url_plays_without_cookies(lessons):
    url = ApiClient().get(lesson_url(lessons[0])).json()["stream_url"]
    assert "?t=" in url
    assert play(url).status_code == 200


def test_the_stream_url_expires(api, lessons, settings):
    url = app_stream(api, lessons[1])
    later = time.time() + settings.VIDEO_URL_MAX_AGE + 5
    with mock.patch.object(signing.time, "time", return_value=later):
        assert play(url).status_code == 403


def test_a_tampered_stream_url_is_refused(api, lessons):
    url = app_stream(api, lessons[1])
    assert play(url[:-2] + ("aa" if not url.endswith("aa") else "bb")).status_code == 403
    token = url.split("?app=")[1]
    # The token is for one lesson: not another's (even one the user may watch)...
    assert play(f"/video/{lessons[2].pk}/?app={token}").status_code == 403
    # ...and an app token is no browser token, nor the reverse.
    assert play(f"/video/{lessons[1].pk}/?t={token}").status_code == 403
    forged = signing.dumps([api.user.pk, lessons[1].pk, "made-up"], salt="lectern.learning.stream")
    assert play(f"/video/{lessons[1].pk}/?app={forged}").status_code == 403


def test_the_stream_url_ends_with_the_sign_in(api, lessons):
    url = app_stream(api, lessons[1])
    assert play(url).status_code == 200
    logout = api.generic("DELETE", f"{AUTH}/auth/session", HTTP_AUTHORIZATION=f"Bearer {api.token}")
    assert logout.status_code == 401  # signed out (allauth answers 401: no longer signed in)
    assert play(url).status_code == 403


def test_the_stream_url_carries_only_its_users_rights(api, enrolled, course, lessons):
    url = app_stream(api, lessons[1])
    services.unenroll(user=enrolled, course=course)
    assert play(url).status_code == 403  # rights are checked at every request


def test_a_copied_stream_url_is_no_better_than_the_web_allows(client, api, other_student, lessons):
    """Another user cannot make the student's URL their own: not for another lesson, not
    after the student signs out, and a web URL (bound to the student's browser session)
    plays nowhere else, with or without a cookie."""
    client.force_login(api.user)
    page = client.get(
        reverse("learning:lesson", args=[lessons[1].section.course.slug, lessons[1].pk])
    )
    web_url = player_of(page).video_url
    assert client.get(web_url).status_code == 200  # in the student's browser
    assert play(web_url).status_code == 403  # without the cookie: the web is not weakened
    other = Client()
    other.force_login(other_student)
    assert other.get(web_url).status_code == 403
    # The other student's own token cannot fetch a URL for a lesson they may not watch.
    problem_of(ApiClient(other_student).get(lesson_url(lessons[1])), 403)


# --- Progress ------------------------------------------------------------------------------------
def test_a_report_saves_position_and_watched_time_as_the_web_does(api, enrolled, lessons):
    response = report(api, lessons[0], position=5, start=0, end=5)
    assert response.status_code == 200
    assert response.json() == {
        "position": 5.0,
        "watched_seconds": 5.0,
        "credited": [0.0, 5.0],
        "completed": False,
        "completed_now": False,
        "course_completed_now": False,
    }
    assert report(api, lessons[0], position=7).json()["credited"] is None  # position only
    progress = LessonProgress.objects.get(user=enrolled, lesson=lessons[0])
    assert (progress.position, progress.watched) == (7, [[0, 5]])


def test_watching_most_of_a_lesson_completes_it(api, enrolled, lessons):
    report(api, lessons[0], position=6, start=0, end=6)
    response = report(api, lessons[0], position=11, start=6, end=11)
    assert response.json()["completed"] and response.json()["completed_now"]
    assert report(api, lessons[0], position=12, start=11, end=12).json()["completed_now"] is False


def test_a_burst_is_credited_only_as_far_as_playback_could_go(api, enrolled, lessons):
    """The real-playback credit clock of learning.services: a first report may cover 10 s
    of wall time at 2× speed plus 2 s of slack; the answer says what counted."""
    began = time.monotonic()
    LessonProgress.objects.create(user=enrolled, lesson=lessons[0], credit_clock=timezone.now())
    response = report(api, lessons[0], after=0, position=12, start=0, end=12)
    elapsed = time.monotonic() - began  # real time passed, credited at 2× (a loaded machine)
    start, end = response.json()["credited"]
    assert start == 0 and end <= 2 + 2 * elapsed + 0.01  # 2 s of slack, and the wall time
    assert end < 12
    assert response.json()["watched_seconds"] == pytest.approx(end, abs=0.1)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"position": -1}, "position"),
        ({"position": 13.5}, "position"),  # past the 12-second video (+1 s of slack)
        ({"position": 1e308}, "position"),
        ({"position": 5, "start": 10, "end": 5}, "end"),  # ends before it starts
        ({"position": 5, "start": -3, "end": 5}, "start"),
        ({"position": 5, "start": 0, "end": 99}, "end"),
        ({"position": 5, "start": 1}, "end"),  # a segment needs both ends
        ({"position": 5, "end": 4}, "start"),
        ({"position": "soon"}, "position"),
        ({"position": None}, "position"),
        ({}, "position"),
        ({"position": 5, "user_id": 1}, "user_id"),  # unknown fields are refused
        ({"position": 5, "watched_seconds": 600}, "watched_seconds"),
        ({"position": 5, "completed": True}, "completed"),
    ],
)
def test_bad_reports_are_422_with_the_field_and_change_nothing(api, enrolled, lessons, data, field):
    report(api, lessons[0], position=10, start=0, end=10)
    response = report(api, lessons[0], after=0, **data)
    errors = problem_of(response, 422)["errors"]
    assert field in {error["field"] for error in errors}
    progress = LessonProgress.objects.get(user=enrolled, lesson=lessons[0])
    assert (progress.position, progress.watched) == (10, [[0, 10]])


@pytest.mark.parametrize(
    "raw",
    ['{"position": NaN}', '{"position": Infinity}', '{"position": 1%s}' % ("0" * 400), "[1]", "{"],
)
def test_reports_that_are_not_numbers_or_not_json_are_refused(api, lessons, raw):
    response = api.post(progress_url(lessons[0]), raw)
    assert response.status_code in (400, 422)
    assert response["Content-Type"] == "application/problem+json"
    assert not LessonProgress.objects.exists()


@pytest.mark.parametrize(
    ("actor", "status"),
    [
        ("anonymous", 401),
        ("other_student", 403),
        ("instructor", 403),  # instructors and staff preview; their progress is not kept
        ("other_instructor", 403),
        ("staff", 403),
    ],
)
def test_only_enrolled_students_report_progress(request, actor, status, lessons):
    api = api_for(request, actor)
    problem_of(api.post(progress_url(lessons[0]), {"position": 5, "start": 0, "end": 5}), status)
    problem_of(api.put(completion_url(lessons[0])), status)
    problem_of(api.delete(completion_url(lessons[0])), status)
    assert not LessonProgress.objects.exists()


def test_progress_in_missing_hidden_and_draft_lessons(api, enrolled, course, instructor):
    hidden = LessonFactory(section=course.sections.first(), is_published=False)
    problem_of(api.post(progress_url(hidden), {"position": 1}), 403)  # the web's answer
    draft_lesson = LessonFactory(section__course=CourseFactory(instructor=instructor))
    problem_of(api.post(progress_url(draft_lesson), {"position": 1}), 404)  # not visible
    for forged in ("99999999", "99999999999999999999", "0", "-5"):
        problem_of(api.post(progress_url(forged), {"position": 1}), 404)
        problem_of(api.put(completion_url(forged)), 404)
    assert not LessonProgress.objects.exists()


# --- Completion -----------------------------------------------------------------------------
def test_mark_complete_twice_and_undo(api, enrolled, course, lessons):
    first = api.put(completion_url(lessons[1]))
    assert first.status_code == 200
    assert first.json() == {
        "lesson_id": lessons[1].pk,
        "completed": True,
        "completed_manually": True,
        "completed_now": True,
        "course_completed_now": False,
        "course_progress": {
            "completed_lessons": 1,
            "total_lessons": 4,
            "percent": 25,
            "completed": False,
            "certificate_code": None,
        },
    }
    again = api.put(completion_url(lessons[1])).json()  # a double submit
    assert again["completed"] and not again["completed_now"]
    assert again["course_progress"]["completed_lessons"] == 1
    undone = api.delete(completion_url(lessons[1])).json()
    assert not undone["completed"] and undone["course_progress"]["percent"] == 0
    assert Enrollment.objects.get(user=enrolled).completed_lessons == 0


def test_completing_the_last_lesson_completes_the_course_once(api, enrolled, lessons):
    for lesson in lessons[:-1]:
        assert not api.put(completion_url(lesson)).json()["course_completed_now"]
    last = api.put(completion_url(lessons[-1])).json()
    assert last["course_completed_now"] is True
    certificate = Certificate.objects.get(user=enrolled)
    assert last["course_progress"]["completed"] is True
    assert last["course_progress"]["certificate_code"] == certificate.code
    assert api.put(completion_url(lessons[-1])).json()["course_completed_now"] is False
    assert Certificate.objects.filter(user=enrolled).count() == 1
    data = api.get(lesson_url(lessons[0])).json()["course_progress"]
    assert data["percent"] == 100 and data["certificate_code"] == certificate.code


# --- Certificates ---------------------------------------------------------------------------
@pytest.fixture
def certificate(enrolled, lessons):
    for lesson in lessons:
        services.set_completed(user=enrolled, lesson=lesson, completed=True)
    return Certificate.objects.get(user=enrolled)


def test_my_certificates_are_mine_and_say_when_revoked(api, certificate, staff, other_student):
    page = api.get(f"{API}/me/certificates").json()
    assert page["count"] == 1
    (item,) = page["results"]
    assert item["code"] == certificate.code and item["valid"] is True
    assert item["course_title"] == certificate.course_title
    assert item["verify_url"] == f"http://testserver/certificates/{certificate.code}/"
    services.revoke_certificate(certificate=certificate, by=staff, reason="Copied work")
    (item,) = api.get(f"{API}/me/certificates").json()["results"]
    assert item["valid"] is False and item["revoked_reason"] == "Copied work"
    assert ApiClient(other_student).get(f"{API}/me/certificates").json()["count"] == 0
    problem_of(ApiClient().get(f"{API}/me/certificates"), 401)


def test_public_verification_shows_what_the_page_shows(client, certificate, course, staff):
    url = f"{API}/certificates/{certificate.code}"
    data = ApiClient().get(url).json()
    assert data == {
        "code": certificate.code,
        "valid": True,
        "student_name": "Sam Student",
        "course_title": course.title,
        "instructor_name": course.instructor.profile.public_name,
        "issued_at": data["issued_at"],
        "revoked_at": None,
        "revoked_reason": "",
        "quiz_score": None,  # the course does not print its final quiz's score
        "course_slug": course.slug,
        "verify_url": f"http://testserver/certificates/{certificate.code}/",
    }
    Certificate.objects.filter(pk=certificate.pk).update(quiz_score=Decimal("83.33"))
    assert ApiClient().get(url).json()["quiz_score"] == 83.33
    page = client.get(reverse("learning:verify_certificate", args=[certificate.code]))
    text = page.content.decode()
    for fact in ("Sam Student", course.title, data["instructor_name"], certificate.code):
        assert fact in text
    services.revoke_certificate(certificate=certificate, by=staff, reason="Copied work")
    course.unpublish()
    data = ApiClient().get(url).json()
    assert data["valid"] is False and data["revoked_reason"] == "Copied work"
    assert data["revoked_at"] is not None and data["course_slug"] is None
    assert "This certificate was revoked" in client.get(page.request["PATH_INFO"]).content.decode()


@pytest.mark.parametrize("code", ["no-such-code", "x" * 500, "%00", "a%00b", "%E2%9C%93"])
def test_unknown_certificate_codes_are_404_on_the_api_and_the_web(client, code):
    """Never a 500: PostgreSQL refuses a NUL byte in a query, so it must not get one."""
    problem_of(ApiClient().get(f"{API}/certificates/{code}"), 404)
    assert client.get(f"/certificates/{code}/").status_code == 404


# --- The same answers as the web ----------------------------------------------------------------
OK, LOGIN, REFUSED, MISSING = "ok", "login", "refused", "missing"
API_OUTCOMES = {200: OK, 201: OK, 204: OK, 401: LOGIN, 403: REFUSED, 404: MISSING}


@pytest.fixture
def world(instructor, student, course, lessons):
    """`student` is enrolled in `course` (the instructor's, free); `paid` and `draft` are
    the instructor's too; `foreign` is a lesson of someone else's course."""
    services.enroll(user=student, course=course)
    paid = published_course(instructor=instructor, price=Decimal("20.00"), with_video=True)
    draft = CourseFactory(instructor=instructor)
    foreign = course_lessons(published_course(with_video=True))[0]
    return {
        "course": (course, lessons[1]),
        "preview": (course, lessons[0]),
        "hidden": (
            course,
            LessonFactory(section=lessons[0].section, is_published=False, with_video=True),
        ),
        "foreign": (course, foreign),
        "paid": (paid, course_lessons(paid)[0]),
        "draft": (draft, LessonFactory(section__course=draft, with_video=True)),
        "missing": (Course(slug="no-such-course"), Lesson(pk=99999999)),
    }


def web_outcome(action, response, course, lesson) -> str:
    if response.status_code == 200:
        return OK
    if response.status_code in (403, 404):
        return {403: REFUSED, 404: MISSING}[response.status_code]
    assert response.status_code == 302, response
    if response.url.startswith(reverse("account_login")):
        return LOGIN
    levels = {message.level_tag for message in get_messages(response.wsgi_request)}
    if action == "enrol":
        return OK if response.url == reverse("learning:continue", args=[course.slug]) else REFUSED
    if action == "leave":
        return OK if "success" in levels else REFUSED if "error" in levels else MISSING
    if action == "complete":
        assert response.url == reverse("learning:lesson", args=[course.slug, lesson.pk])
        return OK
    assert action == "watch" and response.url == course.get_absolute_url()
    return REFUSED  # back to the course page, to enrol


def web_request(action, client, user, course, lesson):
    if action == "enrol":
        return client.post(reverse("learning:enroll", args=[course.slug]))
    if action == "leave":
        return client.post(reverse("learning:unenroll", args=[course.slug]))
    if action == "watch":  # the player; anonymous visitors have the preview page
        name = "learning:lesson" if user.is_authenticated else "learning:preview"
        return client.get(reverse(name, args=[course.slug, lesson.pk]))
    if action == "progress":
        return client.post(
            reverse("learning:progress", args=[lesson.pk]),
            json.dumps({"position": 1}),
            content_type="application/json",
        )
    return client.post(reverse("learning:complete", args=[lesson.pk]), {"completed": "1"})


def api_request(action, api, course, lesson):
    if action in ("enrol", "leave"):
        method = api.post if action == "enrol" else api.delete
        return method(f"{API}/courses/{course.slug}/enrollment")
    if action == "watch":
        return api.get(f"{API}/courses/{course.slug}/lessons/{lesson.pk}")
    if action == "progress":
        return api.post(progress_url(lesson.pk), {"position": 1})
    return api.put(completion_url(lesson.pk))


def rolled_back(send):
    """Send a request and undo what it wrote, so the next one starts from the same state."""
    with transaction.atomic():
        response = send()
        transaction.set_rollback(True)
    return response


# (action, situation): the answers for ACTORS (anonymous, student enrolled in `course`,
# other student, the courses' instructor, another instructor, staff). Web and API agree.
SAME_ANSWERS = {
    ("enrol", "course"): (LOGIN, OK, OK, OK, OK, OK),
    ("enrol", "paid"): (LOGIN, REFUSED, REFUSED, REFUSED, REFUSED, REFUSED),
    ("enrol", "draft"): (LOGIN, MISSING, MISSING, REFUSED, MISSING, REFUSED),
    ("enrol", "missing"): (LOGIN, MISSING, MISSING, MISSING, MISSING, MISSING),
    ("leave", "course"): (LOGIN, OK, MISSING, MISSING, MISSING, MISSING),
    ("leave", "paid"): (LOGIN, REFUSED, REFUSED, REFUSED, REFUSED, REFUSED),
    ("leave", "draft"): (LOGIN, MISSING, MISSING, MISSING, MISSING, MISSING),
    ("watch", "preview"): (OK, OK, OK, OK, OK, OK),
    ("watch", "course"): (REFUSED, OK, REFUSED, OK, REFUSED, OK),
    ("watch", "hidden"): (REFUSED, REFUSED, REFUSED, OK, REFUSED, OK),
    ("watch", "paid"): (REFUSED, REFUSED, REFUSED, OK, REFUSED, OK),
    ("watch", "draft"): (MISSING, MISSING, MISSING, OK, MISSING, OK),
    ("watch", "foreign"): (MISSING, MISSING, MISSING, MISSING, MISSING, MISSING),
    ("watch", "missing"): (MISSING, MISSING, MISSING, MISSING, MISSING, MISSING),
    ("progress", "course"): (LOGIN, OK, REFUSED, REFUSED, REFUSED, REFUSED),
    ("progress", "preview"): (LOGIN, OK, REFUSED, REFUSED, REFUSED, REFUSED),
    ("progress", "hidden"): (LOGIN, REFUSED, REFUSED, REFUSED, REFUSED, REFUSED),
    ("progress", "draft"): (LOGIN, MISSING, MISSING, REFUSED, MISSING, REFUSED),
    ("progress", "missing"): (LOGIN, MISSING, MISSING, MISSING, MISSING, MISSING),
    ("complete", "course"): (LOGIN, OK, REFUSED, REFUSED, REFUSED, REFUSED),
    ("complete", "hidden"): (LOGIN, REFUSED, REFUSED, REFUSED, REFUSED, REFUSED),
    ("complete", "draft"): (LOGIN, MISSING, MISSING, REFUSED, MISSING, REFUSED),
    ("complete", "missing"): (LOGIN, MISSING, MISSING, MISSING, MISSING, MISSING),
}


@pytest.mark.parametrize("actor", ACTORS)
def test_the_api_answers_as_the_web_does(request, actor, world):
    user = request.getfixturevalue(actor)
    api = ApiClient(user if user.is_authenticated else None)
    index = ACTORS.index(actor)
    differences = []
    for (action, situation), answers in SAME_ANSWERS.items():
        course, lesson = world[situation]
        client = Client()  # a new browser each time: no message left from the previous
        if user.is_authenticated:
            client.force_login(user)
        web = web_outcome(
            action,
            rolled_back(lambda: web_request(action, client, user, course, lesson)),  # noqa: B023
            course,
            lesson,
        )
        response = rolled_back(lambda: api_request(action, api, course, lesson))  # noqa: B023
        got = API_OUTCOMES[response.status_code]
        if not (web == got == answers[index]):
            differences.append(
                (action, situation, f"web {web}, api {got}, expected {answers[index]}")
            )
    assert differences == []


# --- Query budgets ------------------------------------------------------------------------------
# Every token request loads the session behind the token (from the cache; one query more
# when it has fallen out) and the user. Then:
MY_COURSES_QUERIES = 3  # count, page (progress, Continue, certificate are subqueries)
MY_CERTIFICATES_QUERIES = 3  # count, page
LESSON_QUERIES = 6  # course with "enrolled?", sections, lessons, progress rows, captions
PROGRESS_QUERIES = 3  # lesson with "enrolled?" and the progress row; its guarded update


@pytest.mark.parametrize("size", [2, 20])
def test_my_courses_query_budget(student, size, django_assert_max_num_queries):
    category, instructor = CategoryFactory(), CourseFactory().instructor
    for _ in range(size):
        item = published_course(category=category, instructor=instructor, lessons=2)
        services.enroll(user=student, course=item)
        services.set_completed(user=student, lesson=course_lessons(item)[0], completed=True)
    api = ApiClient(student)
    with django_assert_max_num_queries(MY_COURSES_QUERIES):
        response = api.get(f"{API}/me/courses", {"page_size": 50})
    assert [item["progress_percent"] for item in response.json()["results"]] == [50] * size


@pytest.mark.parametrize("size", [2, 20])
def test_my_certificates_query_budget(student, size, django_assert_max_num_queries):
    for _ in range(size):
        item = published_course(lessons=1)
        services.enroll(user=student, course=item)
        services.set_completed(user=student, lesson=course_lessons(item)[0], completed=True)
    api = ApiClient(student)
    with django_assert_max_num_queries(MY_CERTIFICATES_QUERIES):
        response = api.get(f"{API}/me/certificates", {"page_size": 50})
    assert len({item["course_slug"] for item in response.json()["results"]}) == size


@pytest.mark.parametrize("size", ["small", "big"])
def test_lesson_query_budget(student, course, size, django_assert_max_num_queries):
    if size == "big":
        lesson, done, languages = big_course(student)[310], 300, ["de", "en", "fr", "pt-br"]
        Lesson.objects.filter(pk=lesson.pk).update(video="videos/big.mp4")
    else:
        services.enroll(user=student, course=course)
        lesson, done, languages = course_lessons(course)[1], 0, ["en"]
    for language in languages:
        add_caption(lesson, language)
    api, url = ApiClient(student), lesson_url(lesson)
    with django_assert_max_num_queries(LESSON_QUERIES):
        response = api.get(url)
    assert response.json()["course_progress"]["completed_lessons"] == done
    assert [caption["language"] for caption in response.json()["captions"]] == languages


def test_progress_report_query_budget(api, lessons, django_assert_max_num_queries):
    report(api, lessons[0], position=1, start=0, end=1)  # creates the row
    for position in (3, 5):
        let_time_pass(api.user.pk, lessons[0], 2)
        with django_assert_max_num_queries(PROGRESS_QUERIES):
            response = api.post(
                progress_url(lessons[0]),
                {"position": position, "start": position - 2, "end": position},
            )
        assert response.json()["watched_seconds"] == position


# --- Races (PostgreSQL) ---------------------------------------------------------------------------
def in_threads(target, args_list):
    barrier = threading.Barrier(len(args_list))
    results = []

    def run(*args):
        try:
            barrier.wait()
            results.append(target(*args))
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=args) for args in args_list]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_reports_through_the_api_keep_every_segment():
    if connection.vendor != "postgresql":
        pytest.skip("a real race needs PostgreSQL (CI's second run); SQLite serialises writers")
    user = UserFactory()
    course = published_course(sections=1, lessons=1)  # one 60-second lesson
    lesson = Lesson.objects.get(section__course=course)
    services.enroll(user=user, course=course)
    LessonProgress.objects.create(  # six 5-second reports' worth of wall time has passed
        user=user, lesson=lesson, credit_clock=timezone.now() - timedelta(seconds=30)
    )
    token = ApiClient(user).token

    def send(start):
        data = {"position": start + 5, "start": start, "end": start + 5}
        return ApiClient(token=token).post(progress_url(lesson), data).status_code

    assert in_threads(send, [(s,) for s in (0, 10, 20, 30, 40, 50)]) == [200] * 6
    progress = LessonProgress.objects.get(user=user, lesson=lesson)
    assert progress.watched_seconds == 30  # no report's segment was lost
    assert len(progress.watched) == 6


@pytest.mark.django_db(transaction=True)
def test_concurrent_enrolments_through_the_api_make_one():
    if connection.vendor != "postgresql":
        pytest.skip("a real race needs PostgreSQL (CI's second run); SQLite serialises writers")
    user = UserFactory()
    course = published_course()
    token = ApiClient(user).token

    def enrol():
        return ApiClient(token=token).post(enrol_url(course)).status_code

    assert sorted(in_threads(enrol, [()] * 6)) == [200] * 5 + [201]
    assert Enrollment.objects.filter(user=user, course=course).count() == 1
    course.refresh_from_db()
    assert course.enrollment_count == 1


# --- The schema ---------------------------------------------------------------------------------
def test_the_schema_declares_each_learning_operation_and_its_errors():
    schema = Client().get(f"{API}/openapi.json").json()
    operations = {
        operation["operationId"]: operation["responses"]
        for path in schema["paths"].values()
        for operation in path.values()
    }
    # 400: an operation that takes a body answers one it cannot parse (lms/api.py).
    expected = {
        "enroll": {"200", "201", "401", "403", "404"},
        "unenroll": {"204", "401", "403", "404"},
        "list_my_courses": {"200", "401", "422"},
        "get_lesson": {"200", "401", "403", "404", "422"},
        "report_progress": {"200", "400", "401", "403", "404", "422"},
        "complete_lesson": {"200", "401", "403", "404", "422"},
        "uncomplete_lesson": {"200", "401", "403", "404", "422"},
        "list_my_certificates": {"200", "401", "422"},
        "verify_certificate": {"200", "401", "404"},
    }
    assert {name: set(operations[name]) for name in expected} == expected
