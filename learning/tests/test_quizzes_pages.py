"""The quiz lesson's page and form, from the outside: what each kind of visitor sees, that
no correct answer reaches the HTML before an attempt is submitted, submitting without
JavaScript, the result and its review, the status block, the query budget, and the
certificate's quiz score on its page and PDF."""

import io
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from catalog.models import Course, Lesson, Question
from catalog.quizzes import bump_version
from catalog.tests.factories import (
    LessonFactory,
    QuizFactory,
    add_question,
    published_course,
)
from learning import quizzes, services
from learning.certificates import draw
from learning.models import Certificate, LessonProgress, QuizAttempt
from learning.tests.test_pages import PLAYER_QUERIES

pytestmark = pytest.mark.django_db

# What the quiz part adds to the player: the quiz, its questions, their answers, attempts.
QUIZ_PAGE_QUERIES = PLAYER_QUERIES + 4

SECRET_EXPLANATION = "EXPLANATION-7f3a: only after submitting"


@pytest.fixture
def course(instructor):
    return published_course(instructor=instructor, sections=1, lessons=1, title="Astronomy")


def new_quiz(course, *, questions=3, **fields):
    """A published quiz lesson: ``questions`` questions whose correct answer is the
    second and reads "Gamma-<n>" (the wrong ones "Alpha-<n>", "Beta-<n>", "Delta-<n>"),
    and a last question with several answers (the correct "Moon-…" and "Sun-…")."""
    section = course.sections.first()
    lesson = LessonFactory(section=section, kind=Lesson.Kind.QUIZ, duration=0, title="Check")
    quiz = QuizFactory(lesson=lesson, **fields)
    for n in range(questions - 1):
        add_question(
            quiz,
            text=f"Single question {n}?",
            answers=(f"Alpha-{n}", f"Gamma-{n}", f"Beta-{n}", f"Delta-{n}"),
            correct=(1,),
            explanation=SECRET_EXPLANATION,
        )
    add_question(
        quiz,
        kind=Question.Kind.MULTIPLE,
        text="Which of these shine by reflected light?",
        answers=("Sun-star", "Moon-rock", "Mars-planet", "Vega-star"),
        correct=(1, 2),
        explanation=SECRET_EXPLANATION,
    )
    return quiz


@pytest.fixture
def quiz(course):
    return new_quiz(course, max_attempts=3)


@pytest.fixture
def enrolled(student, course, client):
    services.enroll(user=student, course=course)
    client.force_login(student)
    return student


