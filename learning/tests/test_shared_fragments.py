"""The player's shared content (learning.content) never crosses viewers, and never lags.

The course, its curriculum and the sidebar's HTML are built once per catalog version and
shared by every viewer, through the cache (locmem here, Redis on PostgreSQL runs) and
each process's own copy. These tests send several viewers through the same cache, in
both orders, and check that what is personal — ticks, progress, locks, unlocks, the
CSRF token, the signed video links, the name, the enrolment — is each viewer's own; and
that a change to the course shows on the very next request.
"""

import re
from urllib.parse import unquote

import pytest
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client
from django.urls import reverse

from catalog.builder import place_lesson
from catalog.models import Course, Lesson, Section
from catalog.tests.factories import LessonFactory, SectionFactory, published_course
from learning import services, streaming
from learning.models import LessonUnlock
from learning.tests.factories import big_course
from learning.tests.player_page import player_of
from video.models import Transcode
from video.tests.factories import add_caption

pytestmark = pytest.mark.django_db
# Once the course's content is cached: the user, their enrolment, their progress rows.
WARM_PLAYER_QUERIES = 3
ACTORS = ["student", "other_student", "instructor", "staff", "anonymous"]


@pytest.fixture
def course(instructor):
    return published_course(instructor=instructor, sections=2, lessons=2, with_video=True)


@pytest.fixture
def lessons(course):
    return list(Lesson.objects.filter(section__course=course).order_by("section__order", "order"))


def lesson_url(lesson):
    return reverse("learning:lesson", args=[lesson.section.course.slug, lesson.pk])


def client_for(user) -> Client:
    client = Client()
    if user.is_authenticated:
        client.force_login(user)
    return client


def page_of(client, lesson) -> str:
    response = client.get(lesson_url(lesson))
    return response.content.decode() if response.status_code == 200 else ""


def ticked(page: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'id="tick-(\d+)" class="tick tick-done"', page)}


def locked(page: str) -> set[int]:
    return {
        int(pk) for pk in re.findall(r'id="player-lesson-(\d+)" class="(?:current )?locked"', page)
    }


def current(page: str) -> list[str]:
    return re.findall(r'<li id="player-lesson-(\d+)" class="current', page)


def csrf_secrets(page: str) -> set[str]:
    tokens = re.findall(
        r'"X-CSRFToken": "([^"]+)"|name="csrfmiddlewaretoken" value="([^"]+)"', page
    )
    return {_unmask_cipher_token(token) for pair in tokens for token in pair if token}


def video_tokens(page: str) -> set[str]:
    return {unquote(token) for token in re.findall(r"\?t=([^\"&]+)", page)}


# --- Nothing crosses viewers ---------------------------------------------------------------
@pytest.mark.parametrize("order", [ACTORS, ACTORS[::-1]], ids=["forwards", "backwards"])
def test_each_viewer_sees_only_their_own_player(request, course, lessons, order):
    student, other = request.getfixturevalue("student"), request.getfixturevalue("other_student")
    for person in (student, other):
        services.enroll(user=person, course=course)
    services.set_completed(user=student, lesson=lessons[0], completed=True)
    services.set_completed(user=student, lesson=lessons[2], completed=True)
    users = {actor: request.getfixturevalue(actor) for actor in ACTORS}
    clients = {actor: client_for(user) for actor, user in users.items()}
    pages = {actor: page_of(clients[actor], lessons[1]) for actor in order}

    assert ticked(pages["student"]) == {lessons[0].pk, lessons[2].pk}
    assert "50 % of the course" in pages["student"]
    assert ticked(pages["other_student"]) == set()
    assert "0 % of the course" in pages["other_student"]
    for editor in ("instructor", "staff"):
        assert ticked(pages[editor]) == set() and "progress is not recorded" in pages[editor]
        assert "% of the course" not in pages[editor]
    assert pages["anonymous"] == ""  # signed out: to the login page, nothing of the course
    for actor in ("student", "other_student", "instructor", "staff"):
        page, user = pages[actor], users[actor]
        assert current(page) == [str(lessons[1].pk)]  # the same for all: this page's lesson
        # The CSRF token is this browser's, and the video links are signed for this user.
        assert csrf_secrets(page) == {clients[actor].cookies["csrftoken"].value}
        tokens = video_tokens(page)
        assert tokens and all(
            streaming.signature_is_valid(t, user=user, lesson_pk=lessons[1].pk) for t in tokens
        )
        for someone, them in users.items():
            if someone != actor and them.is_authenticated:
                assert them.email not in page and them.first_name not in page
                assert not any(
                    streaming.signature_is_valid(t, user=them, lesson_pk=lessons[1].pk)
                    for t in tokens
                )
        assert ("data-progress-url" in page) == (actor in ("student", "other_student"))


