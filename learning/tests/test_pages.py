"""My learning and the player: who sees what, what they show, and their query budgets."""

import json
import re

import pytest
from django.urls import reverse

from catalog.models import Lesson
from catalog.tests.factories import CategoryFactory, CourseFactory, published_course
from learning import services, streaming
from learning.models import Enrollment
from learning.tests.factories import big_course
from learning.tests.player_page import player_of
from video.tests.factories import add_caption

pytestmark = pytest.mark.django_db
# The user; the course with "enrolled?"; sections; lessons; the student's progress rows;
# the lesson's captions (their transcript comes from the cache, or storage).
PLAYER_QUERIES = 6


def lesson_url(lesson):
    return reverse("learning:lesson", args=[lesson.section.course.slug, lesson.pk])


# --- My learning ----------------------------------------------------------------------------
def test_my_learning_lists_courses_with_progress_and_completed_apart(client, student):
    started = published_course(title="Started course", lessons=2)
    finished = published_course(title="Finished course", lessons=1)
    fresh = published_course(title="Fresh course", lessons=2)
    for course in (started, finished, fresh):
        services.enroll(user=student, course=course)
    services.set_completed(user=student, lesson=started.published_lessons().first(), completed=True)
    services.set_completed(
        user=student, lesson=finished.published_lessons().first(), completed=True
    )
    client.force_login(student)
    response = client.get(reverse("learning:my_learning"))
    in_progress = [e.course.title for e in response.context["in_progress"]]
    completed = [e.course.title for e in response.context["completed"]]
    assert in_progress == ["Started course", "Fresh course"]  # last activity first
    assert completed == ["Finished course"]
    page = response.content.decode()
    assert 'value="50"' in page and "1 of 2 lessons" in page
    assert reverse("learning:continue", args=[started.slug]) in page


def test_my_learning_buttons_say_what_they_do(client, student):
    """A finished course's button reopens it (the lesson last watched): "Revisit course",
    not "Review", which reads as "write a review"."""
    started = published_course(title="Started course", lessons=2)
    finished = published_course(title="Finished course", lessons=2)
    fresh = published_course(title="Fresh course", lessons=2)
    for course in (started, finished, fresh):
        services.enroll(user=student, course=course)
    services.set_completed(user=student, lesson=started.published_lessons().first(), completed=True)
    *_, last_watched = lessons = finished.published_lessons().order_by("order")
    for lesson in lessons:
        services.set_completed(user=student, lesson=lesson, completed=True)
    client.force_login(student)
    page = client.get(reverse("learning:my_learning")).content.decode()
    buttons = {  # href: the link's text, hidden words included, as a screen reader says it
        href: " ".join(re.sub(r"<[^>]+>", "", text).split())
        for href, text in re.findall(r'<a class="button[^"]*" href="([^"]+)">(.*?)</a>', page)
    }
    continue_url = {
        c: reverse("learning:continue", args=[c.slug]) for c in (started, finished, fresh)
    }
    assert buttons[continue_url[started]] == "Continue Started course"
    assert buttons[continue_url[fresh]] == "Start Fresh course"
    assert buttons[continue_url[finished]] == "Revisit course Finished course"
    assert not [text for text in buttons.values() if text.startswith("Review")]
    # It does what it says: back into the course, at the lesson last worked on.
    response = client.get(continue_url[finished])
    assert response.url == lesson_url(last_watched)


def test_my_learning_is_personal(client, student, other_student):
    services.enroll(user=other_student, course=published_course(title="Not mine"))
    client.force_login(student)
    page = client.get(reverse("learning:my_learning")).content.decode()
    assert "Not mine" not in page and "not enrolled in any course" in page
    client.logout()
    assert client.get(reverse("learning:my_learning")).status_code == 302


@pytest.mark.parametrize("size", [3, 50])
def test_my_learning_query_budget(client, student, size, django_assert_max_num_queries):
    category = CategoryFactory()
    instructor = CourseFactory().instructor
    for _ in range(size):
        course = published_course(category=category, instructor=instructor, lessons=2)
        services.enroll(user=student, course=course)
        services.set_completed(
            user=student, lesson=course.published_lessons().first(), completed=True
        )
    client.force_login(student)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("learning:my_learning"))
    assert len(response.context["in_progress"]) == size


# --- The player --------------------------------------------------------------------------------
@pytest.fixture
def course(instructor):
    return published_course(instructor=instructor, sections=2, lessons=2, with_video=True)


@pytest.fixture
def lessons(course):
    return list(Lesson.objects.filter(section__course=course).order_by("section__order", "order"))


