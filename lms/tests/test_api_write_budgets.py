"""Query budgets of the API's writes at two data sizes: a course with 2 lessons, 2 other
students and 2 reviews, and one with 30 of each. A write may not cost more queries on the
bigger course (no N+1), and stays under a fixed ceiling."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.api_client import ApiClient
from accounts.tests.factories import UserFactory
from catalog.models import Lesson
from catalog.tests.factories import published_course
from learning import services as learning
from reviews import services as reviews

pytestmark = pytest.mark.django_db

CEILING = 30  # the heaviest write (completing a course: certificate, rollups, email)


def world(size: int, student):
    course = published_course(sections=1, lessons=size, with_video=True)
    for n in range(size):
        other = UserFactory()
        learning.enroll(user=other, course=course)
        reviews.save_review(user=other, course=course, rating=n % 5 + 1, text=f"Review {n}")
    learning.enroll(user=student, course=course)
    lesson = Lesson.objects.filter(section__course=course).order_by("order").first()
    review = course.reviews.exclude(user=student).first()
    return course, lesson, review


CALLS = {
    "report_progress": lambda c, lesson, r: (
        "POST",
        f"/lessons/{lesson.pk}/progress",
        '{"position": 1}',
    ),
    "complete_lesson": lambda c, lesson, r: ("PUT", f"/lessons/{lesson.pk}/completion", ""),
    "unenroll_and_enroll": None,  # two calls, below
    "put_my_review": lambda c, lesson, r: (
        "PUT",
        f"/courses/{c.slug}/reviews/mine",
        '{"rating": 4, "text": "Clear."}',
    ),
    "mark_helpful": lambda c, lesson, r: ("POST", f"/reviews/{r.pk}/helpful", ""),
    "report_review": lambda c, lesson, r: (
        "POST",
        f"/reviews/{r.pk}/reports",
        '{"reason": "spam"}',
    ),
}


def queries_for(name, size, student) -> int:
    course, lesson, review = world(size, student)
    api = ApiClient(student)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api.token}"}
    api.get("/api/v1/me")  # warm the token's session
    if name == "unenroll_and_enroll":
        calls = [
            ("DELETE", f"/courses/{course.slug}/enrollment", ""),
            ("POST", f"/courses/{course.slug}/enrollment", ""),
        ]
    else:
        calls = [CALLS[name](course, lesson, review)]
    with CaptureQueriesContext(connection) as captured:
        for method, path, body in calls:
            response = api.generic(
                method, "/api/v1" + path, body, content_type="application/json", **auth
            )
            assert response.status_code < 300, (name, response.content[:300])
    return len(captured)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_a_write_costs_the_same_on_a_big_course(name, student, other_student):
    small = queries_for(name, 2, student)
    big = queries_for(name, 30, other_student)
    assert big == small, f"{name}: {small} queries at 2, {big} at 30"
    assert big <= CEILING
