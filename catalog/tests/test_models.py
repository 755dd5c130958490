"""Catalog integrity: constraints, summary fields, ordering, publishing."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from catalog.models import Course, Lesson, Section
from catalog.tests.factories import CourseFactory, LessonFactory, SectionFactory, published_course

pytestmark = pytest.mark.django_db


def test_price_can_never_be_negative_in_the_database():
    course = CourseFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Course.objects.filter(pk=course.pk).update(price=Decimal("-1.00"))


def test_published_course_needs_a_published_date():
    course = CourseFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Course.objects.filter(pk=course.pk).update(status="published", published_at=None)


def test_order_is_unique_within_the_parent():
    section = SectionFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Section.objects.create(course=section.course, title="Clash", order=section.order)
    lesson = LessonFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Lesson.objects.create(section=lesson.section, title="Clash", order=lesson.order)


def test_new_sections_and_lessons_go_last():
    course = CourseFactory()
    first, second = SectionFactory(course=course), SectionFactory(course=course)
    assert (first.order, second.order) == (1, 2)
    a, b = LessonFactory(section=first), LessonFactory(section=first)
    assert (a.order, b.order) == (1, 2)


def test_slugs_are_unique_and_stable():
    one = CourseFactory(title="Same title")
    two = CourseFactory(title="Same title")
    assert one.slug == "same-title" and two.slug == "same-title-2"
    one.title = "Renamed"
    one.save()
    assert one.slug == "same-title"  # links people shared keep working


def test_summary_fields_follow_lessons():
    course = CourseFactory()
    section = SectionFactory(course=course)
    LessonFactory(section=section, duration=60)
    draft = LessonFactory(section=section, duration=500, is_published=False)
    course.refresh_from_db()
    assert (course.lesson_count, course.total_duration) == (1, 60)
    draft.is_published = True
    draft.save()
    course.refresh_from_db()
    assert (course.lesson_count, course.total_duration) == (2, 560)
    draft.delete()
    course.refresh_from_db()
    assert (course.lesson_count, course.total_duration) == (1, 60)
    section.delete()
    course.refresh_from_db()
    assert (course.lesson_count, course.total_duration) == (0, 0)


def test_move_swaps_neighbours_and_stops_at_the_ends():
    course = CourseFactory()
    a, b, c = (SectionFactory(course=course) for _ in range(3))
    assert c.move(-1) is True
    assert list(course.sections.order_by("order").values_list("pk", flat=True)) == [
        a.pk,
        c.pk,
        b.pk,
    ]
    assert a.move(-1) is False
    assert b.move(1) is False
    orders = list(course.sections.order_by("order").values_list("order", flat=True))
    assert orders == [1, 2, 3]


def test_lessons_move_within_their_section():
    section = SectionFactory()
    a, b = LessonFactory(section=section), LessonFactory(section=section)
    assert a.move(1) is True
    assert list(section.lessons.order_by("order").values_list("pk", flat=True)) == [b.pk, a.pk]


def test_a_course_without_lessons_cannot_be_published():
    course = CourseFactory()
    SectionFactory(course=course)
    with pytest.raises(ValidationError, match="at least one published lesson"):
        course.publish()
    course.refresh_from_db()
    assert course.status == Course.Status.DRAFT


def test_publish_and_unpublish_keep_the_first_publication_date():
    course = published_course()
    first = course.published_at
    course.unpublish()
    course.publish()
    assert course.published_at == first


def test_visibility_rules(student, instructor, other_instructor, staff, anonymous):
    draft = CourseFactory(instructor=instructor)
    live = published_course()
    for user in (anonymous, student, other_instructor):
        assert not draft.is_visible_to(user)
        assert live.is_visible_to(user)
    assert draft.is_visible_to(instructor) and draft.is_visible_to(staff)
    assert set(Course.objects.editable_by(instructor)) == {draft}
    assert set(Course.objects.editable_by(staff)) == {draft, live}
    assert not Course.objects.editable_by(student).exists()
