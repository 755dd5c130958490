"""Paced courses: the rule (sequential, drip at midnight in the student's time zone,
unlocks, completed lessons stay open) and its refusal by every URL — the player, progress
reports, completion, continue, free previews, video bytes (original file, HLS playlists,
key and segments, captions) and the API — with the query budgets of the hot paths."""

import json
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.tests.api_client import ApiClient
from catalog.models import Course, Lesson, Section
from catalog.tests.factories import published_course
from catalog.tests.quiz_factories import CAPITALS, written_quiz
from learning import pacing, services, streaming
from learning.access import get_learnable_lesson
from learning.models import Enrollment, LessonUnlock
from learning.pacing import LessonLocked, Lock, locks_for, opens_at
from learning.tests.factories import big_course
from learning.tests.test_pages import PLAYER_QUERIES
from video.models import Transcode
from video.tests.factories import add_caption

pytestmark = pytest.mark.django_db

AUCKLAND = zoneinfo.ZoneInfo("Pacific/Auckland")
LOS_ANGELES = zoneinfo.ZoneInfo("America/Los_Angeles")
# 10 March 2026, 12:00 UTC: 11 March 01:00 in Auckland (NZDT, +13), 10 March 05:00 in
# Los Angeles (PDT since 8 March, -7).
ENROLLED = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


# --- Fixtures and helpers ---------------------------------------------------------------
def ordered(course) -> list[Lesson]:
    return list(
        Lesson.objects.filter(section__course=course, is_published=True)
        .select_related("section__course")
        .order_by("section__order", "order")
    )


@pytest.fixture
def sequential(instructor):
    return published_course(
        instructor=instructor, lessons=3, with_video=True, pacing=Course.Pacing.SEQUENTIAL
    )


@pytest.fixture
def seq_lessons(sequential, student):
    """The sequential course's three lessons; the student enrolled, the first completed."""
    services.enroll(user=student, course=sequential)
    first, second, third = ordered(sequential)
    services.set_completed(user=student, lesson=first, completed=True)
    return first, second, third


def lesson_url(lesson) -> str:
    return reverse("learning:lesson", args=[lesson.section.course.slug, lesson.pk])


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def make_ready(lesson) -> Transcode:
    """The lesson's rendition set marked ready (no files: the checks come first)."""
    Transcode.objects.filter(lesson=lesson).update(
        status=Transcode.Status.READY,
        key=b"0123456789abcdef",
        renditions=[{"name": "360p", "playlist": "360p.m3u8"}],
    )
    return Transcode.objects.get(lesson=lesson)


def hls_urls(transcode, query: str) -> dict[str, str]:
    args = [transcode.lesson_id, transcode.run]
    return {
        "master": reverse("video:master", args=args) + "?" + query,
        "playlist": reverse("video:playlist", args=[*args, "360p"]) + "?" + query,
        "key": reverse("video:key", args=args) + "?" + query,
        "segment": reverse("video:segment", args=[*args, "360p_00000"]) + "?" + query,
        "poster": reverse("video:poster", args=args) + "?" + query,
    }


def post_progress(client, lesson, position=1):
    return client.post(
        reverse("learning:progress", args=[lesson.pk]),
        json.dumps({"position": position, "start": 0, "end": position}),
        content_type="application/json",
    )


class Item:
    """A stand-in lesson for the pure rule: an id, a title and a section's days."""

    def __init__(self, pk, title="", days=0):
        self.pk, self.title = pk, title
        self.section = Section(opens_after_days=days)


# --- The rule ----------------------------------------------------------------------------
def test_free_pacing_locks_nothing():
    items = [Item(1), Item(2, days=3)]
    locks = locks_for(pacing="free", lessons=items, completed_ids=(), enrolled_at=ENROLLED, tz=UTC)
    assert locks == {}


