"""Query budgets: the course page with 1,000 reviews, and the reviews fragment."""

import pytest
from django.urls import reverse

from accounts.models import Profile, User
from catalog.tests.factories import published_course
from learning.models import Enrollment
from reviews.models import Review
from reviews.services import refresh_course_rating

pytestmark = pytest.mark.django_db


def many_reviews(course, n: int):
    users = User.objects.bulk_create(
        [User(email=f"reviewer{i}@example.com", first_name="R", last_name=str(i)) for i in range(n)]
    )
    Profile.objects.bulk_create([Profile(user=u) for u in users])
    Enrollment.objects.bulk_create([Enrollment(user=u, course=course) for u in users])
    Review.objects.bulk_create(
        [
            Review(user=u, course=course, rating=i % 5 + 1, text=f"Review {i}")
            for i, u in enumerate(users)
        ]
    )
    refresh_course_rating(course)


@pytest.mark.parametrize("size", [5, 1000])
def test_course_page_budget(client, student, size, django_assert_max_num_queries):
    course = published_course(sections=3, lessons=4)
    many_reviews(course, size)
    client.force_login(student)
    client.get(course.get_absolute_url())  # warm the session cache
    url = course.get_absolute_url()
    with django_assert_max_num_queries(8):
        response = client.get(url)
    assert f"{size} rating" in response.content.decode()


@pytest.mark.parametrize("size", [5, 1000])
def test_reviews_fragment_budget(client, student, size, django_assert_max_num_queries):
    course = published_course()
    many_reviews(course, size)
    client.force_login(student)
    url = reverse("reviews:list", args=[course.slug])
    client.get(url)  # warm the session cache
    with django_assert_max_num_queries(5):
        response = client.get(url, {"page": 2, "sort": "helpful"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
