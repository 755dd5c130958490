"""Catalog endpoints of the API: the web catalog's rules, search and order; budgets."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.tests.api_client import ApiClient
from catalog.models import Course, Lesson, Section
from catalog.tests.factories import CategoryFactory, CourseFactory, published_course

pytestmark = pytest.mark.django_db

COURSES = "/api/v1/courses"


def slugs(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [course["slug"] for course in response.json()["results"]]


def test_list_shows_published_courses_only_as_the_web_catalog_does(client, instructor):
    published_course(title="Open course", instructor=instructor)
    CourseFactory(title="Secret draft", instructor=instructor)
    # Even the draft's own instructor: the list is the public catalog, as on the web.
    for api in (ApiClient(), ApiClient(instructor)):
        assert slugs(api.get(COURSES)) == ["open-course"]


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"q": "python"},
        {"q": "python", "sort": "rating"},
        {"level": "beginner", "price": "free"},
        {"price": "paid", "sort": "price_high"},
        {"duration": "short", "sort": "popular"},
    ],
)
def test_search_filters_and_sorts_match_the_web_catalog(client, query):
    python = CategoryFactory(name="Programming", slug="programming")
    for n, (title, price, level) in enumerate(
        [
            ("Python basics", 0, "beginner"),
            ("Python for data", 20, "intermediate"),
            ("Watercolour", 0, "beginner"),
            ("Advanced Python", 45, "advanced"),
        ]
    ):
        course = published_course(title=title, price=Decimal(price), level=level, category=python)
        Course.objects.filter(pk=course.pk).update(enrollment_count=n * 3, rating_avg=n)
    web = client.get(reverse("catalog:courses"), query)
    web_slugs = [course.slug for course in web.context["page"].object_list]
    assert slugs(ApiClient().get(COURSES, query)) == web_slugs


def test_pages_are_bounded_and_counted():
    for _ in range(5):
        published_course(lessons=1)
    api = ApiClient()
    body = api.get(COURSES, {"page_size": 2, "page": 3}).json()
    assert (body["count"], body["page"], body["pages"], len(body["results"])) == (5, 3, 3, 1)
    assert api.get(COURSES, {"page": 4, "page_size": 2}).json()["results"] == []


@pytest.mark.parametrize(
    "query, field",
    [
        ({"page": 0}, "page"),
        ({"page": 10_001}, "page"),
        ({"page": "99999999999999999999999"}, "page"),
        ({"page_size": 101}, "page_size"),
        ({"level": "wizard"}, "level"),
        ({"sort": "random"}, "sort"),
        ({"q": "x" * 101}, "q"),
    ],
)
def test_bad_query_values_are_a_422_naming_the_field(query, field):
    response = ApiClient().get(COURSES, query)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 422 and body["detail"]
    assert [error["field"] for error in body["errors"]] == [field]


def test_course_detail_has_the_published_curriculum_only():
    course = published_course(sections=2, lessons=2, title="Deep course", with_video=True)
    hidden = Lesson.objects.filter(section__course=course).first()
    hidden.is_published = False
    hidden.save()
    body = ApiClient().get(f"{COURSES}/{course.slug}").json()
    assert body["title"] == "Deep course"
    lessons = [lesson["id"] for section in body["curriculum"] for lesson in section["lessons"]]
    assert len(lessons) == 3 and hidden.pk not in lessons
    # No file names or URLs of videos (a lesson's kind is "video": the word itself is fine).
    assert "videos/" not in str(body) and "/stream/" not in str(body)


def test_draft_detail_is_404_except_for_its_instructor_and_staff(
    instructor, other_instructor, student, staff
):
    draft = CourseFactory(instructor=instructor)
    url = f"{COURSES}/{draft.slug}"
    assert ApiClient().get(url).status_code == 404
    for user, expected in (
        (student, 404),
        (other_instructor, 404),
        (instructor, 200),
        (staff, 200),
    ):
        assert ApiClient(user).get(url).status_code == expected, user


def test_the_session_cookie_is_not_an_api_credential(client, instructor):
    """A logged-in browser is a stranger to the API (so the API needs no CSRF)."""
    draft = CourseFactory(instructor=instructor)
    client.force_login(instructor)
    assert client.get(draft.get_absolute_url()).status_code == 200  # the web page: yes
    assert client.get(f"{COURSES}/{draft.slug}").status_code == 404  # the API: anonymous


def test_a_bad_token_on_a_public_endpoint_is_401_not_anonymous():
    response = ApiClient(token="not.a.token").get(COURSES)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["title"] == "Unauthorized"


def test_text_comes_back_as_text(instructor):
    course = published_course(title="<script>alert(1)</script> Course", instructor=instructor)
    body = ApiClient().get(f"{COURSES}/{course.slug}").json()
    assert body["title"] == "<script>alert(1)</script> Course"  # JSON: the client escapes


def test_categories_count_published_courses():
    category = CategoryFactory(name="Art", slug="art")
    published_course(category=category)
    CourseFactory(category=category)  # a draft
    body = ApiClient().get("/api/v1/categories").json()
    assert {"slug": "art", "name": "Art", "description": "", "course_count": 1} in body


def test_unknown_api_paths_are_json_404s(client):
    for path in ("/api/v1/nope", "/api/v2/courses", "/api/"):
        response = client.get(path)
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"


# --- Query budgets ------------------------------------------------------------------------
def make_courses(n: int):
    category = CategoryFactory()
    instructor = CourseFactory().instructor
    for _ in range(n):
        CourseFactory(category=category, instructor=instructor, published=True)


@pytest.mark.parametrize("size", [10, 200])
def test_list_and_categories_budget(student, size, django_assert_max_num_queries):
    make_courses(size)
    api = ApiClient(student)
    # token check (session lookup, user) + count + page; categories: one aggregate query
    for url, budget in (
        (f"{COURSES}?page_size=100", 4),
        (f"{COURSES}?q=course&sort=rating&page_size=100", 4),
        ("/api/v1/categories", 3),
    ):
        with django_assert_max_num_queries(budget):
            response = api.get(url)
        assert response.status_code == 200


@pytest.mark.parametrize("sections, lessons", [(1, 2), (30, 20)])
def test_course_detail_budget(sections, lessons, django_assert_max_num_queries):
    course = CourseFactory(published=True)
    rows = Section.objects.bulk_create(
        [Section(course=course, title=f"Section {s}", order=s + 1) for s in range(sections)]
    )
    Lesson.objects.bulk_create(
        [
            Lesson(section=section, title=f"Lesson {n}", order=n + 1, duration=61)
            for section in rows
            for n in range(lessons)
        ]
    )
    with django_assert_max_num_queries(4):  # course, tags, sections, lessons
        body = ApiClient().get(f"{COURSES}/{course.slug}").json()
    assert sum(len(section["lessons"]) for section in body["curriculum"]) == sections * lessons


def test_anonymous_lists_come_from_the_page_cache_and_token_calls_never_do(settings, student):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 60
    published_course(title="Cached course")
    stranger, app = ApiClient(), ApiClient(student)
    for url in (COURSES, "/api/v1/categories"):
        assert stranger.get(url).status_code == 200
        again = stranger.get(url)
        assert again["X-Page-Cache"] == "hit" and "Authorization" in again["Vary"]
        assert again["Content-Type"].startswith("application/json")
        assert not app.get(url).has_header("X-Page-Cache")
    assert ApiClient(token="forged").get(COURSES).status_code == 401  # not a cached 200
    published_course(title="Newer course")  # a catalog change: the cached list is stale
    assert len(stranger.get(COURSES).json()["results"]) == 2


def test_an_unknown_query_parameter_is_refused():
    """A typo (``?pagesize=``) or a parameter the API does not take is a 422, not ignored."""
    for query in ({"pagesize": 5}, {"": "false"}, {"instructor": 1}):
        response = ApiClient().get(COURSES, query)
        assert response.status_code == 422, query
        assert response.json()["errors"]