def test_sequential_locks_each_lesson_until_the_one_before_is_complete():
    items = [Item(1, "Intro"), Item(2, "Setup"), Item(3, "Build"), Item(4, "Ship")]
    rule = {"pacing": "sequential", "lessons": items, "enrolled_at": ENROLLED, "tz": UTC}
    assert locks_for(completed_ids=(), **rule) == {
        2: Lock("Complete “Intro” first.", after=items[0]),
        3: Lock("Complete “Setup” first.", after=items[1]),
        4: Lock("Complete “Build” first.", after=items[2]),
    }
    assert set(locks_for(completed_ids={1}, **rule)) == {3, 4}
    # An unlock opens that lesson only; a completed lesson stays open even when the
    # one before it is no longer complete.
    assert set(locks_for(completed_ids={1}, unlocked_ids={3}, **rule)) == {4}
    assert set(locks_for(completed_ids={3}, **rule)) == {2}


@pytest.mark.parametrize(
    ("tz", "local_midnight"),
    [
        # Enrolled on 11 March there (01:00): day 1 starts on 12 March.
        (AUCKLAND, datetime(2026, 3, 12, tzinfo=AUCKLAND)),
        # Enrolled on 10 March there (05:00): day 1 starts on 11 March.
        (LOS_ANGELES, datetime(2026, 3, 11, tzinfo=LOS_ANGELES)),
    ],
)
def test_drip_opens_at_local_midnight_in_the_students_time_zone(tz, local_midnight):
    items = [Item(1), Item(2, "Week two", days=1)]
    rule = {
        "pacing": "drip",
        "lessons": items,
        "completed_ids": (),
        "enrolled_at": ENROLLED,
        "tz": tz,
    }
    assert opens_at(enrolled_at=ENROLLED, days=1, tz=tz) == local_midnight
    before = locks_for(now=local_midnight - timedelta(seconds=1), **rule)
    assert set(before) == {2}
    assert before[2].opens_at == local_midnight
    assert before[2].reason == f"Opens on {local_midnight:%A} {local_midnight.day} March 2026."
    assert before[2].zone == str(tz)
    assert locks_for(now=local_midnight, **rule) == {}


def test_two_students_enrolled_at_the_same_instant_see_different_midnights():
    auckland = opens_at(enrolled_at=ENROLLED, days=1, tz=AUCKLAND)
    los_angeles = opens_at(enrolled_at=ENROLLED, days=1, tz=LOS_ANGELES)
    assert auckland.astimezone(UTC) == datetime(2026, 3, 11, 11, tzinfo=UTC)
    assert los_angeles.astimezone(UTC) == datetime(2026, 3, 11, 7, tzinfo=UTC)
    # Between the two instants one student has the section and the other has not.
    between = datetime(2026, 3, 11, 9, tzinfo=UTC)
    items = [Item(1), Item(2, days=1)]
    rule = {"pacing": "drip", "lessons": items, "completed_ids": (), "enrolled_at": ENROLLED}
    assert set(locks_for(tz=AUCKLAND, now=between, **rule)) == {2}
    assert locks_for(tz=LOS_ANGELES, now=between, **rule) == {}


def test_drip_counts_calendar_days_across_a_daylight_saving_change():
    # Enrolled on Saturday 7 March 2026 at 10:00 in Los Angeles (PST, -8); clocks go
    # forward on the 8th: two days later is midnight PDT (-7), 07:00 UTC, not 08:00.
    enrolled = datetime(2026, 3, 7, 18, tzinfo=UTC)
    assert opens_at(enrolled_at=enrolled, days=2, tz=LOS_ANGELES).astimezone(UTC) == datetime(
        2026, 3, 9, 7, tzinfo=UTC
    )


def test_drip_sections_opening_at_once_and_completed_or_unlocked_lessons_stay_open():
    items = [Item(1, days=0), Item(2, days=7), Item(3, days=7), Item(4, days=14)]
    locks = locks_for(
        pacing="drip",
        lessons=items,
        completed_ids={2},
        unlocked_ids={4},
        enrolled_at=ENROLLED,
        tz=UTC,
        now=ENROLLED,
    )
    assert set(locks) == {3}


def test_a_time_zone_name_no_longer_known_falls_back_to_the_sites(settings):
    settings.TIME_ZONE = "Europe/Lisbon"
    assert str(pacing.zone("Mars/Olympus_Mons")) == "Europe/Lisbon"
    assert str(pacing.zone("")) == "Europe/Lisbon"
    assert str(pacing.zone("Pacific/Auckland")) == "Pacific/Auckland"


