"""Issue 20's acceptance, end to end in Chromium, by the names a screen reader reads.

A sequential course of three lessons — an article, a quiz, a closing article — with the
final quiz score printed on its certificates. The student reads the article and marks it
read; the third lesson is refused until the quiz before it is passed; the student fails
the quiz, passes it on the second attempt, reads the last article, and the course
completes with a certificate that shows the score. (Each part has its own detailed tests:
learning's test_quizzes*, test_pacing*, test_article_lessons and their browser tests.)
"""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from catalog.models import Course, Lesson, Question
from catalog.tests.factories import (
    CourseFactory,
    LessonFactory,
    QuizFactory,
    SectionFactory,
    add_question,
)
from learning import services
from learning.models import Certificate, LessonProgress, QuizAttempt

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTICLE = """# Why the sky is dark

The night sky is dark because the universe had a beginning: light from the most distant
stars has not reached us yet.

- Stars are far away.
- Light travels at a finite speed.

<script>document.title = "owned"</script>
"""


def sign_in(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )


@pytest.fixture
def course(instructor):
    course = CourseFactory(
        instructor=instructor,
        title="Looking up",
        with_thumbnail=True,
        pacing=Course.Pacing.SEQUENTIAL,
        certificate_shows_quiz_score=True,
    )
    section = SectionFactory(course=course, title="The sky")
    LessonFactory(section=section, kind=Lesson.Kind.ARTICLE, title="Olbers' paradox", body=ARTICLE)
    quiz = QuizFactory(
        lesson=LessonFactory(section=section, kind=Lesson.Kind.QUIZ, title="Check yourself"),
        pass_mark=100,
        max_attempts=2,
    )
    add_question(
        quiz,
        text="Why is the night sky dark?",
        answers=("The universe had a beginning", "Clouds"),
        correct=(0,),
        explanation="Light from far away has not reached us yet.",
    )
    add_question(
        quiz,
        kind=Question.Kind.TRUE_FALSE,
        text="Light is instant.",
        answers=("True", "False"),
        correct=(1,),
    )
    LessonFactory(
        section=section, kind=Lesson.Kind.ARTICLE, title="What next", body="Keep looking up."
    )
    course.publish()
    return course


def test_read_fail_pass_and_complete_a_paced_course_with_its_certificate(
    live_server, page, student, course
):
    services.enroll(user=student, course=course)
    _article, quiz, last = Lesson.objects.filter(section__course=course).order_by("order")
    sign_in(page, live_server, student)
    page.set_viewport_size({"width": 1280, "height": 900})

    # Continue opens the first lesson: an article, its Markdown rendered, its script inert.
    page.goto(live_server.url + reverse("learning:continue", args=[course.slug]))
    expect(page.get_by_role("heading", level=1)).to_have_text("Olbers' paradox")
    text = page.get_by_role("article", name="Olbers' paradox")
    expect(text.get_by_role("heading", level=2)).to_have_text("Why the sky is dark")
    expect(text.get_by_role("listitem")).to_have_count(2)
    expect(text).to_contain_text('<script>document.title = "owned"</script>')  # as text
    assert page.title() != "owned"
    page.get_by_role("button", name="Mark as read").click()
    expect(page.get_by_text("Marked as read")).to_be_visible()

    # The third lesson is closed until the quiz before it is passed.
    page.goto(live_server.url + reverse("learning:lesson", args=[course.slug, last.pk]))
    expect(page.get_by_role("heading", name="This lesson is not open yet")).to_be_visible()
    expect(page.get_by_text("Complete “Check yourself” first.")).to_be_visible()
    expect(page.get_by_role("button", name="Mark as read")).to_have_count(0)
    page.get_by_role("link", name="Check yourself").first.click()

    # First attempt: one wrong answer, 50 % of a 100 % pass mark.
    expect(page.get_by_role("heading", name="Attempt 1 of 2")).to_be_visible()
    page.get_by_role("group", name="Why is the night sky dark?").get_by_label(
        "The universe had a beginning"
    ).check()
    page.get_by_role("group", name="Light is instant.").get_by_label("True").check()
    page.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_role("heading", name="Attempt 1: 50 % — not passed")).to_be_visible()
    expect(page.get_by_text("1 attempt left")).to_be_visible()
    assert not LessonProgress.objects.filter(user=student, lesson=quiz, completed_at__isnull=False)
    page.goto(live_server.url + reverse("learning:lesson", args=[course.slug, last.pk]))
    expect(page.get_by_role("heading", name="This lesson is not open yet")).to_be_visible()

    # Second attempt: all right; the quiz completes and the last lesson opens.
    page.goto(live_server.url + reverse("learning:lesson", args=[course.slug, quiz.pk]))
    page.get_by_role("link", name="Try again").click()
    expect(page.get_by_role("heading", name="Attempt 2 of 2")).to_be_visible()
    page.get_by_role("group", name="Why is the night sky dark?").get_by_label(
        "The universe had a beginning"
    ).check()
    page.get_by_role("group", name="Light is instant.").get_by_label("False").check()
    page.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_role("heading", name="Attempt 2: 100 % — passed")).to_be_visible()
    assert QuizAttempt.objects.filter(user=student, lesson=quiz).count() == 2

    page.get_by_role("navigation", name="Lessons").get_by_role("link", name="Next").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("What next")
    page.get_by_role("button", name="Mark as read").click()
    expect(page.get_by_text("You completed “Looking up”!").first).to_be_visible()

    # The certificate says so, with the final quiz's score.
    certificate = Certificate.objects.get(user=student, course=course)
    assert certificate.quiz_score == 100
    page.get_by_role("link", name="Public verification page").click()
    expect(page.get_by_text("Final quiz score")).to_be_visible()
    expect(page.get_by_text("100 %")).to_be_visible()
