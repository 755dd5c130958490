"""Lesson kinds where a curriculum is listed: the public course page (icon with its name,
"N min read", "N questions", a video's clock) and the catalog API's outline."""

import re

import pytest
from django.urls import reverse

from catalog.models import Lesson
from catalog.tests.factories import CourseFactory, LessonFactory, SectionFactory
from catalog.tests.test_builder_kinds import WORDS_450, make_article, make_quiz

pytestmark = pytest.mark.django_db

COURSES = "/api/v1/courses"


@pytest.fixture
def course(instructor):
    """Published: a 12-second video (a free preview), a 3-minute article (a free
    preview), a 2-question quiz and a draft article."""
    course = CourseFactory(instructor=instructor, title="Mixed", with_thumbnail=True)
    section = SectionFactory(course=course, title="Part one")
    LessonFactory(section=section, title="Clip", with_video=True, is_free_preview=True)
    article = make_article(section, title="Reading", published=True)
    Lesson.objects.filter(pk=article.pk).update(is_free_preview=True)
    make_quiz(section, title="Check", questions=2, published=True)
    make_article(section, title="Unfinished", body="")
    course.publish()
    return course


def lesson_items(page: str) -> list[str]:
    return re.findall(r"<li>\s*<span class=\"lesson-kind.*?</li>", page, re.S)


def test_the_course_page_shows_each_lessons_kind(client, course):
    page = client.get(course.get_absolute_url()).content.decode()
    clip, reading, check = lesson_items(page)
    assert '<span class="visually-hidden">Video</span>' in clip and "0:12" in clip
    assert '<span class="visually-hidden">Article</span>' in reading and "3 min read" in reading
    assert '<span class="visually-hidden">Quiz</span>' in check and "2 questions" in check
    assert 'aria-hidden="true"' in clip  # the icon is decoration; the name is read
    assert "Unfinished" not in page  # drafts are not listed
    # Both free previews are offered: the video and the article.
    for lesson in Lesson.objects.filter(title__in=["Clip", "Reading"]):
        assert reverse("learning:preview", args=[course.slug, lesson.pk]) in page
    assert "3 lessons (1 video, 1 article, 1 quiz)" in page
    assert "3 min of video and reading" in page and "<li>1 quiz</li>" in page


def test_a_video_only_course_reads_as_before(client):
    from catalog.tests.factories import published_course

    course = published_course(sections=1, lessons=2)
    page = client.get(course.get_absolute_url()).content.decode()
    assert "2 lessons ·" in page and "(2 videos" not in page
    assert "of video</li>" in page


def test_the_api_outline_says_each_lessons_kind(client, course):
    body = client.get(f"{COURSES}/{course.slug}").json()
    lessons = body["curriculum"][0]["lessons"]
    assert [(x["title"], x["kind"], x["duration"], x["question_count"]) for x in lessons] == [
        ("Clip", "video", 12, None),
        ("Reading", "article", 180, None),
        ("Check", "quiz", 0, 2),
    ]
    assert body["total_duration"] == 192
    assert "body" not in str(lessons) and WORDS_450[:20] not in str(body)  # no article text


@pytest.mark.parametrize("size", [1, 10])
def test_course_page_query_budget_with_every_kind(
    client, instructor, student, size, django_assert_max_num_queries
):
    course = CourseFactory(instructor=instructor, with_thumbnail=True)
    for s in range(size):
        section = SectionFactory(course=course, title=f"Part {s}")
        for n in range(3):
            LessonFactory(section=section, title=f"Video {s}.{n}")
            make_article(section, title=f"Article {s}.{n}", published=True)
            make_quiz(section, title=f"Quiz {s}.{n}", questions=n + 1, published=True)
    course.publish()
    client.force_login(student)
    with django_assert_max_num_queries(8):
        page = client.get(course.get_absolute_url()).content.decode()
    assert len(lesson_items(page)) == size * 9
    assert page.count("3 questions") == size
    with django_assert_max_num_queries(6):
        assert client.get(f"{COURSES}/{course.slug}").status_code == 200


@pytest.mark.parametrize(
    ("pacing", "said"),
    [
        ("free", None),
        ("sequential", "Lessons open in order"),
        ("drip", "Sections open over time after you enrol"),
    ],
)
def test_the_course_page_says_how_lessons_open(client, instructor, pacing, said):
    from catalog.tests.factories import published_course

    course = published_course(instructor=instructor, pacing=pacing)
    page = client.get(course.get_absolute_url()).content.decode()
    for text in ("Lessons open in order", "Sections open over time"):
        assert (text in page) == (said is not None and said.startswith(text))
    assert "with your final quiz score" not in page