def test_lock_labels_are_short_for_lists():
    now = timezone.now()
    this_year = datetime(now.year, 12, 5, tzinfo=UTC)
    assert Lock("x", opens_at=this_year).label == "Opens 5 Dec"
    assert Lock("x", opens_at=this_year.replace(year=now.year + 1)).label == (
        f"Opens 5 Dec {now.year + 1}"
    )
    assert Lock("x", after=Lesson(title="Setup")).label == "After “Setup”"


# --- The player ---------------------------------------------------------------------------
def test_sequential_third_lesson_refused_by_the_player_until_the_second_is_done(
    student, seq_lessons
):
    _first, second, third = seq_lessons
    client = client_for(student)
    response = client.get(lesson_url(third))
    assert response.status_code == 200
    page = response.content.decode()
    assert "This lesson is not open yet" in page
    assert "Complete “" + second.title + "” first." in page
    assert f'href="{lesson_url(second)}"' in page  # the lesson to do first
    # Nothing of the lesson reaches the page: no video, no media URL, no status form.
    assert "<video" not in page and "/video/" not in page
    assert reverse("learning:complete", args=[third.pk]) not in page
    # The sidebar says so beside the lesson, and still links to it.
    assert f"(locked: After “{second.title}”" in page
    assert page.count('class="locked"') + page.count('class="current locked"') == 1

    services.set_completed(user=student, lesson=second, completed=True)
    page = client.get(lesson_url(third)).content.decode()
    assert "This lesson is not open yet" not in page and "<video" in page
    assert "(locked:" not in page


def test_the_second_lesson_is_open_and_its_page_shows_the_status(student, seq_lessons):
    _, second, _third = seq_lessons
    page = client_for(student).get(lesson_url(second)).content.decode()
    assert "<video" in page and reverse("learning:complete", args=[second.pk]) in page
    assert f"(locked: After “{second.title}”" in page  # the third, in the sidebar


@pytest.mark.parametrize("who", ["instructor", "staff"])
def test_the_courses_instructor_and_staff_are_never_locked(request, who, sequential):
    user = request.getfixturevalue(who)
    services.enroll(user=user, course=sequential)  # even enrolled
    third = ordered(sequential)[2]
    page = client_for(user).get(lesson_url(third)).content.decode()
    assert "not open yet" not in page and "(locked:" not in page and "<video" in page


def test_an_unlock_opens_one_lesson_for_one_student(
    student, other_student, instructor, sequential, seq_lessons
):
    _, _, third = seq_lessons
    services.enroll(user=other_student, course=sequential)
    LessonUnlock.objects.create(user=student, lesson=third, unlocked_by=instructor)
    assert "<video" in client_for(student).get(lesson_url(third)).content.decode()
    assert post_progress(client_for(student), third).status_code == 200
    other = client_for(other_student).get(lesson_url(third)).content.decode()
    assert "not open yet" in other


def test_free_preview_lessons_stay_open_to_visitors_who_are_not_enrolled(
    other_student, sequential, seq_lessons
):
    _, _, third = seq_lessons
    Lesson.objects.filter(pk=third.pk).update(is_free_preview=True)
    client = client_for(other_student)  # not enrolled
    page = client.get(lesson_url(third)).content.decode()
    assert "not open yet" not in page and "<video" in page
    preview = reverse("learning:preview", args=[sequential.slug, third.pk])
    assert client.get(preview).status_code == 200
    assert Client().get(preview).status_code == 200  # anonymous, as today


def test_an_enrolled_student_previewing_a_locked_lesson_is_sent_to_the_player(
    student, sequential, seq_lessons
):
    _, _, third = seq_lessons
    Lesson.objects.filter(pk=third.pk).update(is_free_preview=True)
    response = client_for(student).get(
        reverse("learning:preview", args=[sequential.slug, third.pk])
    )
    assert response.status_code == 302 and response["Location"] == lesson_url(third)


