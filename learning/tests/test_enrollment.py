"""Enrolment: free courses only, idempotent, race-safe; unenrolling keeps progress."""

import threading
from decimal import Decimal

import pytest
from django.db import close_old_connections, connection
from django.urls import reverse

from catalog.models import Course, Lesson
from catalog.tests.factories import CourseFactory, published_course
from learning import services
from learning.models import Enrollment, LessonProgress

pytestmark = pytest.mark.django_db


def enrol_url(course):
    return reverse("learning:enroll", args=[course.slug])


def test_enrolling_in_a_free_course_opens_the_first_lesson(client, student):
    course = published_course(sections=2, lessons=2)
    client.force_login(student)
    response = client.post(enrol_url(course), follow=True)
    first = Lesson.objects.filter(section__course=course).order_by("section__order", "order")[0]
    assert response.redirect_chain[-1][0] == reverse(
        "learning:lesson", args=[course.slug, first.pk]
    )
    assert "You are enrolled" in response.content.decode()
    assert Enrollment.objects.filter(user=student, course=course).count() == 1
    course.refresh_from_db()
    assert course.enrollment_count == 1


def test_double_submit_enrols_once(client, student):
    course = published_course()
    client.force_login(student)
    client.post(enrol_url(course))
    client.post(enrol_url(course))
    assert Enrollment.objects.filter(user=student).count() == 1
    course.refresh_from_db()
    assert course.enrollment_count == 1


def test_enrolling_needs_login_and_post(client):
    course = published_course()
    assert client.get(enrol_url(course)).status_code in (302, 405)
    response = client.post(enrol_url(course))
    assert response.status_code == 302 and reverse("account_login") in response.url
    assert not Enrollment.objects.exists()


def test_paid_course_cannot_be_enrolled_into_through_the_enrol_url(client, student):
    course = published_course(price=Decimal("20"))
    client.force_login(student)
    response = client.post(enrol_url(course), follow=True)
    assert "This course is paid: buy it to enrol." in response.content.decode()
    assert not Enrollment.objects.exists()


def test_draft_course_cannot_be_enrolled_into(client, student, instructor):
    draft = CourseFactory(instructor=instructor)
    client.force_login(student)
    assert client.post(enrol_url(draft)).status_code == 404
    client.force_login(instructor)  # even its own instructor
    client.post(enrol_url(draft))
    assert not Enrollment.objects.exists()


def test_unenrolling_keeps_progress(client, student):
    course = published_course()
    lesson = Lesson.objects.filter(section__course=course).first()
    services.enroll(user=student, course=course)
    services.set_completed(user=student, lesson=lesson, completed=True)
    client.force_login(student)
    response = client.post(reverse("learning:unenroll", args=[course.slug]), follow=True)
    assert "Your progress is kept" in response.content.decode()
    assert not Enrollment.objects.filter(user=student).exists()
    course.refresh_from_db()
    assert course.enrollment_count == 0
    assert LessonProgress.objects.get(user=student, lesson=lesson).is_complete
    enrollment, _ = services.enroll(user=student, course=course)
    assert Enrollment.objects.with_progress().get(pk=enrollment.pk).done == 1


def test_course_page_shows_the_right_enrol_box(client, student):
    course = published_course()
    page = client.get(course.get_absolute_url()).content.decode()
    assert "Log in to enrol for free" in page
    client.force_login(student)
    assert "Enrol for free" in client.get(course.get_absolute_url()).content.decode()
    services.enroll(user=student, course=course)
    page = client.get(course.get_absolute_url()).content.decode()
    assert "Continue learning" in page and "Leave this course" in page
    assert "Includes a certificate of completion" in page


@pytest.mark.django_db(transaction=True)
def test_concurrent_enrolments_create_one_row():
    if connection.vendor != "postgresql":
        pytest.skip("a real race needs PostgreSQL (CI's second run); SQLite serialises writers")
    from accounts.tests.factories import UserFactory

    user = UserFactory()
    course = published_course()
    barrier = threading.Barrier(8)
    results, errors = [], []

    def attempt():
        try:
            barrier.wait()
            results.append(services.enroll(user=user, course=Course.objects.get(pk=course.pk)))
        except Exception as error:
            errors.append(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(created for _, created in results) == 1
    assert Enrollment.objects.filter(user=user, course=course).count() == 1
    course.refresh_from_db()
    assert course.enrollment_count == 1


def test_deleting_a_student_lowers_enrolment_counts(client, student):
    from accounts.tests.factories import PASSWORD

    course = published_course()
    services.enroll(user=student, course=course)
    client.force_login(student)
    client.post(reverse("accounts:delete"), {"password": PASSWORD})
    course.refresh_from_db()
    assert course.enrollment_count == 0
    assert not Enrollment.objects.exists() and not LessonProgress.objects.exists()
