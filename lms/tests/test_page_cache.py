"""Anonymous catalog pages are cached, invalidated by any catalog change, never personal."""

import time

import pytest
from django.core.cache import cache
from django.urls import reverse

from catalog.models import Course
from catalog.tests.factories import published_course
from lms.lib.page_cache import VERSION_KEY

pytestmark = pytest.mark.django_db

COURSES = reverse("catalog:courses")


def test_anonymous_pages_are_served_from_the_cache(client, django_assert_num_queries):
    course = published_course(title="Cached course")
    for url in (reverse("home"), COURSES, course.get_absolute_url()):
        first = client.get(url)
        assert "X-Page-Cache" not in first
        with django_assert_num_queries(0):
            again = client.get(url)
        assert again["X-Page-Cache"] == "hit"
        assert again.content == first.content


def test_a_published_change_shows_at_once(client, instructor):
    course = published_course(title="Now you see it", instructor=instructor)
    assert "Now you see it" in client.get(COURSES).content.decode()
    course.unpublish()
    assert "Now you see it" not in client.get(COURSES).content.decode()
    course.publish()
    course.title = "Renamed course"
    course.save()
    assert "Renamed course" in client.get(COURSES).content.decode()


def test_fragment_and_page_of_one_url_are_cached_apart(client):
    published_course()
    page = client.get(COURSES).content.decode()
    fragment = client.get(COURSES, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="course-results")
    assert "<html" in page and "<html" not in fragment.content.decode()


def test_logged_in_pages_are_never_cached(client, student):
    published_course()
    client.force_login(student)
    client.get(COURSES)
    assert "X-Page-Cache" not in client.get(COURSES)
    assert "My learning" in client.get(COURSES).content.decode()


def test_cached_anonymous_pages_carry_no_csrf_token(client):
    published_course()
    client.get(COURSES)
    page = client.get(COURSES).content.decode()
    assert "csrfmiddlewaretoken" not in page and "X-CSRFToken" not in page


def test_pages_still_render_when_the_cache_is_down(client, monkeypatch):
    published_course(title="Still here")

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    for operation in ("get", "get_many", "add", "set"):
        monkeypatch.setattr(cache, operation, down)
    response = client.get(COURSES)
    assert response.status_code == 200 and "Still here" in response.content.decode()


def test_a_copy_kept_by_this_process_yields_to_another_process_change(client):
    """Each process keeps recent pages; the shared version still decides what is fresh."""
    course = published_course(title="Old title")
    assert "Old title" in client.get(COURSES).content.decode()  # kept here and in the cache
    Course.objects.filter(pk=course.pk).update(title="New title")  # no signal in this process
    cache.set(VERSION_KEY, time.time_ns(), None)  # what another process's bump looks like
    page = client.get(COURSES)
    assert "X-Page-Cache" not in page and "New title" in page.content.decode()


def test_a_process_serves_its_recent_copy_asking_the_cache_only_for_the_version(
    client, monkeypatch, django_assert_num_queries
):
    published_course(title="Kept here")
    client.get(COURSES)  # rendered: kept in this process and in the cache
    asked = []
    real_get_many = cache.get_many
    monkeypatch.setattr(cache, "get_many", lambda keys: asked.append(keys) or real_get_many(keys))
    with django_assert_num_queries(0):
        page = client.get(COURSES)
    assert page["X-Page-Cache"] == "hit" and "Kept here" in page.content.decode()
    assert asked == []  # the page came from this process; only the version was read


def test_no_copy_outlives_the_cache_timeout(client, settings, monkeypatch):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 60
    course = published_course(title="Counted")
    url = course.get_absolute_url()
    client.get(url)
    Course.objects.filter(pk=course.pk).update(enrollment_count=4321)  # no version bump
    assert client.get(url)["X-Page-Cache"] == "hit"
    version = cache.get(VERSION_KEY)
    cache.clear()  # the shared copies expire (Redis's TTL); the version stays
    cache.set(VERSION_KEY, version, None)
    later = time.time() + 61
    monkeypatch.setattr(time, "time", lambda: later)
    page = client.get(url)
    assert "X-Page-Cache" not in page and "4321 students" in page.content.decode()


def test_a_signup_leaves_cached_pages_alone(client):
    from accounts.tests.factories import UserFactory

    published_course()
    client.get(COURSES)
    version = cache.get(VERSION_KEY)
    UserFactory()  # creates its profile too
    assert cache.get(VERSION_KEY) == version
    assert client.get(COURSES)["X-Page-Cache"] == "hit"


@pytest.mark.parametrize("model", ["lesson", "section"])
def test_reordering_in_the_admin_shows_at_once(client, instructor, model):
    from django.test import Client

    from catalog.tests.factories import CourseFactory, LessonFactory, SectionFactory

    course = CourseFactory(instructor=instructor, with_thumbnail=True)
    sections = [SectionFactory(course=course, title=f"Part {n}") for n in ("one", "two")]
    lessons = [LessonFactory(section=sections[0], title=t) for t in ("Alpha lesson", "Beta lesson")]
    LessonFactory(section=sections[1], title="Gamma lesson")
    course.publish()
    moved, first, second = (
        (lessons[1], "Alpha lesson", "Beta lesson")
        if model == "lesson"
        else (sections[1], "Part one", "Part two")
    )

    def order_shown() -> bool:
        page = client.get(course.get_absolute_url()).content.decode()
        return page.index(first) < page.index(second)

    assert order_shown()
    assert client.get(course.get_absolute_url())["X-Page-Cache"] == "hit"
    author = Client()
    author.force_login(instructor)
    url = reverse(f"admin:catalog_{model}_move", args=[moved.pk]) + "?direction=up"
    assert author.post(url).status_code == 302
    assert not order_shown()