# --- Progress, completion, the lesson getter -----------------------------------------------
def test_progress_and_completion_are_refused_with_the_reason(student, seq_lessons):
    _, second, third = seq_lessons
    client = client_for(student)
    response = post_progress(client, third)
    assert response.status_code == 403
    assert f"Complete “{second.title}” first." in response.content.decode()
    complete = reverse("learning:complete", args=[third.pk])
    assert client.post(complete, {"completed": "1"}).status_code == 403
    assert client.post(complete, {"completed": "1"}, HTTP_HX_REQUEST="true").status_code == 403
    assert not student.lesson_progress.filter(lesson=third).exists()

    assert post_progress(client, second).status_code == 200
    assert client.post(reverse("learning:complete", args=[second.pk]), {"completed": "1"})
    assert post_progress(client, third).status_code == 200
    assert client.post(complete, {"completed": "1"}).status_code == 302


def test_completing_a_lesson_swaps_the_next_ones_sidebar_entry(student, seq_lessons):
    _, second, third = seq_lessons
    client = client_for(student)
    url = reverse("learning:complete", args=[second.pk])
    done = client.post(url, {"completed": "1"}, HTTP_HX_REQUEST="true").content.decode()
    entry = f'<li id="player-lesson-{third.pk}" data-hx-swap-oob="true">'
    assert entry in done and "(locked:" not in done and "<html" not in done
    undone = client.post(url, {"completed": "0"}, HTTP_HX_REQUEST="true").content.decode()
    assert f'<li id="player-lesson-{third.pk}" class="locked" data-hx-swap-oob="true">' in undone
    assert f"(locked: After “{second.title}”" in undone


def test_free_courses_swap_no_sidebar_entry(student, instructor):
    course = published_course(instructor=instructor, lessons=2)
    services.enroll(user=student, course=course)
    first, _ = ordered(course)
    response = client_for(student).post(
        reverse("learning:complete", args=[first.pk]), {"completed": "1"}, HTTP_HX_REQUEST="true"
    )
    assert "player-lesson-" not in response.content.decode()


def test_the_learnable_lesson_getter_raises_a_permission_denied_saying_why(student, seq_lessons):
    """The quiz submission goes through it too."""
    _, second, third = seq_lessons
    with pytest.raises(LessonLocked) as refused:
        get_learnable_lesson(student, third.pk)
    assert str(refused.value) == f"Complete “{second.title}” first."
    assert refused.value.lock.after.pk == second.pk
    assert get_learnable_lesson(student, second.pk).pk == second.pk


def test_a_locked_quiz_shows_no_question_and_refuses_a_submission(
    student, instructor, sequential, seq_lessons
):
    quiz = written_quiz(course=sequential, questions=CAPITALS)  # after the third lesson
    Course.objects.filter(pk=sequential.pk).refresh_lesson_stats()
    lesson = quiz.lesson
    client = client_for(student)
    page = client.get(lesson_url(lesson)).content.decode()
    assert "not open yet" in page and "The capital of France?" not in page
    assert 'id="quiz-form"' not in page
    response = client.post(reverse("learning:quiz_submit", args=[lesson.pk]), {"token": "x"})
    assert response.status_code == 403 and "first." in response.content.decode()
    assert not student.quiz_attempts.exists()
    api = ApiClient(student)
    got = api.get(f"/api/v1/lessons/{lesson.pk}/quiz")
    assert got.status_code == 403 and got.json()["locked"] is True
    assert "first." in got.json()["detail"]
    refused = api.post(f"/api/v1/lessons/{lesson.pk}/quiz/attempts", {"token": "x", "answers": {}})
    assert refused.status_code == 403 and refused.json()["locked"] is True


# --- Continue ----------------------------------------------------------------------------
def test_continue_never_lands_on_a_locked_lesson(student, instructor, seq_lessons):
    _first, second, third = seq_lessons
    unlock = LessonUnlock.objects.create(user=student, lesson=third, unlocked_by=instructor)
    client = client_for(student)
    post_progress(client, third)  # worked on last
    url = reverse("learning:continue", args=[third.section.course.slug])
    assert client.get(url)["Location"] == lesson_url(third)
    unlock.delete()  # closed again: the first open lesson not done
    assert client.get(url)["Location"] == lesson_url(second)