@pytest.mark.parametrize("first", ["student", "other_student"])
def test_locks_and_unlocks_are_each_students_own(request, instructor, first):
    course = published_course(instructor=instructor, sections=1, lessons=4)
    Course.objects.filter(pk=course.pk).update(pacing=Course.Pacing.SEQUENTIAL)
    course.refresh_from_db()
    course.save()  # through the model: the catalog version moves
    one, two, three, four = Lesson.objects.filter(section__course=course).order_by("order")
    student, other = request.getfixturevalue("student"), request.getfixturevalue("other_student")
    for person in (student, other):
        services.enroll(user=person, course=course)
    services.set_completed(user=student, lesson=one, completed=True)
    LessonUnlock.objects.create(user=other, lesson=four, unlocked_by=instructor)
    viewers = {"student": student, "other_student": other}
    second = "other_student" if first == "student" else "student"
    pages = {name: page_of(client_for(viewers[name]), one) for name in (first, second)}
    pages["instructor"] = page_of(client_for(instructor), one)

    assert locked(pages["student"]) == {three.pk, four.pk}  # "two" opened by "one"
    assert locked(pages["other_student"]) == {two.pk, three.pk}  # "four" unlocked for her
    assert locked(pages["instructor"]) == set()
    assert f"After “{two.title}”" in pages["student"]
    assert f"After “{one.title}”" in pages["other_student"]
    # The lesson page itself: closed for one, open for the other.
    assert "not open yet" in page_of(client_for(other), two)
    assert "not open yet" not in page_of(client_for(student), two)


def test_the_shared_curriculum_marks_each_pages_own_lesson(client, student, course, lessons):
    services.enroll(user=student, course=course)
    client.force_login(student)
    for lesson in (lessons[0], lessons[3], lessons[0]):
        page = page_of(client, lesson)
        assert current(page) == [str(lesson.pk)]
        assert page.count('aria-current="page"') == 1
        assert "\x00" not in page  # every marker filled in


# --- A change shows at once ----------------------------------------------------------------
@pytest.fixture
def watching(client, student, course, lessons):
    """``student`` enrolled and watching ``lessons[0]`` (the course's content now cached)."""
    services.enroll(user=student, course=course)
    client.force_login(student)
    page_of(client, lessons[0])
    return client


def titles(page: str) -> list[str]:
    return re.findall(r'<a href="/learn/[^"]+/lessons/\d+/"(?: aria-current="page")?>([^<]+)', page)


def test_a_new_lesson_shows_at_once(watching, course, lessons):
    section = lessons[0].section
    LessonFactory(section=section, title="Brand new lesson", with_video=True)
    assert "Brand new lesson" in titles(page_of(watching, lessons[0]))


def test_a_reorder_shows_at_once(watching, lessons):
    place_lesson(lesson=lessons[1], section=lessons[1].section, index=0)
    shown = titles(page_of(watching, lessons[0]))
    assert shown.index(lessons[1].title) < shown.index(lessons[0].title)


def test_an_unpublished_lesson_leaves_at_once(watching, lessons):
    gone = lessons[3]
    gone.title = "About to go"
    gone.save()
    assert "About to go" in titles(page_of(watching, lessons[0]))
    gone.is_published = False
    gone.save()
    page = page_of(watching, lessons[0])
    assert "About to go" not in page and "0 % of the course" in page


def test_a_renamed_section_shows_at_once(watching, lessons):
    section = Section.objects.get(pk=lessons[0].section_id)
    section.title = "A better section title"
    section.save()
    assert "A better section title" in page_of(watching, lessons[0])


