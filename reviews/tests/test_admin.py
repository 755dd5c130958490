"""Staff deleting reviews and reports in the admin: ratings and report counts follow."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from catalog.tests.factories import published_course
from learning import services as learning
from reviews import services
from reviews.models import Review, ReviewReport

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(instructor):
    return published_course(instructor=instructor)


def reviewed(course, *ratings) -> list[Review]:
    reviews = []
    for stars in ratings:
        user = UserFactory()
        learning.enroll(user=user, course=course)
        reviews.append(services.save_review(user=user, course=course, rating=stars)[0])
    return reviews


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


def rating(course):
    course.refresh_from_db()
    return (course.rating_avg, course.rating_count, course.rating_histogram)


def test_deleting_a_review_in_the_admin_recomputes_the_rating(client, staff, course):
    *_, one = reviewed(course, 5, 4, 1)
    client.force_login(staff)
    assert delete_page(client, one).status_code == 302
    assert rating(course) == (Decimal("4.50"), 2, [0, 0, 0, 1, 1])
    assert rating(course)[1] == Review.objects.filter(course=course).count()


def test_bulk_deleting_reviews_in_the_admin_recomputes_every_rating(
    client, staff, course, instructor
):
    other = published_course(instructor=instructor)
    mine = reviewed(course, 5, 2, 3)
    theirs = reviewed(other, 4, 4)
    client.force_login(staff)
    response = delete_selected(client, Review, [mine[1], mine[2], theirs[0]])
    assert response.status_code == 302
    assert rating(course) == (Decimal("5.00"), 1, [0, 0, 0, 0, 1])
    assert rating(other) == (Decimal("4.00"), 1, [0, 0, 0, 1, 0])


def report_counts() -> list[tuple[int, int]]:
    return [
        (review.report_count, review.reports.count()) for review in Review.objects.order_by("pk")
    ]


def test_deleting_reports_in_the_admin_lowers_the_report_counts(client, staff, course):
    first, second = reviewed(course, 1, 2)
    reporters = [UserFactory() for _ in range(3)]
    for reporter in reporters:
        services.report_review(review=first, user=reporter, reason="spam")
    services.report_review(review=second, user=reporters[0], reason="abuse")
    assert report_counts() == [(3, 3), (1, 1)]
    client.force_login(staff)

    response = delete_page(client, ReviewReport.objects.filter(review=first).first())
    assert response.status_code == 302
    assert report_counts() == [(2, 2), (1, 1)]

    response = delete_selected(client, ReviewReport, ReviewReport.objects.all())
    assert response.status_code == 302
    assert report_counts() == [(0, 0), (0, 0)]
