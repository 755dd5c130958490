"""A student takes a quiz in a real browser, by the labels a screen reader reads: fails
it, reads the review, tries again, passes, and the course completes with a certificate
showing the score. Each state passes axe at 1280 and 375 px and reflows at 320 px.

Screenshots of each state go to $QUIZ_SHOTS when it is set (a folder)."""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from catalog.models import Course, Lesson, Question
from catalog.tests.factories import LessonFactory, QuizFactory, add_question, published_course
from learning import services
from learning.models import Certificate
from lms.tests.a11y import axe_violations, describe, require_axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("QUIZ_SHOTS")


def log_in(page, live_server, user):
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )


def check(page, state: str) -> None:
    """axe at 1280 and 375 px (with a screenshot of each when asked), no sideways
    scrolling at 320 px."""
    found = []
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        if violations := axe_violations(page):
            found.append(describe(violations, where=f"quiz {state} at {width} px"))
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{SHOTS}/quiz-{state}-{width}.png", full_page=True)
    assert found == [], "\n".join(found)
    page.set_viewport_size({"width": 320, "height": 900})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.set_viewport_size({"width": 1280, "height": 900})


def test_fail_review_retry_pass_and_the_certificate_shows_the_score(
    live_server, page, student, instructor
):
    require_axe()
    course = published_course(instructor=instructor, sections=1, lessons=1, title="The night sky")
    Course.objects.filter(pk=course.pk).update(certificate_shows_quiz_score=True)
    lesson = LessonFactory(
        section=course.sections.get(), kind=Lesson.Kind.QUIZ, duration=0, title="Final check"
    )
    quiz = QuizFactory(lesson=lesson, max_attempts=3, pass_mark=60)
    add_question(
        quiz,
        text="Which planet is known as the red planet?",
        answers=("Venus", "Mars", "Jupiter"),
        correct=(1,),
        explanation="Iron oxide on its surface makes Mars look red.",
    )
    add_question(
        quiz,
        kind=Question.Kind.MULTIPLE,
        text="Which of these are stars?",
        answers=("Sirius", "The Moon", "Betelgeuse", "Saturn"),
        correct=(0, 2),
        explanation="Sirius and Betelgeuse shine by their own light.",
    )
    add_question(
        quiz,
        kind=Question.Kind.TRUE_FALSE,
        text="The Sun is a star.",
        answers=("True", "False"),
        correct=(0,),
    )
    services.enroll(user=student, course=course)
    video = Lesson.objects.get(section__course=course, kind=Lesson.Kind.VIDEO)
    services.set_completed(user=student, lesson=video, completed=True)

    log_in(page, live_server, student)
    page.goto(live_server.url + f"/learn/{course.slug}/lessons/{lesson.pk}/")
    expect(page.get_by_role("heading", name="Attempt 1 of 3")).to_be_visible()
    expect(page.get_by_text("Pass the quiz to complete this lesson.")).to_be_visible()
    expect(page.get_by_role("button", name="Mark lesson as complete")).to_have_count(0)
    check(page, "unanswered")

    # Wrong answers: a red planet that is not, one star and a planet, no answer to the last.
    red = page.get_by_role("group", name="Which planet is known as the red planet?")
    red.get_by_label("Venus").check()
    stars = page.get_by_role("group", name="Which of these are stars?")
    stars.get_by_label("Sirius").check()
    stars.get_by_label("Saturn").check()
    page.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_role("heading", name="Attempt 1: 0 % — not passed")).to_be_visible()
    expect(page.get_by_text("Iron oxide on its surface makes Mars look red.")).to_be_visible()
    expect(page.get_by_text("Not answered")).to_be_visible()
    expect(page.get_by_text("2 attempts left")).to_be_visible()
    check(page, "failed")

    page.get_by_role("link", name="Try again").click()
    expect(page.get_by_role("heading", name="Attempt 2 of 3")).to_be_visible()
    page.get_by_role("group", name="Which planet is known as the red planet?").get_by_label(
        "Mars"
    ).check()
    stars = page.get_by_role("group", name="Which of these are stars?")
    stars.get_by_label("Sirius").check()
    page.get_by_role("group", name="The Sun is a star.").get_by_label("True").check()
    page.get_by_role("button", name="Submit answers").click()
    # 1 + ½ + 1 of 3 questions.
    expect(page.get_by_role("heading", name="Attempt 2: 83.33 % — passed")).to_be_visible()
    expect(page.get_by_text("Partly right")).to_be_visible()
    expect(page.get_by_text("You completed “The night sky”!").first).to_be_visible()
    expect(page.get_by_text("Lesson completed: quiz passed")).to_be_visible()
    check(page, "passed")

    certificate = Certificate.objects.get(user=student, course=course)
    page.goto(live_server.url + certificate.get_absolute_url())
    expect(page.get_by_text("Final quiz score")).to_be_visible()
    expect(page.get_by_text("83.33 %")).to_be_visible()
