"""Staff deleting learning rows in the admin: the summaries follow the rows."""

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from catalog.tests.factories import published_course
from learning import services
from learning.models import Enrollment, LessonProgress

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(instructor):
    return published_course(instructor=instructor, lessons=3)


def enrolled(course, n: int) -> list:
    users = [UserFactory() for _ in range(n)]
    for user in users:
        services.enroll(user=user, course=course)
    return users


def delete_page(client, obj):
    meta = obj._meta
    url = reverse(f"admin:{meta.app_label}_{meta.model_name}_delete", args=[obj.pk])
    return client.post(url, {"post": "yes"})


def delete_selected(client, model, objects):
    meta = model._meta
    return client.post(
        reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"),
        {"action": "delete_selected", "_selected_action": [o.pk for o in objects], "post": "yes"},
    )


def enrolment_count(course) -> tuple[int, int]:
    course.refresh_from_db()
    return course.enrollment_count, Enrollment.objects.filter(course=course).count()


def test_deleting_an_enrolment_in_the_admin_lowers_the_count(client, staff, course):
    first, *_ = enrolled(course, 3)
    client.force_login(staff)
    response = delete_page(client, Enrollment.objects.get(user=first))
    assert response.status_code == 302
    assert enrolment_count(course) == (2, 2)


def test_bulk_deleting_enrolments_in_the_admin_lowers_the_counts(client, staff, course, instructor):
    other = published_course(instructor=instructor)
    users = enrolled(course, 3)
    for user in users[:2]:
        services.enroll(user=user, course=other)
    client.force_login(staff)
    chosen = Enrollment.objects.filter(user__in=users[:2])  # two in each course
    response = delete_selected(client, Enrollment, chosen)
    assert response.status_code == 302
    assert enrolment_count(course) == (1, 1)
    assert enrolment_count(other) == (0, 0)


def test_only_staff_delete_enrolments(client, course, instructor, student):
    first, *_ = enrolled(course, 2)
    enrollment = Enrollment.objects.get(user=first)
    client.force_login(instructor)  # the course's own instructor: no enrolment permissions
    assert delete_page(client, enrollment).status_code == 403
    assert delete_selected(client, Enrollment, [enrollment]).status_code == 403
    client.force_login(student)
    assert delete_page(client, enrollment).status_code == 302  # to the admin login
    assert enrolment_count(course) == (2, 2)


def completed_rollup(course, user) -> tuple[int, int]:
    enrollment = Enrollment.objects.get(user=user, course=course)
    rows = LessonProgress.objects.completed_in(user=user, course=course)
    return enrollment.completed_lessons, rows


def test_deleting_lesson_progress_in_the_admin_keeps_the_rollup(client, staff, course):
    student, other = enrolled(course, 2)
    lessons = list(course.published_lessons().order_by("pk"))
    for user in (student, other):
        for lesson in lessons[:2]:
            services.set_completed(user=user, lesson=lesson, completed=True)
    assert completed_rollup(course, student) == (2, 2)
    client.force_login(staff)

    response = delete_page(client, LessonProgress.objects.get(user=student, lesson=lessons[0]))
    assert response.status_code == 302
    assert completed_rollup(course, student) == (1, 1)

    response = delete_selected(client, LessonProgress, LessonProgress.objects.all())
    assert response.status_code == 302
    assert completed_rollup(course, student) == (0, 0)
    assert completed_rollup(course, other) == (0, 0)
