"""Moving a lesson to another section or course, or a section to another course, in the
admin: both courses are recounted and the part takes a free place at the end."""

import pytest
from django.urls import reverse

from catalog.models import Course, Lesson, Section
from catalog.tests.factories import CourseFactory, LessonFactory, SectionFactory
from catalog.tests.test_admin import inline_management

pytestmark = pytest.mark.django_db


def move_lesson(client, lesson, section):
    """Save the lesson's admin form with another section chosen."""
    data = {
        "section": section.pk,
        "title": lesson.title,
        "description": lesson.description,
        "is_published": "on" if lesson.is_published else "",
        **inline_management("captions"),  # the page's captions (video.admin), none sent
    }
    return client.post(reverse("admin:catalog_lesson_change", args=[lesson.pk]), data)


def move_section(client, section, course):
    """Save the section's admin form (its lessons untouched) with another course chosen."""
    data = {"course": course.pk, "title": section.title, **inline_management("lessons")}
    return client.post(reverse("admin:catalog_section_change", args=[section.pk]), data)


def stats(course) -> tuple[int, int]:
    course.refresh_from_db()
    return course.lesson_count, course.total_duration


def lessons_in(section) -> list[tuple[str, int]]:
    return list(section.lessons.order_by("order").values_list("title", "order"))


@pytest.fixture
def two_courses(instructor):
    """Course A: one section with lessons a1, a2 (12 s each); course B: one with b1."""
    a, b = CourseFactory(instructor=instructor), CourseFactory(instructor=instructor)
    section_a, section_b = SectionFactory(course=a), SectionFactory(course=b)
    for title in ("a1", "a2"):
        LessonFactory(section=section_a, title=title, with_video=True)
    LessonFactory(section=section_b, title="b1", with_video=True)
    return a, b, section_a, section_b


@pytest.mark.parametrize(("moved", "stays"), [("a1", ("a2", 2)), ("a2", ("a1", 1))])
def test_moving_a_lesson_to_another_course_recounts_both(
    client, instructor, two_courses, moved, stays
):
    """a1 has order 1, as b1 has in its new section; a2 has a free order there."""
    a, b, section_a, section_b = two_courses
    client.force_login(instructor)

    response = move_lesson(client, Lesson.objects.get(title=moved), section_b)

    assert response.status_code == 302
    assert lessons_in(section_b) == [("b1", 1), (moved, 2)]
    assert lessons_in(section_a) == [stays]
    assert stats(a) == (1, 12)
    assert stats(b) == (2, 24)


def test_moving_a_lesson_within_its_course_takes_a_free_order(client, instructor, two_courses):
    a, _, section_a, _ = two_courses
    other = SectionFactory(course=a)
    LessonFactory(section=other, title="c1", with_video=True)
    client.force_login(instructor)

    response = move_lesson(client, Lesson.objects.get(title="a1"), other)

    assert response.status_code == 302
    assert lessons_in(other) == [("c1", 1), ("a1", 2)]
    assert lessons_in(section_a) == [("a2", 2)]
    assert stats(a) == (3, 36)


def test_moving_a_section_to_another_course_recounts_both(client, instructor, two_courses):
    a, b, section_a, section_b = two_courses
    last = SectionFactory(course=a)  # order 2
    LessonFactory(section=last, title="a3", with_video=True)
    client.force_login(instructor)

    response = move_section(client, section_a, b)  # order 1, as section_b's

    assert response.status_code == 302
    assert list(b.sections.order_by("order").values_list("pk", "order")) == [
        (section_b.pk, 1),
        (section_a.pk, 2),
    ]
    assert stats(a) == (1, 12)
    assert stats(b) == (3, 36)
    assert lessons_in(section_a) == [("a1", 1), ("a2", 2)]  # its lessons came along


def test_moves_reach_only_own_sections_and_courses(client, instructor, other_instructor):
    mine = LessonFactory(section=SectionFactory(course=CourseFactory(instructor=instructor)))
    theirs = SectionFactory(course=CourseFactory(instructor=other_instructor))
    client.force_login(instructor)
    response = move_lesson(client, mine, theirs)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    response = move_section(client, mine.section, theirs.course)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert Lesson.objects.get(pk=mine.pk).section_id == mine.section_id
    assert Section.objects.get(pk=mine.section_id).course.instructor == instructor
    assert stats(theirs.course) == (0, 0)
    assert Course.objects.get(pk=mine.section.course_id).lesson_count == 1
