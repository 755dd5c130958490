"""The progress heartbeat (the player's report every few seconds, and the app's): what a
report costs in round trips at two data sizes, the general path for the reports that
need more (a first report, a new day, a completion, anyone the rules refuse), double
submits, and concurrent reports on PostgreSQL."""

import json
import threading
from datetime import timedelta

import pytest
from django.db import close_old_connections, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.tests.api_client import ApiClient
from accounts.tests.factories import UserFactory
from catalog.models import Course, Lesson
from catalog.tests.factories import published_course
from learning import services
from learning.models import ActivityDay, Enrollment, LessonProgress
from learning.tests.factories import big_course
from learning.tests.test_progress import let_time_pass

pytestmark = pytest.mark.django_db

# After sign-in (the session or the token's session comes from the cache; the user is
# one query): the heartbeat's read (lesson, course, "enrolled?", the progress row) and
# its guarded UPDATE. No transaction, no savepoint, no lock.
HEARTBEAT_QUERIES = 3


@pytest.fixture
def course():
    return published_course(sections=1, lessons=2)  # two 60-second lessons


@pytest.fixture
def lessons(course):
    return list(Lesson.objects.filter(section__course=course).order_by("order"))


@pytest.fixture
def enrolled(student, course):
    services.enroll(user=student, course=course)
    return student


def web_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def send(via, lesson, **data):
    """One report, from the player (``via`` a logged-in Client) or an app (an ApiClient)."""
    if isinstance(via, ApiClient):
        return via.post(f"/api/v1/lessons/{lesson.pk}/progress", data)
    return via.post(
        reverse("learning:progress", args=[lesson.pk]),
        json.dumps(data),
        content_type="application/json",
    )


def reporter(kind: str, user):
    return ApiClient(user) if kind == "api" else web_client(user)


def row(user, lesson) -> LessonProgress:
    return LessonProgress.objects.get(user=user, lesson=lesson)


# --- Round trips ----------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["web", "api"])
@pytest.mark.parametrize("size", ["small", "big"])
def test_a_report_costs_a_read_and_an_update(student, course, kind, size):
    """The same statements on a 2-lesson course and on a 600-lesson one with 300 done."""
    if size == "big":
        lesson = big_course(student)[310]
    else:
        services.enroll(user=student, course=course)
        lesson = Lesson.objects.filter(section__course=course).first()
    via = reporter(kind, student)
    send(via, lesson, position=1, start=0, end=1)  # the first report creates the row
    let_time_pass(student.pk, lesson, 4)
    with CaptureQueriesContext(connection) as captured:
        response = send(via, lesson, position=5, start=1, end=5)
    assert response.status_code == 200, response.content
    assert response.json()["watched_seconds"] == 5
    statements = [query["sql"] for query in captured]
    assert len(statements) == HEARTBEAT_QUERIES, statements
    assert not any("SAVEPOINT" in sql or "FOR UPDATE" in sql for sql in statements)
    writes = [sql for sql in statements if not sql.lstrip().startswith("SELECT")]
    assert len(writes) == 1 and "UPDATE learning_lessonprogress" in writes[0]
    assert row(student, lesson).watched == [[0.0, 5.0]]


def test_the_api_budget_matches_the_web(enrolled, lessons, django_assert_num_queries):
    """The token costs no more than the session: its session from the cache, the user."""
    api = ApiClient(enrolled)
    send(api, lessons[0], position=1)
    with django_assert_num_queries(HEARTBEAT_QUERIES):
        assert send(api, lessons[0], position=2).status_code == 200


# --- The general path, where a report needs more ------------------------------------------------
def test_the_first_report_creates_the_row_and_the_days_activity(client, enrolled, lessons, course):
    client.force_login(enrolled)
    assert send(client, lessons[0], position=3).status_code == 200
    assert row(enrolled, lessons[0]).position == 3
    assert ActivityDay.objects.filter(user=enrolled, course=course).count() == 1


