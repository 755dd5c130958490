"""Students' progress when the instructor changes a course's lessons in the admin:
moving, unpublishing or deleting a lesson keeps percentages, the completed-lesson
rollups and completions right in every course involved."""

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from catalog.tests.factories import CourseFactory, LessonFactory, SectionFactory
from catalog.tests.test_admin import inline_management
from catalog.tests.test_moves import move_lesson, move_section
from learning import services
from learning.models import Certificate, Enrollment, LessonProgress

pytestmark = pytest.mark.django_db


@pytest.fixture
def courses(instructor):
    """Published course A (lessons l1, l2, l3) and B (lesson b1)."""
    a = CourseFactory(instructor=instructor, with_thumbnail=True)
    b = CourseFactory(instructor=instructor, with_thumbnail=True)
    section_a, section_b = SectionFactory(course=a), SectionFactory(course=b)
    lessons = {
        title: LessonFactory(section=section_a, title=title, with_video=True)
        for title in ("l1", "l2", "l3")
    }
    lessons["b1"] = LessonFactory(section=section_b, title="b1", with_video=True)
    a.publish()
    b.publish()
    return a, b, lessons


def student_who(*, enrolled_in, completed):
    user = UserFactory()
    for course in enrolled_in:
        services.enroll(user=user, course=course)
    for lesson in completed:
        services.set_completed(user=user, lesson=lesson, completed=True)
    return user


def my_learning(client, user) -> dict[str, tuple[int, bool]]:
    """Course title -> (percent shown, listed as completed) on the student's page."""
    client.force_login(user)
    context = client.get(reverse("learning:my_learning")).context
    return {
        e.course.title: (e.progress_percent, done)
        for done, group in ((False, context["in_progress"]), (True, context["completed"]))
        for e in group
    }


def assert_rollups_match_rows():
    for enrollment in Enrollment.objects.all():
        rows = LessonProgress.objects.completed_in(user=enrollment.user, course=enrollment.course)
        assert enrollment.completed_lessons == rows, enrollment


def completion(user, course) -> tuple[bool, bool]:
    enrollment = Enrollment.objects.get(user=user, course=course)
    certified = Certificate.objects.filter(user=user, course=course).exists()
    return enrollment.completed_at is not None, certified


def test_moving_a_lesson_out_keeps_both_courses_students_right(
    client, instructor, courses, mailoutbox, django_capture_on_commit_callbacks
):
    a, b, lessons = courses
    almost = student_who(enrolled_in=[a], completed=[lessons["l1"], lessons["l2"]])
    finished_b = student_who(enrolled_in=[b], completed=[lessons["b1"]])
    both = student_who(enrolled_in=[a, b], completed=[lessons["l3"]])
    assert completion(finished_b, b) == (True, True)
    client.force_login(instructor)

    with django_capture_on_commit_callbacks(execute=True):  # the emails go after commit
        response = move_lesson(client, lessons["l3"], lessons["b1"].section)

    assert response.status_code == 302
    assert_rollups_match_rows()
    # l3 left A: what "almost" did is all of A now, so A is complete, with a certificate.
    assert my_learning(client, almost) == {a.title: (100, True)}
    assert completion(almost, a) == (True, True)
    assert [(m.to, a.title in m.body) for m in mailoutbox] == [([almost.email], True)]
    # B grew: half done, but a completion once earned stays (as when lessons are added).
    assert my_learning(client, finished_b) == {b.title: (50, False)}
    assert completion(finished_b, b) == (True, True)
    # What "both" did in l3 now counts in B, where l3 is.
    assert my_learning(client, both) == {a.title: (0, False), b.title: (50, False)}


def test_moving_a_section_out_keeps_both_courses_students_right(client, instructor, courses):
    a, b, lessons = courses
    last = SectionFactory(course=a)
    lessons["l2"].section = last
    lessons["l2"].save()
    lessons["l3"].section = last
    lessons["l3"].save()
    student = student_who(enrolled_in=[a, b], completed=[lessons["l1"], lessons["l2"]])
    client.force_login(instructor)

    response = move_section(client, last, b)  # takes l2 and l3 to B

    assert response.status_code == 302
    assert_rollups_match_rows()
    assert my_learning(client, student) == {a.title: (100, True), b.title: (33, False)}
    assert completion(student, a) == (True, True)


def test_unpublishing_and_deleting_lessons_keep_students_right(client, instructor, courses):
    a, _, lessons = courses
    student = student_who(enrolled_in=[a], completed=[lessons["l1"], lessons["l2"]])
    client.force_login(instructor)
    l2 = lessons["l2"]
    data = {
        "section": l2.section_id,
        "title": l2.title,
        "description": "",
        "is_published": "",
        **inline_management("captions"),
    }

    response = client.post(reverse("admin:catalog_lesson_change", args=[l2.pk]), data)

    assert response.status_code == 302
    assert_rollups_match_rows()
    assert my_learning(client, student) == {a.title: (50, False)}
    client.force_login(instructor)
    url = reverse("admin:catalog_lesson_delete", args=[lessons["l3"].pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert_rollups_match_rows()
    assert my_learning(client, student) == {a.title: (100, True)}
    assert completion(student, a) == (True, True)
