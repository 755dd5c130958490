"""Progress: watched segments, automatic and manual completion, course percentage, resume."""

import json
import threading
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.db import close_old_connections, connection
from django.urls import reverse
from django.utils import timezone

from catalog.models import Lesson
from catalog.tests.factories import CourseFactory, LessonFactory, SectionFactory, published_course
from learning import services
from learning.models import Certificate, Enrollment, LessonProgress, merge_segment, percent

pytestmark = pytest.mark.django_db


@pytest.fixture
def course():
    return published_course(sections=1, lessons=4)  # four 60-second lessons


@pytest.fixture
def lessons(course):
    return list(Lesson.objects.filter(section__course=course).order_by("order"))


@pytest.fixture
def enrolled(student, course):
    services.enroll(user=student, course=course)
    return student


def let_time_pass(user_id, lesson, seconds: float) -> None:
    """``seconds`` of wall time pass for the playback credit clock, without sleeping: the
    clock is moved back, as if the previous report had come that much earlier."""
    if not Enrollment.objects.filter(user_id=user_id, course=lesson.section.course).exists():
        return  # the report will be refused: no clock to move
    progress, _ = LessonProgress.objects.get_or_create(user_id=user_id, lesson=lesson)
    clock = progress.credit_clock or timezone.now()
    LessonProgress.objects.filter(pk=progress.pk).update(
        credit_clock=clock - timedelta(seconds=seconds)
    )


def report(client, lesson, *, after: float | None = None, **data):
    """The player's report. ``after``: the wall time since the previous report (by
    default the segment's length: playback at normal speed)."""
    if after is None and "start" in data and "end" in data:
        after = max(0, data["end"] - data["start"])
    if after:
        let_time_pass(client.session["_auth_user_id"], lesson, after)
    return client.post(
        reverse("learning:progress", args=[lesson.pk]),
        json.dumps(data),
        content_type="application/json",
    )


def course_percent(user, course) -> int:
    course.refresh_from_db()
    return Enrollment.objects.with_progress().get(user=user, course=course).progress_percent


# --- The maths ----------------------------------------------------------------------------
def test_segments_merge_into_a_union():
    segments = merge_segment([], 0, 10)
    segments = merge_segment(segments, 20, 30)
    segments = merge_segment(segments, 5, 12)
    assert segments == [[0, 12], [20, 30]]
    assert merge_segment(segments, 12, 20) == [[0, 30]]  # touching pieces join
    assert merge_segment(segments, 12.3, 20) == [[0, 12], [12.3, 30]]  # a gap stays a gap


@pytest.mark.parametrize(
    ("done", "total", "expected"), [(0, 0, 0), (0, 5, 0), (1, 3, 33), (3, 3, 100), (4, 3, 100)]
)
def test_percent_is_bounded(done, total, expected):
    assert percent(done, total) == expected


# --- Watching -------------------------------------------------------------------------------
def test_watching_saves_position_and_watched_time(client, enrolled, lessons):
    client.force_login(enrolled)
    response = report(client, lessons[0], position=10, start=0, end=10)
    assert response.status_code == 200
    assert response.json()["watched_seconds"] == 10
    progress = LessonProgress.objects.get(user=enrolled, lesson=lessons[0])
    assert progress.position == 10 and progress.watched == [[0, 10]]
    assert not progress.is_complete


def test_skipping_to_the_end_does_not_count_as_watching(client, enrolled, lessons):
    client.force_login(enrolled)
    report(client, lessons[0], position=2, start=0, end=2)
    report(client, lessons[0], position=59, start=55, end=59)  # jumped ahead, watched 4 s
    progress = LessonProgress.objects.get(user=enrolled, lesson=lessons[0])
    assert progress.watched_seconds == 6
    assert progress.position == 59
    assert not progress.is_complete