def test_a_lock_shows_at_once(watching, course, lessons):
    """Pacing turned sequential, then a drip section: the next request has the locks."""
    assert locked(page_of(watching, lessons[0])) == set()
    course.pacing = Course.Pacing.SEQUENTIAL
    course.save()
    assert locked(page_of(watching, lessons[0])) == {item.pk for item in lessons[1:]}
    course.pacing = Course.Pacing.DRIP
    course.save()
    section = Section.objects.get(pk=lessons[2].section_id)
    section.opens_after_days = 7
    section.save()
    assert locked(page_of(watching, lessons[0])) == {lessons[2].pk, lessons[3].pk}


def test_an_unlock_for_one_student_shows_at_once_for_them_only(
    watching, student, other_student, instructor, course, lessons
):
    course.pacing = Course.Pacing.SEQUENTIAL
    course.save()
    services.enroll(user=other_student, course=course)
    other = client_for(other_student)
    assert lessons[2].pk in locked(page_of(watching, lessons[0]))
    assert lessons[2].pk in locked(page_of(other, lessons[0]))
    LessonUnlock.objects.create(user=student, lesson=lessons[2], unlocked_by=instructor)
    assert lessons[2].pk not in locked(page_of(watching, lessons[0]))
    assert lessons[2].pk in locked(page_of(other, lessons[0]))


def test_a_ready_video_and_a_new_caption_show_at_once(watching, lessons):
    assert "data-hls-url" not in page_of(watching, lessons[0])
    row = Transcode.objects.get(lesson=lessons[0])
    row.status, row.renditions = Transcode.Status.READY, [{"name": "360p", "segments": 1}]
    row.save()  # as the job finishes (video.services._finish)
    assert "data-hls-url" in page_of(watching, lessons[0])
    add_caption(lessons[0], "en")
    assert '<track kind="captions" srclang="en"' in page_of(watching, lessons[0])


def test_a_deleted_course_is_404_at_once(watching, course, lessons):
    Course.objects.filter(pk=course.pk).delete()
    assert watching.get(lesson_url(lessons[0])).status_code == 404


def test_an_unpublished_course_closes_to_students_at_once(watching, course, lessons):
    course.status = Course.Status.DRAFT
    course.save()
    assert watching.get(lesson_url(lessons[0])).status_code == 404


# --- Query budgets, once the content is shared -----------------------------------------------
def test_warm_player_query_budget_small(
    client, student, course, lessons, django_assert_max_num_queries
):
    services.enroll(user=student, course=course)
    services.set_completed(user=student, lesson=lessons[0], completed=True)
    add_caption(lessons[1], "en")
    client.force_login(student)
    page_of(client_for(student), lessons[0])  # another browser fills the cache
    url = lesson_url(lessons[1])
    with django_assert_max_num_queries(WARM_PLAYER_QUERIES):
        response = client.get(url)
    assert [track.language for track in player_of(response).captions] == ["en"]
    assert ticked(response.content.decode()) == {lessons[0].pk}


def test_warm_player_query_budget_for_a_big_course(client, student, django_assert_max_num_queries):
    lessons = big_course(student)
    client.force_login(student)
    page_of(client, lessons[0])
    url = lesson_url(lessons[310])
    with django_assert_max_num_queries(WARM_PLAYER_QUERIES):
        response = client.get(url)
    page = response.content.decode()
    assert len(ticked(page)) == 300 and "50 % of the course" in page


def test_warm_paced_player_query_budget_for_a_big_course(
    client, student, django_assert_max_num_queries
):
    lessons = big_course(student)
    course = lessons[0].section.course
    course.pacing = Course.Pacing.SEQUENTIAL
    course.save()
    client.force_login(student)
    page_of(client, lessons[0])
    url = lesson_url(lessons[300])
    with django_assert_max_num_queries(WARM_PLAYER_QUERIES):
        page = client.get(url).content.decode()
    assert len(locked(page)) == 600 - 300 - 1


def test_a_section_without_lessons_still_shows(watching, course, lessons):
    SectionFactory(course=course, title="Coming soon")
    assert "Coming soon" in page_of(watching, lessons[0])
