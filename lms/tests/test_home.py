"""The home page: Featured, Popular and New show each course at most once, at a fixed
number of queries whatever the catalog's size."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.models import Course
from catalog.tests.factories import CategoryFactory, CourseFactory

pytestmark = pytest.mark.django_db

SECTIONS = {"Featured": "featured-heading", "Popular": "popular-heading", "New": "new-heading"}


def sections(html: str) -> dict[str, list[str]]:
    """The course titles of each home section, in page order."""
    shown = {}
    for name, heading in SECTIONS.items():
        match = re.search(rf'<section aria-labelledby="{heading}".*?</section>', html, re.S)
        shown[name] = re.findall(r'<h3 class="course-title">(.*?)</h3>', match[0]) if match else []
    return shown


def shelf(n: int, *, featured: int, popular: int) -> dict[str, Course]:
    """``n`` published courses, one a day; the newest ``featured`` are featured and the
    newest ``popular`` have enrolments (the newer, the more), so every course could
    qualify for two or three sections at once."""
    category = CategoryFactory()
    instructor = CourseFactory().instructor
    now = timezone.now()
    courses = {}
    for i in range(n):
        course = CourseFactory(
            title=f"Course {i:03}",
            category=category,
            instructor=instructor,
            published=True,
            published_at=now - timedelta(days=i),
            featured=i < featured,
            enrollment_count=max(popular - i, 0),
        )
        courses[course.title] = course
    return courses


def test_a_course_appears_in_one_section_only(client, student):
    shelf(30, featured=5, popular=20)
    client.force_login(student)
    shown = sections(client.get(reverse("home")).content.decode())
    # Featured first (staff's choice), then Popular, then New: each takes what is left.
    assert shown["Featured"] == [f"Course {i:03}" for i in range(4)]
    assert shown["Popular"] == [f"Course {i:03}" for i in range(4, 12)]
    assert shown["New"] == [f"Course {i:03}" for i in range(12, 20)]
    every = shown["Featured"] + shown["Popular"] + shown["New"]
    assert len(every) == len(set(every))


def test_a_small_catalog_fills_the_first_sections_and_hides_empty_ones(client):
    shelf(5, featured=2, popular=5)
    html = client.get(reverse("home")).content.decode()  # anonymous: rendered, then cached
    shown = sections(html)
    assert shown == {
        "Featured": ["Course 000", "Course 001"],
        "Popular": ["Course 002", "Course 003", "Course 004"],
        "New": [],
    }
    assert 'id="new-heading"' not in html  # no empty section, no duplicate to fill it


def test_without_featured_or_enrolments_new_lists_the_newest(client):
    shelf(10, featured=0, popular=0)
    shown = sections(client.get(reverse("home")).content.decode())
    assert shown == {"Featured": [], "Popular": [], "New": [f"Course {i:03}" for i in range(8)]}


def test_drafts_never_fill_a_section(client, instructor):
    shelf(3, featured=1, popular=3)
    CourseFactory(title="A draft", featured=True, enrollment_count=99, instructor=instructor)
    shown = sections(client.get(reverse("home")).content.decode())
    assert "A draft" not in shown["Featured"] + shown["Popular"] + shown["New"]


@pytest.mark.parametrize("size", [12, 500])
def test_home_query_budget_with_every_section_full(
    client, student, size, django_assert_max_num_queries
):
    shelf(size, featured=6, popular=size // 2)
    client.force_login(student)
    # 5 queries, as before the sections were made disjoint: the user, three course lists
    # (each excluding the courses already shown) and the categories.
    with django_assert_max_num_queries(5):
        response = client.get(reverse("home"))
    shown = sections(response.content.decode())
    expected = [4, 2, 6] if size == 12 else [4, 8, 8]
    assert [len(shown[name]) for name in SECTIONS] == expected
    every = shown["Featured"] + shown["Popular"] + shown["New"]
    assert len(every) == len(set(every))
