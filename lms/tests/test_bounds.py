"""Numbers from the outside — ?page=, ?course=, ids in URL paths — never reach the database
out of range: too large, negative or not a number, they get an ordinary page or a 404,
never a 500. PostgreSQL is where they used to fail (`bigint out of range` in OFFSET), so
CI runs this on PostgreSQL as well as SQLite."""

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from catalog.models import Lesson
from catalog.tests.factories import published_course
from learning import services as learning
from lms.lib.query_params import MAX_PAGE
from reviews import services as reviews

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"  # past 2**64
BIGINT_MAX = str(2**63 - 1)  # PostgreSQL's bigint holds it; OFFSET of it × page size does not
BAD_NUMBERS = [HUGE, BIGINT_MAX, str(MAX_PAGE + 1), "-1", "-" + HUGE, "0", "abc", "1e9", "2.5", ""]


@pytest.fixture
def course(instructor):
    return published_course(instructor=instructor, sections=1, lessons=2, with_video=True)


@pytest.fixture
def reviewed(course, settings):
    """A course with three reviews, two to a page."""
    settings.REVIEWS_PAGE_SIZE = 2
    for n in range(3):
        student = UserFactory()
        learning.enroll(user=student, course=course)
        reviews.save_review(user=student, course=course, rating=4, text=f"Review {n}")
    return course


@pytest.fixture
def client(client):
    client.raise_request_exception = False  # a 500 is an answer to assert on, not a crash
    return client


# --- Page numbers ---------------------------------------------------------------------------
@pytest.mark.parametrize("number", BAD_NUMBERS)
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "fragment"])
def test_course_reviews_answer_any_page_number(client, reviewed, number, htmx):
    url = reverse("reviews:list", args=[reviewed.slug])
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = client.get(url, {"page": number}, **headers)
    assert response.status_code == 200
    text = response.content.decode()
    if number in ("-1", "-" + HUGE, "0", "abc", "1e9", "2.5", ""):  # not a page: the first
        assert "Review 2" in text and "Review 1" in text and "More reviews" in text
    else:  # past the last page: no reviews, and no "More reviews" leading further
        assert not any(f"Review {n}" in text for n in range(3))
        assert "More reviews" not in text


@pytest.mark.parametrize("number", BAD_NUMBERS)
def test_catalog_answers_any_page_number(client, course, number):
    response = client.get(reverse("catalog:courses"), {"page": number})
    assert response.status_code == 200
    assert course.title in response.content.decode()  # one page: the first is the last


# --- Ids in the query string and the path -----------------------------------------------------
@pytest.mark.parametrize("value", BAD_NUMBERS)
@pytest.mark.parametrize("export", ["", "funnel"])
def test_dashboard_answers_any_course_id(client, staff, course, value, export):
    client.force_login(staff)
    response = client.get(reverse("dashboard"), {"course": value, "export": export})
    assert response.status_code == 200
    if export:  # a course that cannot exist: the funnel table has its header only
        header = "course,section,lesson,kind,students who reached it"
        assert response.content.decode().strip() == header


@pytest.mark.parametrize("number", [HUGE, BIGINT_MAX])
def test_huge_ids_in_paths_are_not_found(client, staff, course, number):
    client.force_login(staff)  # the most entitled visitor: a 404 is not a refusal
    lesson = Lesson.objects.filter(section__course=course).first()
    gets = [
        f"/learn/{course.slug}/lessons/{number}/",
        f"/learn/{course.slug}/preview/{number}/",
        f"/video/{number}/",
        f"/instructors/{number}/",
        f"/certificates/{number}/",
        f"/admin/catalog/lesson/{number}/change/",
    ]
    posts = [
        f"/progress/{number}/",
        f"/progress/{number}/complete/",
        f"/reviews/{number}/helpful/",
        f"/reviews/{number}/report/",
        f"/reviews/{number}/reply/",
        f"/reviews/{number}/delete/",
    ]
    answers = {url: client.get(url).status_code for url in gets}
    answers |= {url: client.post(url, {"position": 1}).status_code for url in posts}
    assert {url: code for url, code in answers.items() if code != 404} == {
        f"/video/{number}/": 403,  # the signature is checked before the lesson is looked up
        f"/admin/catalog/lesson/{number}/change/": 302,  # the admin: "doesn't exist", home
    }
    assert Lesson.objects.filter(pk=lesson.pk).exists()


@pytest.mark.parametrize("number", [HUGE, "-1", "abc"])
def test_admin_lists_answer_any_page_number(client, staff, course, number):
    client.force_login(staff)
    for name in ("admin:catalog_course_changelist", "admin:reviews_review_changelist"):
        response = client.get(reverse(name), {"p": number})
        assert response.status_code in (200, 302)  # 302: the admin's "?e=1" for a bad page