def test_a_lesson_completes_at_ninety_percent_watched(client, enrolled, lessons, course):
    client.force_login(enrolled)
    for start in range(0, 50, 10):
        assert not report(
            client, lessons[0], position=start + 10, start=start, end=start + 10
        ).json()["completed"]
    body = report(client, lessons[0], position=54, start=50, end=54).json()  # 54 of 60 s
    assert body["completed"] and body["completed_now"]
    assert course_percent(enrolled, course) == 25


def test_rewatching_the_same_part_adds_nothing(client, enrolled, lessons):
    client.force_login(enrolled)
    for _ in range(10):
        report(client, lessons[0], position=30, start=0, end=30)
    assert LessonProgress.objects.get(user=enrolled, lesson=lessons[0]).watched_seconds == 30


def test_the_threshold_is_a_setting(client, enrolled, lessons, settings):
    settings.LESSON_COMPLETE_RATIO = 0.5
    client.force_login(enrolled)
    report(client, lessons[0], position=30, start=0, end=30)
    assert LessonProgress.objects.get(user=enrolled, lesson=lessons[0]).is_complete


@pytest.mark.parametrize(
    "data",
    [
        {"position": -1},
        {"position": 61.5},
        {"position": 5, "start": 10, "end": 5},
        {"position": 5, "start": -3, "end": 5},
        {"position": 5, "start": 0, "end": 99},
        {"position": "soon"},
        {},
    ],
)
def test_bad_reports_are_refused_and_change_nothing(client, enrolled, lessons, data):
    client.force_login(enrolled)
    report(client, lessons[0], position=12, start=0, end=12)
    response = report(client, lessons[0], **data)
    assert response.status_code == 400
    progress = LessonProgress.objects.get(user=enrolled, lesson=lessons[0])
    assert (progress.position, progress.watched) == (12, [[0, 12]])


def test_form_encoded_reports_work_for_sendbeacon(client, enrolled, lessons):
    client.force_login(enrolled)
    response = client.post(
        reverse("learning:progress", args=[lessons[0].pk]),
        {"position": "7.5", "start": "2.5", "end": "7.5"},
    )
    assert response.status_code == 200
    assert LessonProgress.objects.get(user=enrolled, lesson=lessons[0]).watched_seconds == 5


@pytest.mark.parametrize("actor", ["student", "other_instructor", "instructor", "staff"])
def test_progress_needs_enrolment(client, request, actor, lessons, course):
    user = request.getfixturevalue(actor)
    if actor == "instructor":
        course.instructor = user
        course.save()
    client.force_login(user)
    assert report(client, lessons[0], position=5, start=0, end=5).status_code == 403
    response = client.post(reverse("learning:complete", args=[lessons[0].pk]), {"completed": "1"})
    assert response.status_code == 403
    assert not LessonProgress.objects.exists()


def test_progress_needs_login(client, lessons):
    response = report(client, lessons[0], position=5)
    assert response.status_code == 302
    assert not LessonProgress.objects.exists()


def test_progress_in_an_unpublished_lesson_is_refused(client, enrolled, course):
    hidden = LessonFactory(section=course.sections.first(), is_published=False)
    client.force_login(enrolled)
    assert report(client, hidden, position=1).status_code == 403


# --- Manual completion and the course percentage ------------------------------------------
def test_mark_complete_and_undo(client, enrolled, lessons, course):
    client.force_login(enrolled)
    url = reverse("learning:complete", args=[lessons[1].pk])
    client.post(url, {"completed": "1"})
    progress = LessonProgress.objects.get(user=enrolled, lesson=lessons[1])
    assert progress.is_complete and progress.completed_manually
    assert course_percent(enrolled, course) == 25
    client.post(url, {"completed": "1"})  # double click: still one completion
    assert course_percent(enrolled, course) == 25
    client.post(url, {"completed": "0"})
    assert not LessonProgress.objects.get(user=enrolled, lesson=lessons[1]).is_complete
    assert course_percent(enrolled, course) == 0