def test_player_shows_video_curriculum_ticks_and_neighbours(client, student, course, lessons):
    services.enroll(user=student, course=course)
    services.set_completed(user=student, lesson=lessons[0], completed=True)
    client.force_login(student)
    response = client.get(lesson_url(lessons[1]))
    page = response.content.decode()
    assert f"/video/{lessons[1].pk}/?t=" in page
    assert lessons[1].video.name not in page
    assert page.count("tick-done") == 1
    assert 'aria-current="page"' in page
    player = player_of(page)
    assert player.previous_url == lesson_url(lessons[0])
    assert player.next_url == lesson_url(lessons[2])
    assert "25 % of the course" in page
    assert "Mark lesson as complete" in page


@pytest.mark.parametrize("actor", ["anonymous", "student", "other_instructor"])
def test_player_is_closed_to_outsiders(client, request, actor, lessons):
    user = request.getfixturevalue(actor)
    if user.is_authenticated:
        client.force_login(user)
    response = client.get(lesson_url(lessons[1]))
    assert response.status_code == 302  # to login, or back to the course page to enrol
    assert "lesson-video" not in client.get(lesson_url(lessons[1]), follow=True).content.decode()


@pytest.mark.parametrize("actor", ["instructor", "staff"])
def test_instructor_and_staff_preview_without_recording(client, request, actor, lessons):
    client.force_login(request.getfixturevalue(actor))
    page = client.get(lesson_url(lessons[1])).content.decode()
    assert "lesson-video" in page and "progress is not recorded" in page
    assert "data-progress-url" not in page


def test_lesson_of_another_course_is_404(client, student, course, lessons):
    other = published_course()
    services.enroll(user=student, course=other)
    client.force_login(student)
    url = reverse("learning:lesson", args=[other.slug, lessons[0].pk])
    assert client.get(url).status_code == 404


def test_enrolled_student_streams_any_lesson(client, student, course, lessons):
    services.enroll(user=student, course=course)
    client.force_login(student)
    response = client.get(
        streaming.stream_url(user=student, lesson=lessons[3]), HTTP_RANGE="bytes=0-9"
    )
    assert response.status_code == 206
    services.unenroll(user=student, course=course)
    response = client.get(streaming.stream_url(user=student, lesson=lessons[3]))
    assert response.status_code == 403


def test_player_htmx_status_fragment(client, student, course, lessons):
    services.enroll(user=student, course=course)
    client.force_login(student)
    response = client.get(
        lesson_url(lessons[0]), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="lesson-status"
    )
    page = response.content.decode()
    assert "<html" not in page and page.lstrip().startswith('<div id="lesson-status"')


def test_completion_moment_shows_on_the_last_lesson(client, student, course, lessons):
    services.enroll(user=student, course=course)
    for lesson in lessons[:-1]:
        services.set_completed(user=student, lesson=lesson, completed=True)
    client.force_login(student)
    response = client.post(
        reverse("learning:complete", args=[lessons[-1].pk]),
        {"completed": "1"},
        HTTP_HX_REQUEST="true",
    )
    assert "You completed" in response.content.decode()
    assert Enrollment.objects.get(user=student, course=course).completed_at is not None


def test_player_query_budget_for_a_big_course(client, student, django_assert_max_num_queries):
    lessons = big_course(student)
    Lesson.objects.filter(pk=lessons[310].pk).update(video="videos/big.mp4")
    for language in ("de", "en", "fr", "pt-br"):
        add_caption(lessons[310], language)
    client.force_login(student)
    url = lesson_url(lessons[310])
    with django_assert_max_num_queries(PLAYER_QUERIES):
        response = client.get(url)
    page = response.content.decode()
    assert page.count("tick-done") == 300
    assert "50 % of the course" in page
    player = player_of(page)
    assert [track.default for track in player.captions] == [False, True, False, False]
    assert len(player.transcript.cues) == 2


def test_player_query_budget_small(client, student, course, lessons, django_assert_max_num_queries):
    services.enroll(user=student, course=course)
    add_caption(lessons[0], "en")
    client.force_login(student)
    url = lesson_url(lessons[0])
    with django_assert_max_num_queries(PLAYER_QUERIES):
        response = client.get(url)
    assert [track.language for track in player_of(response).captions] == ["en"]


def test_progress_update_query_budget(
    client, student, course, lessons, django_assert_max_num_queries
):
    services.enroll(user=student, course=course)
    client.force_login(student)
    url = reverse("learning:progress", args=[lessons[0].pk])
    client.post(
        url, json.dumps({"position": 1, "start": 0, "end": 1}), content_type="application/json"
    )  # warm the session cache, create the row
    for position in (3, 5):
        with django_assert_max_num_queries(5):
            response = client.post(
                url,
                json.dumps({"position": position, "start": position - 2, "end": position}),
                content_type="application/json",
            )
        assert response.status_code == 200


def test_a_student_previewing_a_free_lesson_is_invited_to_enrol(client, student, lessons):
    lessons[0].is_free_preview = True
    lessons[0].save()
    client.force_login(student)
    page = client.get(lesson_url(lessons[0])).content.decode()
    assert "lesson-video" in page and "This lesson is a free preview" in page
    assert "data-progress-url" not in page