def test_the_first_report_of_a_new_day_records_that_day(client, enrolled, lessons, course):
    client.force_login(enrolled)
    send(client, lessons[0], position=3)
    yesterday = timezone.now() - timedelta(days=1)
    LessonProgress.objects.filter(user=enrolled).update(updated_at=yesterday)
    ActivityDay.objects.filter(user=enrolled).update(day=timezone.localdate(yesterday))
    send(client, lessons[0], position=4)
    send(client, lessons[0], position=5)  # the same day again: one row per day
    days = ActivityDay.objects.filter(user=enrolled, course=course).values_list("day", flat=True)
    assert sorted(days) == [timezone.localdate(yesterday), timezone.localdate()]


@pytest.mark.parametrize("kind", ["web", "api"])
def test_a_completing_report_keeps_the_rollups(enrolled, lessons, course, kind):
    via = reporter(kind, enrolled)
    send(via, lessons[0], position=1)
    let_time_pass(enrolled.pk, lessons[0], 60)
    answer = send(via, lessons[0], position=55, start=0, end=55).json()  # 55 of 60 s: 92 %
    assert answer["completed"] and answer["completed_now"]
    assert not answer["course_completed_now"]
    assert Enrollment.objects.get(user=enrolled, course=course).completed_lessons == 1
    send(via, lessons[1], position=1)
    let_time_pass(enrolled.pk, lessons[1], 60)
    answer = send(via, lessons[1], position=60, start=0, end=60).json()
    assert answer["course_completed_now"]
    enrollment = Enrollment.objects.get(user=enrolled, course=course)
    assert enrollment.completed_lessons == 2 and enrollment.completed_at is not None
    assert enrolled.certificates.filter(course=course).count() == 1


def leave(user, course, lesson):
    services.unenroll(user=user, course=course)


def unpublish_lesson(user, course, lesson):
    Lesson.objects.filter(pk=lesson.pk).update(is_published=False)


def unpublish_course(user, course, lesson):
    Course.objects.filter(pk=course.pk).update(status=Course.Status.DRAFT)


def make_sequential(user, course, lesson):
    """The second lesson closes: the first is not completed."""
    Course.objects.filter(pk=course.pk).update(pacing=Course.Pacing.SEQUENTIAL)


@pytest.mark.parametrize("kind", ["web", "api"])
@pytest.mark.parametrize(
    ("change", "status"),
    [(leave, 403), (unpublish_lesson, 403), (unpublish_course, 404), (make_sequential, 403)],
)
def test_a_row_from_before_grants_nothing(enrolled, lessons, course, kind, change, status):
    """The student has a progress row (kept after leaving, unpublishing, a lock): the
    report is refused as the getter refuses it, and the row is left as it was."""
    via = reporter(kind, enrolled)
    assert send(via, lessons[1], position=2).status_code == 200
    before = row(enrolled, lessons[1])
    change(enrolled, course, lessons[1])
    assert send(via, lessons[1], position=9, start=2, end=9).status_code == status
    after = row(enrolled, lessons[1])
    assert (after.position, after.watched, after.version) == (2, [], before.version)


@pytest.mark.parametrize("kind", ["web", "api"])
def test_other_people_cannot_write_into_a_students_row(enrolled, lessons, other_student, kind):
    via = reporter(kind, enrolled)
    send(via, lessons[0], position=2)
    stranger = reporter(kind, other_student)
    assert send(stranger, lessons[0], position=9).status_code == 403
    assert row(enrolled, lessons[0]).position == 2
    assert not LessonProgress.objects.filter(user=other_student).exists()


def test_bad_reports_change_nothing_on_the_fast_path(client, enrolled, lessons):
    client.force_login(enrolled)
    send(client, lessons[0], position=2)
    before = row(enrolled, lessons[0])
    for data in ({"position": 99}, {"position": 5, "start": 6, "end": 5}, {"position": -1}):
        assert send(client, lessons[0], **data).status_code == 400
    assert row(enrolled, lessons[0]).version == before.version