def test_htmx_mark_complete_returns_the_status_fragment(client, enrolled, lessons):
    client.force_login(enrolled)
    response = client.post(
        reverse("learning:complete", args=[lessons[0].pk]),
        {"completed": "1"},
        HTTP_HX_REQUEST="true",
    )
    page = response.content.decode()
    assert "<html" not in page
    assert page.lstrip().startswith('<div id="lesson-status"')
    assert "25 % of the course" in page
    assert f'id="tick-{lessons[0].pk}" data-hx-swap-oob="true"' in page


def test_percentage_follows_lessons_added_and_removed(enrolled, lessons, course):
    for lesson in lessons:
        services.set_completed(user=enrolled, lesson=lesson, completed=True)
    assert course_percent(enrolled, course) == 100
    extra = LessonFactory(section=course.sections.first())
    assert course_percent(enrolled, course) == 80
    extra.delete()
    lessons[0].delete()
    assert course_percent(enrolled, course) == 100  # 3 of 3, never above
    hidden = lessons[1]
    hidden.is_published = False
    hidden.save()
    assert course_percent(enrolled, course) == 100  # 2 of 2 published


def test_empty_course_is_zero_percent(student):
    course = CourseFactory(published=True)
    SectionFactory(course=course)
    enrollment = Enrollment.objects.create(user=student, course=course)
    assert Enrollment.objects.with_progress().get(pk=enrollment.pk).progress_percent == 0


def test_course_completion_is_recorded_once(enrolled, lessons, course):
    results = [
        services.set_completed(user=enrolled, lesson=lesson, completed=True) for lesson in lessons
    ]
    assert [r.course_completed_now for r in results] == [False, False, False, True]
    first = Enrollment.objects.get(user=enrolled, course=course).completed_at
    services.set_completed(user=enrolled, lesson=lessons[0], completed=False)
    again = services.set_completed(user=enrolled, lesson=lessons[0], completed=True)
    assert not again.course_completed_now
    assert Enrollment.objects.get(user=enrolled, course=course).completed_at == first


def test_real_playback_at_double_speed_with_a_late_timer_counts(client, enrolled, lessons):
    """60 s of media at 2× in 30 s of wall time (a timer that fired late): all of it."""
    client.force_login(enrolled)
    report(client, lessons[0], position=2, start=0, end=2)
    response = report(client, lessons[0], position=58, start=2, end=58, after=28)
    assert response.status_code == 200
    assert response.json()["credited"] == [2, 58]
    assert LessonProgress.objects.get(user=enrolled, lesson=lessons[0]).watched == [[0, 58]]


def test_a_burst_of_reports_counts_only_what_playback_could_have_covered(client, enrolled, lessons):
    """Forged or replayed in quick succession, segments earn no more than the fastest
    playback speed allows for the wall time that passed (plus a little slack, once)."""
    client.force_login(enrolled)
    began = time.monotonic()
    report(client, lessons[0], position=5, start=0, end=5, after=5)
    for start in range(5, 55, 10):  # five 10-second reports at once
        assert (
            report(
                client, lessons[0], position=start + 10, start=start, end=start + 10, after=0
            ).status_code
            == 200
        )
    # The real time the burst took is credit too (at the fastest speed): on a loaded
    # machine five requests can take a second.
    elapsed = time.monotonic() - began
    progress = LessonProgress.objects.get(user=enrolled, lesson=lessons[0])
    most = (5 + elapsed) * services.MAX_PLAYBACK_RATE + services.CREDIT_SLACK_SECONDS
    assert 5 <= progress.watched_seconds <= most + 0.01
    assert progress.watched_seconds < 5 + 5 * 10  # far from what the burst claimed
    assert not progress.is_complete


def test_many_tiny_reports_with_gaps_do_not_count_the_gaps(client, enrolled, lessons):
    client.force_login(enrolled)
    for n in range(20):  # 1 s watched, 0.4 s skipped, twenty times
        report(client, lessons[0], position=n * 1.4 + 1, start=n * 1.4, end=n * 1.4 + 1, after=1.4)
    progress = LessonProgress.objects.get(user=enrolled, lesson=lessons[0])
    assert progress.watched_seconds == pytest.approx(20)
    assert len(progress.watched) == 20