def test_continue_says_when_the_first_lesson_opens_if_none_is_open(student, instructor):
    course = published_course(instructor=instructor, lessons=2, pacing=Course.Pacing.DRIP)
    Section.objects.filter(course=course).update(opens_after_days=3)
    services.enroll(user=student, course=course)
    client = client_for(student)
    response = client.get(reverse("learning:continue", args=[course.slug]), follow=True)
    assert response.redirect_chain[-1][0] == course.get_absolute_url()
    assert "Opens on" in response.content.decode()


# --- Drip through the views, at local midnight --------------------------------------------
@pytest.fixture
def drip(instructor, student, other_student):
    """A drip course: section 1 at once, section 2 a day after enrolment. The student
    lives in Auckland, the other student in Los Angeles; both enrolled at ENROLLED."""
    course = published_course(
        instructor=instructor, sections=2, lessons=1, pacing=Course.Pacing.DRIP
    )
    Section.objects.filter(course=course, order=2).update(opens_after_days=1)
    for user, tz in ((student, AUCKLAND), (other_student, LOS_ANGELES)):
        user.profile.time_zone = str(tz)
        user.profile.save(update_fields=["time_zone"])
        services.enroll(user=user, course=course)
    Enrollment.objects.filter(course=course).update(created_at=ENROLLED)
    return course


@pytest.mark.parametrize(
    ("who", "midnight"),
    [
        ("student", datetime(2026, 3, 12, tzinfo=AUCKLAND)),
        ("other_student", datetime(2026, 3, 11, tzinfo=LOS_ANGELES)),
    ],
)
def test_drip_section_opens_at_the_students_midnight_through_the_views(
    request, monkeypatch, drip, who, midnight
):
    user = request.getfixturevalue(who)
    _, week_two = ordered(drip)
    client = client_for(user)
    monkeypatch.setattr(timezone, "now", lambda: midnight - timedelta(seconds=1))
    page = client.get(lesson_url(week_two)).content.decode()
    assert f"Opens on {midnight:%A} {midnight.day} March 2026." in page
    assert f"in your time zone, {midnight.tzinfo}" in page
    assert "(locked: Opens " in page
    assert post_progress(client, week_two).status_code == 403
    monkeypatch.setattr(timezone, "now", lambda: midnight)
    page = client.get(lesson_url(week_two)).content.decode()
    assert "not open yet" not in page and "(locked:" not in page
    assert post_progress(client, week_two).status_code == 200


def test_drip_without_a_profile_time_zone_uses_the_sites(monkeypatch, settings, drip, student):
    settings.TIME_ZONE = "UTC"
    student.profile.time_zone = ""
    student.profile.save(update_fields=["time_zone"])
    _, week_two = ordered(drip)
    client = client_for(student)
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 3, 10, 23, 59, 59, tzinfo=UTC))
    assert post_progress(client, week_two).status_code == 403
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 3, 11, tzinfo=UTC))
    assert post_progress(client, week_two).status_code == 200


# --- Video bytes -------------------------------------------------------------------------
def test_a_video_link_made_before_the_lesson_closed_opens_nothing(student, instructor, seq_lessons):
    _, _, third = seq_lessons
    unlock = LessonUnlock.objects.create(user=student, lesson=third, unlocked_by=instructor)
    client = client_for(student)
    url = streaming.stream_url(user=student, lesson=third)
    assert client.get(url).status_code == 200
    unlock.delete()
    response = client.get(url)
    assert response.status_code == 403
    assert "first." in response.content.decode()


def test_an_app_video_link_handed_out_while_open_is_refused_once_closed(
    student, instructor, seq_lessons
):
    _, _, third = seq_lessons
    unlock = LessonUnlock.objects.create(user=student, lesson=third, unlocked_by=instructor)
    api = ApiClient(student)
    body = api.get(f"/api/v1/courses/{third.section.course.slug}/lessons/{third.pk}").json()
    assert "app=" in body["stream_url"]
    assert Client().get(body["stream_url"]).status_code == 200
    unlock.delete()
    assert Client().get(body["stream_url"]).status_code == 403


