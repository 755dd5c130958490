"""Reading an article lesson: in the player for its students (and its editors), as a free
preview for anyone; its Markdown inert whatever it holds."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from catalog.markdown import cache_key
from catalog.models import Lesson
from catalog.tests.factories import CourseFactory, LessonFactory, SectionFactory
from catalog.tests.test_builder_kinds import make_quiz
from learning import services

pytestmark = pytest.mark.django_db

BODY = """\
# Getting started

Read this **first**.

- one
- two

```python
print("hello")
```

See [the docs](https://docs.python.org/3/).

<script>alert("x")</script> <img src=x onerror=alert(1)> [bad](javascript:alert(1))
"""


@pytest.fixture
def course(instructor):
    course = CourseFactory(instructor=instructor, with_thumbnail=True)
    section = SectionFactory(course=course, title="Part one")
    LessonFactory(section=section, title="Clip", with_video=True)
    LessonFactory(section=section, kind="article", title="Reading", body=BODY)
    course.publish()
    return course


def article(course) -> Lesson:
    return Lesson.objects.get(section__course=course, kind="article")


def player(course, lesson):
    return reverse("learning:lesson", args=[course.slug, lesson.pk])


def test_an_enrolled_student_reads_the_article(client, student, course):
    services.enroll(user=student, course=course)
    client.force_login(student)
    response = client.get(player(course, article(course)))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Reading</h1>" in page
    assert '<article class="card article" aria-label="Reading">' in page
    assert "<h2>Getting started</h2>" in page and "<strong>first</strong>" in page
    assert "<li>one</li>" in page and '<pre tabindex="0"><code>print(' in page
    assert (
        '<a href="https://docs.python.org/3/" rel="noopener noreferrer nofollow">the docs</a>'
    ) in page
    assert "1 min read" in page
    # The payloads are text on the page, never markup.
    assert "&lt;script&gt;alert(" in page and "<script>alert(" not in page
    assert "onerror=alert" not in page.replace("&lt;img src=x onerror=alert(1)&gt;", "")
    assert 'href="javascript:' not in page
    assert "lesson-video" not in page  # no video player
    assert "video_player_head" not in page


def test_the_article_is_rendered_once_then_cached(client, student, course):
    services.enroll(user=student, course=course)
    client.force_login(student)
    client.get(player(course, article(course)))
    assert cache.get(cache_key(BODY)) is not None


def test_a_student_not_enrolled_is_sent_to_the_course_page(client, other_student, course):
    client.force_login(other_student)
    response = client.get(player(course, article(course)))
    assert response.status_code == 302 and response["Location"] == course.get_absolute_url()


def test_the_instructor_previews_a_draft_article(client, instructor, course):
    draft = LessonFactory(
        section=course.sections.get(), kind="article", title="Draft", body="", is_published=False
    )
    client.force_login(instructor)
    page = client.get(player(course, draft)).content.decode()
    assert "This article has no text yet." in page


def test_a_free_preview_article_is_readable_by_anyone(client, course):
    lesson = article(course)
    url = reverse("learning:preview", args=[course.slug, lesson.pk])
    assert client.get(url).status_code == 403  # not a free preview
    Lesson.objects.filter(pk=lesson.pk).update(is_free_preview=True)
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h2>Getting started</h2>" in page and "From “Part one”" in page
    assert "<script>alert(" not in page and "hls" not in page.lower()


def test_a_quiz_has_no_free_preview(client, course):
    quiz = make_quiz(course.sections.get(), title="Check", published=True)
    Lesson.objects.filter(pk=quiz.pk).update(is_free_preview=True)
    url = reverse("learning:preview", args=[course.slug, quiz.pk])
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("size", [2, 40])
def test_the_article_player_query_budget(
    client, student, instructor, size, django_assert_max_num_queries
):
    course = CourseFactory(instructor=instructor, with_thumbnail=True)
    section = SectionFactory(course=course)
    for n in range(size):
        LessonFactory(section=section, kind="article", title=f"Article {n}", body=BODY)
    course.publish()
    services.enroll(user=student, course=course)
    client.force_login(student)
    lesson = Lesson.objects.filter(section=section).last()
    with django_assert_max_num_queries(10):
        assert client.get(player(course, lesson)).status_code == 200