def test_replays_cost_no_credit(client, enrolled, lessons):
    """Re-sent segments (a retry after an outage, a rewatch) add nothing and spend
    nothing: the next new segment still counts in full."""
    client.force_login(enrolled)
    report(client, lessons[0], position=20, start=0, end=20)
    for _ in range(10):
        report(client, lessons[0], position=20, start=0, end=20, after=0)
    response = report(client, lessons[0], position=30, start=20, end=30, after=5)  # at 2×
    assert response.json()["credited"] == [20, 30]
    assert LessonProgress.objects.get(user=enrolled, lesson=lessons[0]).watched_seconds == 30


def test_segments_held_back_by_an_outage_count_when_they_arrive(client, enrolled, lessons):
    """The player keeps unacknowledged segments and sends them after the next success."""
    client.force_login(enrolled)
    report(client, lessons[0], position=5, start=0, end=5)
    # 40 s later the server answers again: the live report, then the held-back ones.
    report(client, lessons[0], position=45, start=40, end=45, after=40)
    for start in (5, 15, 25, 35):
        report(client, lessons[0], position=45, start=start, end=start + 5, after=0)
    progress = LessonProgress.objects.get(user=enrolled, lesson=lessons[0])
    assert progress.watched == [[0, 10], [15, 20], [25, 30], [35, 45]]


def test_re_enrolling_after_completing_records_the_completion_again(enrolled, lessons, course):
    for lesson in lessons:
        services.set_completed(user=enrolled, lesson=lesson, completed=True)
    certificate = Certificate.objects.get(user=enrolled, course=course)
    services.unenroll(user=enrolled, course=course)
    mail.outbox.clear()

    services.enroll(user=enrolled, course=course)

    enrollment = Enrollment.objects.get(user=enrolled, course=course)
    assert enrollment.completed_at == certificate.issued_at  # the dashboard counts it
    assert enrollment.completed_lessons == len(lessons)
    assert Certificate.objects.filter(user=enrolled, course=course).count() == 1
    assert [m.subject for m in mail.outbox if "complete" in m.subject.lower()] == []


@pytest.mark.django_db(transaction=True)
def test_two_tabs_completing_lessons_at_once_keep_the_rollup():
    """Each completion recounts the enrolment's completed lessons; counts taken at the
    same moment must not overwrite each other with a stale number."""
    if connection.vendor != "postgresql":
        pytest.skip("a real race needs PostgreSQL (CI's second run); SQLite serialises writers")
    from accounts.tests.factories import UserFactory

    user = UserFactory()
    course = published_course(sections=1, lessons=6)
    lessons = list(Lesson.objects.filter(section__course=course))
    services.enroll(user=user, course=course)
    for _ in range(5):
        barrier = threading.Barrier(len(lessons))

        def complete(lesson, done, barrier=barrier):
            try:
                barrier.wait()
                services.set_completed(user=user, lesson=lesson, completed=done)
            finally:
                connection.close()

        for done in (True, False, True):
            threads = [threading.Thread(target=complete, args=(x, done)) for x in lessons]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            expected = len(lessons) if done else 0
            assert Enrollment.objects.get(user=user).completed_lessons == expected
        services.set_completed(user=user, lesson=lessons[0], completed=False)
        assert Enrollment.objects.get(user=user).completed_lessons == len(lessons) - 1
        services.set_completed(user=user, lesson=lessons[0], completed=True)


# --- Resume -----------------------------------------------------------------------------------
def test_continue_opens_the_last_lesson_at_its_position(client, student):
    course = published_course(sections=1, lessons=3, with_video=True)  # 12-second videos
    lessons = list(Lesson.objects.filter(section__course=course).order_by("order"))
    services.enroll(user=student, course=course)
    client.force_login(student)
    assert client.get(reverse("learning:continue", args=[course.slug])).url == reverse(
        "learning:lesson", args=[course.slug, lessons[0].pk]
    )
    report(client, lessons[0], position=10, start=0, end=10)
    report(client, lessons[2], position=8.5, start=4, end=8.5)
    response = client.get(reverse("learning:continue", args=[course.slug]))
    assert response.url == reverse("learning:lesson", args=[course.slug, lessons[2].pk])
    page = client.get(response.url).content.decode()
    assert 'data-start="8.5"' in page