def page_url(quiz, **query) -> str:
    lesson = quiz.lesson
    url = reverse("learning:lesson", args=[lesson.section.course.slug, lesson.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def submit_url(quiz) -> str:
    return reverse("learning:quiz_submit", args=[quiz.lesson.pk])


def quiz_html(response) -> str:
    html = response.content.decode()
    match = re.search(r'<section id="lesson-quiz".*?</section>', html, re.S)
    assert match, "no quiz section"
    return match.group(0)


def form_data(html: str, pick) -> dict:
    """The page's form filled in: ``pick(label_text)`` says whether to tick an answer."""
    data = {
        "token": re.search(r'name="token" value="([^"]+)"', html).group(1),
    }
    for name, value, label in re.findall(
        r'name="(q-\d+)" id="choice-\d+" value="(\d+)">\s*<label for="choice-\d+">([^<]+)</label>',
        html,
    ):
        if pick(label):
            data.setdefault(name, []).append(value)
    return data


def right(label: str) -> bool:
    return label.startswith(("Gamma", "Moon", "Mars"))


def wrong(label: str) -> bool:
    return label.startswith(("Alpha", "Sun"))


# --- Before submitting: no answers in the HTML ------------------------------------------------
def test_the_page_shows_questions_but_never_which_answers_are_right(client, enrolled, quiz):
    response = client.get(page_url(quiz))
    assert response.status_code == 200
    html = response.content.decode()
    section = quiz_html(response)
    assert SECRET_EXPLANATION not in html
    assert "correct" not in section.lower()  # no class, attribute, comment or text
    assert "is_correct" not in html and "data-correct" not in html
    # Every answer's markup is the same once its own id and text are taken out: nothing
    # (a class, an attribute, a comment) tells the correct one apart.
    choices = re.findall(r'<div class="quiz-choice">.*?</div>', section, re.S)
    assert len(choices) == 12
    shapes = set()
    for markup in choices:
        (choice_id,) = set(re.findall(r'value="(\d+)"', markup))
        assert f'id="choice-{choice_id}"' in markup and f'for="choice-{choice_id}"' in markup
        shape = re.sub(r'name="q-\d+"', 'name="Q"', markup)
        shape = re.sub(
            r"\d+", "N", re.sub(r"<label([^>]*)>[^<]+</label>", r"<label\1>T</label>", shape)
        )
        shapes.add(shape)
    assert len(shapes) == 2  # one shape for radios, one for checkboxes
    assert 'type="radio"' in section and 'type="checkbox"' in section
    # Fieldsets with legends, and labels for every answer.
    assert section.count("<fieldset") == 3 and section.count("<legend>") == 3
    assert "Attempt 1 of 3" in section and "Pass mark <strong>70 %</strong>" in section


def test_the_token_names_no_answer(client, enrolled, quiz):
    from django.core import signing

    html = client.get(page_url(quiz)).content.decode()
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    data = signing.TimestampSigner(salt=quizzes.TOKEN_SALT).unsign_object(token)
    assert set(data) == {"u", "l", "v", "n"}


# --- Submitting without JavaScript --------------------------------------------------------------
def test_fail_then_pass_with_the_review_and_attempts(client, enrolled, quiz):
    html = client.get(page_url(quiz)).content.decode()
    response = client.post(submit_url(quiz), form_data(html, wrong))
    assert response.status_code == 302
    assert response.url == page_url(quiz) + "#quiz-result"

    page = client.get(response.url)
    section = quiz_html(page)
    assert "Attempt 1: 0 % — not passed" in section
    assert "1 of 3 attempts used" in section and "Best score <strong>0 %</strong>" in section
    assert SECRET_EXPLANATION in section  # the quiz shows the full review
    assert section.count("Correct answer") == 4  # two singles, two of the multiple
    assert section.count("quiz-tag-chosen") == 3
    assert 'name="token"' not in section  # the result first; "Try again" opens the form
    assert "Try again" in section and "2 attempts left" in section
    assert "Pass the quiz to complete this lesson." in page.content.decode()

    html = client.get(page_url(quiz, retake=1)).content.decode()
    assert "Attempt 2 of 3" in html
    response = client.post(submit_url(quiz), form_data(html, right), follow=True)
    section = quiz_html(response)
    assert "Attempt 2: 100 % — passed" in section
    assert "Take the quiz again" in section and "1 attempt left" in section
    assert "Lesson completed: quiz passed" in response.content.decode()
    assert LessonProgress.objects.get(user=enrolled, lesson=quiz.lesson).completed_at
    # Earlier attempts stay reviewable.
    listed = re.findall(r"Attempt (\d)</a>\s*<span class=\"quiz-attempt-score\">(\d+) %", section)
    assert listed == [("2", "100"), ("1", "0")]
    earlier = quiz_html(client.get(page_url(quiz, attempt=1)))
    assert "Attempt 1: 0 % — not passed" in earlier


def test_no_attempts_left_says_so_and_offers_no_form(client, enrolled, course):
    quiz = new_quiz(course, max_attempts=1)
    html = client.get(page_url(quiz)).content.decode()
    client.post(submit_url(quiz), form_data(html, wrong))
    for url in (page_url(quiz), page_url(quiz, retake=1)):
        section = quiz_html(client.get(url))
        assert "You have used your one attempt at this quiz." in section
        assert "The lesson stays incomplete until the quiz is passed." in section
        assert 'name="token"' not in section and "Try again" not in section


@pytest.mark.parametrize(
    ("level", "shows_correct", "shows_mistakes"),
    [("score", False, False), ("mistakes", False, True), ("full", True, True)],
)
def test_the_review_follows_the_quiz_setting(
    client, enrolled, course, level, shows_correct, shows_mistakes
):
    quiz = new_quiz(course, review=level)
    html = client.get(page_url(quiz)).content.decode()
    section = quiz_html(client.post(submit_url(quiz), form_data(html, wrong), follow=True))
    assert "Attempt 1: 0 % — not passed" in section
    assert ("Correct answer" in section) is shows_correct
    assert (SECRET_EXPLANATION in section) is shows_correct
    assert ("Your answer" in section) is shows_mistakes
    assert ("quiz-outcome-wrong" in section) is shows_mistakes
    if level == "score":
        assert "The instructor shows the score only" in section
        assert "Gamma-0" not in section  # not even the questions' answers


def test_a_changed_quiz_refuses_the_old_form_and_shows_the_new_one(client, enrolled, quiz):
    html = client.get(page_url(quiz)).content.decode()
    bump_version(quiz.pk)
    response = client.post(submit_url(quiz), form_data(html, right), follow=True)
    assert response.redirect_chain[-1][0] == page_url(quiz, retake=1) + "#quiz-form"
    page = response.content.decode()
    assert "The instructor changed this quiz after you opened it. Nothing was saved" in page
    assert not QuizAttempt.objects.exists()
    assert "Attempt 1 of 3" in page and 'name="token"' in page


def test_a_double_submit_stores_one_attempt_and_shows_its_result(client, enrolled, quiz):
    data = form_data(client.get(page_url(quiz)).content.decode(), right)
    client.post(submit_url(quiz), data)
    response = client.post(submit_url(quiz), data, follow=True)
    assert QuizAttempt.objects.count() == 1
    page = response.content.decode()
    assert "This attempt was submitted already" in page
    assert "Attempt 1: 100 % — passed" in page


def test_a_forged_form_is_a_bad_request_and_stores_nothing(client, enrolled, course, quiz):
    other = new_quiz(course)
    data = form_data(client.get(page_url(quiz)).content.decode(), right)
    foreign = form_data(client.get(page_url(other)).content.decode(), right)
    forged = [
        {**data, "token": foreign["token"]},  # another lesson's token
        {**data, **{k: v for k, v in foreign.items() if k != "token"}},  # its questions
        {**data, next(k for k in data if k != "token"): ["999999"]},  # an unknown answer
        {**data, "q-abc": ["1"]},
    ]
    for body in forged:
        response = client.post(submit_url(quiz), body)
        assert response.status_code == 400
    assert not QuizAttempt.objects.exists()


def test_another_students_form_is_refused(client, enrolled, other_student, course, quiz):
    data = form_data(client.get(page_url(quiz)).content.decode(), right)
    services.enroll(user=other_student, course=course)
    other = Client()
    other.force_login(other_student)
    response = other.post(submit_url(quiz), data)
    assert response.status_code == 400
    assert b"not yours" in response.content
    assert not QuizAttempt.objects.exists()


# --- Who may submit -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("actor", "status"),
    [("other_student", 403), ("instructor", 403), ("staff", 403), ("anonymous", 302)],
)
def test_only_enrolled_students_submit(request, client, quiz, actor, status):
    user = request.getfixturevalue(actor)
    if user.is_authenticated:
        client.force_login(user)
    token = quizzes.make_token(user=user, lesson=quiz.lesson, version=1, number=1)
    response = client.post(submit_url(quiz), {"token": token})
    assert response.status_code == status
    if status == 302:
        assert response.url.startswith(reverse("account_login"))
    assert not QuizAttempt.objects.exists()


def test_a_draft_course_is_not_found(client, student, other_instructor):
    draft = published_course(instructor=other_instructor, sections=1, lessons=1)
    quiz = new_quiz(draft)
    services.enroll(user=student, course=draft)
    Course.objects.filter(pk=draft.pk).update(status=Course.Status.DRAFT)
    client.force_login(student)
    token = quizzes.make_token(user=student, lesson=quiz.lesson, version=1, number=1)
    assert client.post(submit_url(quiz), {"token": token}).status_code == 404
    assert client.get(page_url(quiz)).status_code == 404
    assert not QuizAttempt.objects.exists()


def test_the_form_needs_its_csrf_token(student, course, quiz):
    services.enroll(user=student, course=course)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(student)
    token = quizzes.quiz_state(user=student, lesson=quiz.lesson, learning=True).token
    assert browser.post(submit_url(quiz), {"token": token}).status_code == 403
    assert not QuizAttempt.objects.exists()


@pytest.mark.parametrize("actor", ["instructor", "staff"])
def test_editors_preview_the_questions_without_a_form(request, client, quiz, actor):
    client.force_login(request.getfixturevalue(actor))
    section = quiz_html(client.get(page_url(quiz)))
    assert "You are previewing this quiz" in section
    assert 'name="token"' not in section and "Submit answers" not in section
    assert section.count('<fieldset class="quiz-question"') == 3 and "disabled" in section
    assert "Gamma-0" in section and SECRET_EXPLANATION not in section


def test_a_free_preview_quiz_asks_to_enrol(client, other_student, quiz):
    Lesson.objects.filter(pk=quiz.lesson.pk).update(is_free_preview=True)
    client.force_login(other_student)
    section = quiz_html(client.get(page_url(quiz)))
    assert "Enrol in the course to take this quiz." in section
    assert 'name="token"' not in section


def test_a_quiz_without_questions_says_so(client, enrolled, course):
    quiz = new_quiz(course, questions=1)
    quiz.questions.all().delete()
    assert "This quiz has no questions yet." in quiz_html(client.get(page_url(quiz)))


# --- The status block -----------------------------------------------------------------------------
def test_a_quiz_has_no_mark_complete_button_and_an_article_says_mark_as_read(
    client, enrolled, course, quiz
):
    page = client.get(page_url(quiz)).content.decode()
    status = page[page.index('id="lesson-status"') :]
    assert "Mark lesson as complete" not in status and "learning:complete" not in status
    assert reverse("learning:complete", args=[quiz.lesson.pk]) not in page
    response = client.post(reverse("learning:complete", args=[quiz.lesson.pk]), {"completed": "1"})
    assert response.status_code == 400  # set_completed refuses quizzes

    article = LessonFactory(
        section=course.sections.first(), kind=Lesson.Kind.ARTICLE, body="Read me."
    )
    url = reverse("learning:lesson", args=[course.slug, article.pk])
    page = client.get(url).content.decode()
    assert "Mark as read" in page and "Mark lesson as complete" not in page
    client.post(reverse("learning:complete", args=[article.pk]), {"completed": "1"})
    page = client.get(url).content.decode()
    assert "Marked as read" in page and "Mark as unread" in page


def test_a_practice_quiz_says_submitting_completes_it(client, enrolled, course):
    quiz = new_quiz(course, must_pass=False)
    page = client.get(page_url(quiz)).content.decode()
    assert "Submit the quiz to complete this lesson." in page
    assert "Practice quiz" in page
    page = client.post(submit_url(quiz), form_data(page, wrong), follow=True).content.decode()
    assert "Lesson completed: quiz submitted" in page


# --- Query budget -----------------------------------------------------------------------------
@pytest.mark.parametrize("size", [5, 40])
@pytest.mark.parametrize("view", ["form", "result"])
def test_quiz_page_query_budget(
    client, enrolled, course, size, view, django_assert_max_num_queries
):
    quiz = new_quiz(course, questions=size, shuffle_questions=True, shuffle_choices=True)
    if view == "result":
        for _ in range(3):
            html = client.get(page_url(quiz, retake=1)).content.decode()
            client.post(submit_url(quiz), form_data(html, wrong))
    with django_assert_max_num_queries(QUIZ_PAGE_QUERIES):
        response = client.get(page_url(quiz))
    section = quiz_html(response)
    if view == "form":
        assert section.count("<fieldset") == size
    else:
        assert section.count("quiz-review-item") == size
        assert "Attempt 3: 0 % — not passed" in section


# --- The certificate's quiz score -------------------------------------------------------------
def test_the_certificate_page_and_pdf_show_the_final_quiz_score(client, enrolled, course, quiz):
    Course.objects.filter(pk=course.pk).update(certificate_shows_quiz_score=True)
    video = Lesson.objects.get(section__course=course, kind=Lesson.Kind.VIDEO)
    services.set_completed(user=enrolled, lesson=video, completed=True)
    html = client.get(page_url(quiz)).content.decode()
    pick = {"Gamma-0", "Gamma-1", "Moon-rock", "Mars-planet", "Sun-star"}  # 1 + 1 + ½ of 3
    client.post(submit_url(quiz), form_data(html, lambda label: label in pick))
    certificate = Certificate.objects.get(user=enrolled, course=course)
    assert certificate.quiz_score == Decimal("83.33")
    page = client.get(certificate.get_absolute_url()).content.decode()
    assert "<dt>Final quiz score</dt><dd>83.33 %</dd>" in page
    text = PdfReader(io.BytesIO(draw(certificate))).pages[0].extract_text()
    assert "Final quiz score: 83.33 %" in text


def test_a_certificate_without_a_quiz_score_shows_none(client, enrolled, course):
    video = Lesson.objects.get(section__course=course, kind=Lesson.Kind.VIDEO)
    services.set_completed(user=enrolled, lesson=video, completed=True)
    certificate = Certificate.objects.get(user=enrolled)
    assert "quiz score" not in client.get(certificate.get_absolute_url()).content.decode()
    assert "quiz score" not in PdfReader(io.BytesIO(draw(certificate))).pages[0].extract_text()


def test_the_status_fragment_of_a_quiz_lesson_has_no_complete_button(client, enrolled, quiz):
    response = client.get(page_url(quiz), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="lesson-status")
    fragment = response.content.decode()
    assert "<html" not in fragment and 'id="lesson-status"' in fragment
    assert "Pass the quiz to complete this lesson." in fragment
    assert "Mark lesson as complete" not in fragment and "<form" not in fragment