# --- Double submits -----------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["web", "api"])
def test_a_report_sent_twice_counts_once(enrolled, lessons, kind):
    """A retried fetch or a beacon after a fetch: the same segment twice adds nothing."""
    via = reporter(kind, enrolled)
    send(via, lessons[0], position=1)
    let_time_pass(enrolled.pk, lessons[0], 10)
    first = send(via, lessons[0], position=10, start=0, end=10).json()
    again = send(via, lessons[0], position=10, start=0, end=10).json()
    assert first["watched_seconds"] == again["watched_seconds"] == 10
    assert row(enrolled, lessons[0]).watched == [[0.0, 10.0]]


def test_a_completion_sent_twice_completes_once(client, enrolled, lessons, course):
    client.force_login(enrolled)
    send(client, lessons[0], position=1)
    let_time_pass(enrolled.pk, lessons[0], 60)
    answers = [send(client, lessons[0], position=58, start=0, end=58).json() for _ in range(2)]
    assert [a["completed_now"] for a in answers] == [True, False]
    assert all(a["completed"] for a in answers)
    assert Enrollment.objects.get(user=enrolled, course=course).completed_lessons == 1


# --- Races (PostgreSQL) ---------------------------------------------------------------------------
def race(calls) -> list:
    """Run ``calls`` at the same moment, each in its own thread and connection."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def needs_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("a real race needs PostgreSQL (CI's second run); SQLite serialises writers")


@pytest.mark.django_db(transaction=True)
def test_concurrent_heartbeats_and_double_submits_keep_every_segment():
    """Six segments, each sent twice at once: every read sees the same version, one
    UPDATE wins, the others find it changed and apply their report to the fresh row."""
    needs_postgresql()
    user = UserFactory()
    course = published_course(sections=1, lessons=1)  # a 60-second lesson
    lesson = Lesson.objects.get(section__course=course)
    services.enroll(user=user, course=course)
    services.report_progress(user=user, lesson_pk=lesson.pk, position=0)
    LessonProgress.objects.filter(user=user).update(  # six 5-second reports' worth of time
        credit_clock=timezone.now() - timedelta(seconds=30)
    )

    def report(start):
        return lambda: services.report_progress(
            user=user, lesson_pk=lesson.pk, position=start + 5, segment=(start, start + 5)
        )

    race([report(start) for start in (0, 10, 20, 30, 40, 50) for _ in range(2)])
    progress = row(user, lesson)
    assert progress.watched_seconds == 30  # no segment lost, none counted twice
    assert len(progress.watched) == 6
    assert progress.completed_at is None


@pytest.mark.django_db(transaction=True)
def test_concurrent_completing_reports_complete_once():
    """Two tabs send the report that completes the lesson (and the course) at once."""
    needs_postgresql()
    user = UserFactory()
    course = published_course(sections=1, lessons=1)
    lesson = Lesson.objects.get(section__course=course)
    services.enroll(user=user, course=course)
    services.report_progress(user=user, lesson_pk=lesson.pk, position=0)
    for _ in range(3):
        LessonProgress.objects.filter(user=user).update(
            completed_at=None, watched=[], watched_seconds=0, credit_clock=None
        )
        Enrollment.objects.filter(user=user).update(completed_lessons=0)
        LessonProgress.objects.filter(user=user).update(
            credit_clock=timezone.now() - timedelta(seconds=60)
        )
        results = race(
            [
                lambda: services.report_progress(
                    user=user, lesson_pk=lesson.pk, position=58, segment=(0, 58)
                )
            ]
            * 4
        )
        assert sum(result.lesson_completed_now for result in results) == 1
        assert row(user, lesson).completed_at is not None
        assert Enrollment.objects.get(user=user).completed_lessons == 1
    assert user.certificates.count() == 1