def test_hls_playlists_key_and_segments_are_refused_for_a_locked_lesson(
    student, instructor, seq_lessons
):
    _, second, third = seq_lessons
    transcode = make_ready(third)
    client = client_for(student)
    urls = hls_urls(transcode, streaming.signed_query(user=student, lesson=third))
    for name, url in urls.items():
        response = client.get(url)
        assert response.status_code == 403, name
        assert "first." in response.content.decode(), name
    # Open: the key is handed out; files missing from storage are 404s, not refusals.
    services.set_completed(user=student, lesson=second, completed=True)
    assert client.get(urls["key"]).content == b"0123456789abcdef"
    assert client.get(urls["segment"]).status_code == 404


def test_segments_of_a_free_paced_course_keep_their_cheap_check(
    student, instructor, django_assert_max_num_queries
):
    course = published_course(instructor=instructor, lessons=1, with_video=True)
    services.enroll(user=student, course=course)
    (lesson,) = ordered(course)
    transcode = make_ready(lesson)
    client = client_for(student)
    url = hls_urls(transcode, streaming.signed_query(user=student, lesson=lesson))["segment"]
    client.get(url)  # the session, cached
    with django_assert_max_num_queries(2):  # the session; the run (with the pacing)
        assert client.get(url).status_code == 404  # checked, then no such file


def test_captions_of_a_locked_lesson_are_refused(student, seq_lessons):
    _, second, third = seq_lessons
    add_caption(third, "en")
    url = (
        reverse("video:caption", args=[third.pk, "en"])
        + "?"
        + streaming.signed_query(user=student, lesson=third)
    )
    client = client_for(student)
    assert client.get(url).status_code == 403
    services.set_completed(user=student, lesson=second, completed=True)
    assert client.get(url).status_code == 200


# --- The API -----------------------------------------------------------------------------
def test_the_api_refuses_a_locked_lesson_with_why_and_when(student, seq_lessons):
    _first, second, third = seq_lessons
    api = ApiClient(student)
    slug = third.section.course.slug
    response = api.get(f"/api/v1/courses/{slug}/lessons/{third.pk}")
    assert response.status_code == 403
    body = response.json()
    assert body["detail"] == f"Complete “{second.title}” first."
    assert body["locked"] is True and body["after_lesson_id"] == second.pk
    assert body["opens_at"] is None
    assert "stream_url" not in body
    progress = api.post(f"/api/v1/lessons/{third.pk}/progress", {"position": 1})
    assert progress.status_code == 403 and progress.json()["locked"] is True
    assert api.put(f"/api/v1/lessons/{third.pk}/completion").status_code == 403
    assert api.get(f"/api/v1/courses/{slug}/lessons/{second.pk}").status_code == 200


def test_the_api_says_when_a_drip_lesson_opens(monkeypatch, drip, student):
    _, week_two = ordered(drip)
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 3, 11, 10, tzinfo=UTC))
    api = ApiClient(student)
    body = api.get(f"/api/v1/courses/{drip.slug}/lessons/{week_two.pk}").json()
    assert body["status"] == 403 and body["after_lesson_id"] is None
    # Midnight in Auckland (+13), as an instant with its offset.
    assert datetime.fromisoformat(body["opens_at"]) == datetime(2026, 3, 11, 11, tzinfo=UTC)


def test_the_api_outline_gives_each_lessons_lock(student, other_student, instructor, seq_lessons):
    first, second, third = seq_lessons
    slug = third.section.course.slug
    body = ApiClient(student).get(f"/api/v1/courses/{slug}/outline").json()
    assert body["pacing"] == "sequential" and body["progress_recorded"] is True
    assert body["completed_lessons"] == 1 and body["total_lessons"] == 3
    lessons = body["sections"][0]["lessons"]
    assert [(item["id"], item["completed"], item["locked"]) for item in lessons] == [
        (first.pk, True, False),
        (second.pk, False, False),
        (third.pk, False, True),
    ]
    assert lessons[2]["lock_reason"] == f"Complete “{second.title}” first."
    assert lessons[2]["after_lesson_id"] == second.pk and lessons[2]["opens_at"] is None
    assert lessons[0]["lock_reason"] is None and lessons[0]["kind"] == "video"
    # Not enrolled: 403; the instructor: everything open.
    assert ApiClient(other_student).get(f"/api/v1/courses/{slug}/outline").status_code == 403
    mine = ApiClient(instructor).get(f"/api/v1/courses/{slug}/outline").json()
    assert not any(item["locked"] for item in mine["sections"][0]["lessons"])