@pytest.mark.parametrize("actor", ["student", "other_instructor"])
def test_continue_without_enrolment_returns_to_the_course_page(client, request, actor):
    """Not enrolled: "Continue" has nothing to continue, even when the first lesson is a
    free preview (the preview is offered on the course page, not as "Continue")."""
    course = published_course(sections=1, lessons=2, with_video=True)
    first = Lesson.objects.filter(section__course=course).order_by("order").first()
    first.is_free_preview = True
    first.save(update_fields=["is_free_preview"])
    client.force_login(request.getfixturevalue(actor))
    response = client.get(reverse("learning:continue", args=[course.slug]), follow=True)
    assert response.redirect_chain == [(course.get_absolute_url(), 302)]
    assert "Enrol in the course to watch its lessons." in response.content.decode()


@pytest.mark.parametrize("actor", ["instructor", "staff"])
def test_continue_opens_the_player_for_the_courses_editors(client, request, actor):
    """The course's instructor and staff may watch every lesson without enrolling."""
    course = published_course(instructor=request.getfixturevalue("instructor"), lessons=2)
    first = Lesson.objects.filter(section__course=course).order_by("order").first()
    client.force_login(request.getfixturevalue(actor))
    response = client.get(reverse("learning:continue", args=[course.slug]))
    assert response.url == reverse("learning:lesson", args=[course.slug, first.pk])


@pytest.mark.django_db(transaction=True)
def test_concurrent_reports_keep_every_segment():
    if connection.vendor != "postgresql":
        pytest.skip("a real race needs PostgreSQL (CI's second run); SQLite serialises writers")
    from accounts.tests.factories import UserFactory

    user = UserFactory()
    course = published_course(sections=1, lessons=1)
    lesson = Lesson.objects.get(section__course=course)
    services.enroll(user=user, course=course)
    LessonProgress.objects.create(  # six 5-second reports' worth of wall time has passed
        user=user, lesson=lesson, credit_clock=timezone.now() - timedelta(seconds=30)
    )
    barrier = threading.Barrier(6)

    def send(start):
        try:
            barrier.wait()
            services.record_progress(
                user=user, lesson=lesson, position=start + 5, segment=(start, start + 5)
            )
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=send, args=(s,)) for s in (0, 10, 20, 30, 40, 50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    progress = LessonProgress.objects.get(user=user, lesson=lesson)
    assert progress.watched_seconds == 30  # no report's segment was lost
    assert len(progress.watched) == 6


# --- Rollups the dashboard reads ---------------------------------------------------------
def test_activity_days_and_completed_lesson_counts_follow_progress(enrolled, lessons, course):
    from learning.models import ActivityDay

    services.record_progress(user=enrolled, lesson=lessons[0], position=5, segment=(0, 5))
    services.record_progress(user=enrolled, lesson=lessons[1], position=5, segment=(0, 5))
    assert ActivityDay.objects.filter(user=enrolled, course=course).count() == 1  # one per day
    services.set_completed(user=enrolled, lesson=lessons[0], completed=True)
    services.set_completed(user=enrolled, lesson=lessons[1], completed=True)
    assert Enrollment.objects.get(user=enrolled).completed_lessons == 2
    services.set_completed(user=enrolled, lesson=lessons[1], completed=False)
    assert Enrollment.objects.get(user=enrolled).completed_lessons == 1
    services.unenroll(user=enrolled, course=course)
    services.enroll(user=enrolled, course=course)  # kept progress is counted again
    assert Enrollment.objects.get(user=enrolled).completed_lessons == 1
