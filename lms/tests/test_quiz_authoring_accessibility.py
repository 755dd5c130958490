"""The quiz editor (catalog.admin_quizzes) and a quiz's statistics page pass axe-core's
WCAG 2.2 AA rules at 1280 px and 375 px and reflow at 320 px, in their states: as
loaded, after "Add question" and a kind changed to true/false (HTMX swaps, with focus
where the change was), after a refused save; and both are valid HTML (the Nu checker).
The admin's own chrome around them is checked elsewhere (test_browser_admin_look.py)."""

import json
import subprocess
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from accounts.tests.factories import InstructorFactory, UserFactory
from catalog.tests.quiz_factories import CAPITALS, form_fields, written_quiz
from learning.models import QuizAttempt
from lms.tests.a11y import axe_violations, describe, require_axe
from lms.tests.test_accessibility import PAST_THE_EDGE
from lms.tests.test_html_validity import VNU, readable, require_checker


def quiz_with_attempts():
    instructor = InstructorFactory(first_name="Ines", last_name="Instructor")
    quiz = written_quiz(instructor=instructor, questions=CAPITALS)
    questions = list(quiz.questions.prefetch_related("choices"))
    shown = [
        {
            "id": q.pk,
            "kind": q.kind,
            "text": q.text,
            "explanation": "",
            "choices": [
                {"id": c.pk, "text": c.text, "correct": c.is_correct} for c in q.choices.all()
            ],
        }
        for q in questions
    ]
    lyon = questions[0].choices.get(text="Lyon").pk
    for n in range(3):
        QuizAttempt.objects.create(
            user=UserFactory(),
            lesson=quiz.lesson,
            number=1,
            quiz_version=1,
            questions=shown,
            answers={str(questions[0].pk): [lyon]},
            score=Decimal(33 + n),
            passed=False,
        )
    return instructor, quiz


def check(page, what: str, found: list[str]) -> None:
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        if violations := axe_violations(page):
            found.append(describe(violations, where=f"{what} at {width} px"))
    page.set_viewport_size({"width": 320, "height": 900})
    if (width := page.evaluate("document.documentElement.scrollWidth")) > 320:
        found.append(f"{what}: {width} px wide at 320 px: {page.evaluate(PAST_THE_EDGE)}")
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_quiz_editor_and_statistics_pass_axe_in_each_state(live_server, page):
    require_axe()
    instructor, quiz = quiz_with_attempts()
    client = Client()
    client.force_login(instructor)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    found = []
    page.goto(live_server.url + reverse("admin:catalog_quiz_change", args=[quiz.pk]))
    expect(page.get_by_role("heading", name="Questions (3)")).to_be_visible()
    check(page, "the quiz editor", found)

    page.get_by_role("button", name="Add question").click()
    expect(page.get_by_label("Question 4", exact=True)).to_be_focused()
    expect(page.locator("#swap-status")).to_have_text("Added question 4: not saved yet.")
    page.get_by_label("Kind of question 4").select_option("true_false")
    expect(page.get_by_role("checkbox", name="True").last).to_be_visible()
    expect(page.get_by_label("Kind of question 4")).to_be_focused()
    check(page, "the editor after adding a true/false question", found)

    page.get_by_label("Question 4", exact=True).fill("The Seine flows through Paris.")
    page.get_by_role("button", name="Save quiz").first.click()
    expect(page.get_by_text("Nothing was saved. Please correct the following:")).to_be_visible()
    check(page, "the editor after a refused save", found)

    page.goto(live_server.url + reverse("quiz_stats", args=[quiz.lesson_id]))
    expect(page.get_by_role("heading", name="Questions")).to_be_visible()
    check(page, "the quiz's statistics", found)
    assert found == [], "\n".join(found)


@pytest.mark.django_db
def test_the_quiz_editor_and_statistics_are_valid_html(tmp_path):
    java = require_checker()
    instructor, quiz = quiz_with_attempts()
    client = Client()
    client.force_login(instructor)
    editor = reverse("admin:catalog_quiz_change", args=[quiz.pk])
    page = client.get(editor).content.decode()
    pages = {
        "editor.html": page,
        "refused.html": client.post(
            editor, {**form_fields(page), "q-0-a-1-correct": "on", "q-1-kind": "true_false"}
        ).content.decode(),
        "stats.html": client.get(reverse("quiz_stats", args=[quiz.lesson_id])).content.decode(),
    }
    for name, html in pages.items():
        (tmp_path / name).write_text(html)
    result = subprocess.run(
        [java, "-jar", str(VNU), "--format", "json", "--exit-zero-always", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    start = result.stderr.find('{"version"')
    assert start >= 0, result.stderr[-2000:]
    errors = {}
    for message in json.loads(result.stderr[start:])["messages"]:
        if message["type"] in ("error", "non-document-error"):
            where = f"{message.get('url', '').rsplit('/', 1)[-1]}: {message.get('extract', '')!r}"
            errors.setdefault(message.get("message"), []).append(where)
    assert not errors, readable(errors)