# --- Query budgets ------------------------------------------------------------------------
def paced_big_course(student, pacing_kind) -> list[Lesson]:
    lessons = big_course(student)  # 600 lessons, the first 300 completed
    course = lessons[0].section.course
    Course.objects.filter(pk=course.pk).update(pacing=pacing_kind)
    Section.objects.filter(course=course, order__gt=20).update(opens_after_days=30)
    return lessons


@pytest.mark.parametrize("pacing_kind", [Course.Pacing.SEQUENTIAL, Course.Pacing.DRIP])
def test_player_with_locked_lessons_query_budget_at_size(
    client, student, pacing_kind, django_assert_max_num_queries
):
    lessons = paced_big_course(student, pacing_kind)
    LessonUnlock.objects.create(user=student, lesson=lessons[450])
    client.force_login(student)
    url = lesson_url(lessons[310])
    with django_assert_max_num_queries(PLAYER_QUERIES):  # as a free course: folded in
        response = client.get(url)
    page = response.content.decode()
    locked = page.count("(locked: ")
    if pacing_kind == Course.Pacing.SEQUENTIAL:
        assert locked == 600 - 300 - 1 - 1  # all after the first not done, but the unlocked
        assert "not open yet" in page
    else:
        assert locked == 200 - 1  # sections 21–30, but the unlocked
        assert "not open yet" not in page


def test_player_with_locked_lessons_query_budget_small(
    client, student, seq_lessons, django_assert_max_num_queries
):
    _, _, third = seq_lessons
    client.force_login(student)
    url = lesson_url(third)
    with django_assert_max_num_queries(PLAYER_QUERIES):
        response = client.get(url)
    assert "not open yet" in response.content.decode()


@pytest.mark.parametrize("size", ["small", "big"])
def test_progress_report_query_budget_in_a_paced_course(
    client, student, seq_lessons, size, django_assert_max_num_queries
):
    if size == "big":
        lessons = paced_big_course(student, Course.Pacing.SEQUENTIAL)
        lesson = lessons[300]  # the first not done: open
    else:
        lesson = seq_lessons[1]
    client.force_login(student)
    post_progress(client, lesson, 1)  # warm the session cache, create the row
    for position in (3, 5):
        # A free course's five (learning/tests/test_pages.py) and the lock's one.
        with django_assert_max_num_queries(6):
            assert post_progress(client, lesson, position).status_code == 200


def test_a_free_course_asks_nothing_more(student, instructor, django_assert_num_queries):
    course = published_course(instructor=instructor, lessons=2)
    services.enroll(user=student, course=course)
    lesson = ordered(course)[1]
    with django_assert_num_queries(0):
        assert pacing.lock_of(student, lesson) is None
    with django_assert_num_queries(1):  # the lesson with "enrolled?": as before pacing
        get_learnable_lesson(student, lesson.pk)


@pytest.mark.parametrize("size", [1, 30])
def test_api_outline_query_budget(student, size, django_assert_max_num_queries):
    lessons = paced_big_course(student, Course.Pacing.DRIP)
    course = lessons[0].section.course
    Section.objects.filter(course=course, order__gt=size).delete()
    Course.objects.filter(pk=course.pk).refresh_lesson_stats()
    api = ApiClient(student)
    api.get(f"/api/v1/courses/{course.slug}/outline")  # warm the token's session
    # The user, the session; the course (with enrolment date and time zone), sections,
    # lessons (with "unlocked?"), progress rows.
    with django_assert_max_num_queries(6):
        response = api.get(f"/api/v1/courses/{course.slug}/outline")
    assert len(response.json()["sections"]) == size
