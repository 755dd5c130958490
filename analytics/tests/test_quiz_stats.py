"""A quiz's statistics for its instructor: numbers against hand-built attempts (stored in
the snapshot shape the quiz-taking code writes), versions, students, CSV, scoping, and a
query count that does not grow with the attempts."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from catalog.models import Choice, Question, Quiz
from catalog.tests.quiz_factories import CAPITALS, nth_question, written_quiz
from learning.models import QuizAttempt

pytestmark = pytest.mark.django_db


def url(quiz, **query) -> str:
    from urllib.parse import urlencode

    base = reverse("quiz_stats", args=[quiz.lesson_id])
    return f"{base}?{urlencode(query)}" if query else base


def snapshot(quiz) -> list[dict]:
    """The quiz's questions as an attempt stores them (the quiz-taking code's shape)."""
    return [
        {
            "id": question.pk,
            "kind": question.kind,
            "text": question.text,
            "explanation": question.explanation,
            "choices": [
                {"id": c.pk, "text": c.text, "correct": c.is_correct}
                for c in question.choices.all()
            ],
        }
        for question in Question.objects.filter(quiz=quiz).prefetch_related("choices")
    ]


def attempt(user, quiz, picks: list[list[str]], *, score, number=1, version=None, days=0):
    """``picks``: per question in order, the texts of the answers chosen ([] unanswered)."""
    shown = snapshot(quiz)
    answers = {}
    for question, texts in zip(shown, picks, strict=True):
        chosen = [c["id"] for c in question["choices"] if c["text"] in texts]
        if chosen:
            answers[str(question["id"])] = chosen
    return QuizAttempt.objects.create(
        user=user,
        lesson=quiz.lesson,
        number=number,
        quiz_version=version or quiz.version,
        questions=shown,
        answers=answers,
        score=Decimal(score),
        passed=Decimal(score) >= quiz.pass_mark,
        submitted_at=timezone.now() - timedelta(days=days),
    )


@pytest.fixture
def quiz(instructor):
    """CAPITALS at version 2 (pass mark 70). At version 2: Ada fails then passes, Ben gets
    everything wrong, Cy skips the primes. Dee tried version 1 (answered "Nice")."""
    quiz = written_quiz(instructor=instructor, questions=CAPITALS)
    people = {
        name: UserFactory(first_name=name, last_name="Learner", email=f"{name.lower()}@ex.org")
        for name in ("Ada", "Ben", "Cy", "Dee")
    }
    attempt(people["Dee"], quiz, [["Nice"], ["2", "3"], ["True"]], score="66.67", days=9)
    Quiz.objects.filter(pk=quiz.pk).update(version=2)
    quiz.refresh_from_db()
    attempt(people["Ada"], quiz, [["Lyon"], ["2", "3"], ["True"]], score="66.67", days=5)
    attempt(people["Ada"], quiz, [["Paris"], ["2", "3"], ["True"]], score="100", number=2, days=4)
    attempt(people["Ben"], quiz, [["Lyon"], ["2", "4"], ["False"]], score="0", days=3)
    attempt(people["Cy"], quiz, [["Paris"], [], ["True"]], score="66.67", days=1)
    quiz.people = people
    return quiz


def stats(response) -> dict:
    return {q.number: q for q in response.context["questions"]}


def test_the_summary_and_each_question(client, instructor, quiz):
    client.force_login(instructor)
    response = client.get(url(quiz))
    assert response.status_code == 200
    summary = response.context["summary"]
    assert (summary.attempts, summary.students, summary.passed, summary.pass_rate) == (5, 4, 1, 25)
    assert summary.best == Decimal("100")
    assert round(summary.average, 2) == Decimal("60.00")  # (66.67×3 + 100 + 0) ÷ 5
    assert (summary.current_version_attempts, summary.earlier_version_attempts) == (4, 1)
    assert response.context["counted"] == 4  # version 2 only
    q = stats(response)
    assert (q[1].asked, q[1].right, q[1].percent, q[1].top_wrong) == (4, 2, 50, ("Lyon", 2))
    assert (q[2].asked, q[2].right, q[2].unanswered, q[2].top_wrong) == (4, 2, 1, ("4", 1))
    assert (q[3].right, q[3].percent, q[3].top_wrong) == (3, 75, ("False", 1))
    page = " ".join(response.content.decode().split())
    assert "2 of 4" in page and "50 %" in page and "chosen 2 times" in page
    assert "Include the 1 attempt at earlier versions" in page
    assert reverse("admin:catalog_quiz_change", args=[quiz.pk]) in page


def test_every_version_counts_each_question_as_it_was_asked(client, instructor, quiz):
    client.force_login(instructor)
    response = client.get(url(quiz, version="all"))
    q = stats(response)
    assert response.context["counted"] == 5
    assert (q[1].asked, q[1].right, q[1].percent, q[1].top_wrong) == (5, 2, 40, ("Lyon", 2))
    assert q[1].wrong_picks.most_common()[1][1] == 1  # "Nice", once: Dee's


def test_a_question_edited_later_is_judged_by_its_answers_then(client, instructor, quiz):
    """The correct answer changed after the attempts (a mistake fixed): the attempts keep
    their marking; the page names the answers as they read now, or as they read then if
    removed since."""
    question = nth_question(quiz, 1)
    Choice.objects.filter(question=question, text="Lyon").update(text="Lyon (not the capital)")
    Choice.objects.filter(question=question, text="Paris").delete()
    client.force_login(instructor)
    q = stats(client.get(url(quiz)))
    assert (q[1].right, q[1].top_wrong) == (2, ("Lyon (not the capital)", 2))
    other = nth_question(quiz, 2)
    Choice.objects.filter(question=other, text="4").delete()
    assert stats(client.get(url(quiz)))[2].top_wrong == ("4 (removed since)", 1)


def test_questions_removed_since_and_broken_snapshots_are_left_out(client, instructor, quiz):
    nth_question(quiz, 3).delete()
    QuizAttempt.objects.create(
        user=quiz.people["Ben"],
        lesson=quiz.lesson,
        number=2,
        quiz_version=2,
        questions=[{"id": "x"}, "junk", {"id": 1, "choices": "none"}],
        answers=["not", "a", "dict"],
        score=0,
        passed=False,
    )
    client.force_login(instructor)
    response = client.get(url(quiz))
    assert sorted(stats(response)) == [1, 2] and stats(response)[1].asked == 4


def test_each_students_attempts(client, instructor, quiz):
    Quiz.objects.filter(pk=quiz.pk).update(max_attempts=3)
    client.force_login(instructor)
    response = client.get(url(quiz))
    rows = {p.first_name: p for p in response.context["page"].object_list}
    assert [p.first_name for p in response.context["page"].object_list] == [
        "Cy",
        "Ben",
        "Ada",
        "Dee",
    ]  # the latest attempt first
    assert (rows["Ada"].attempts_used, rows["Ada"].best_score, rows["Ada"].passes) == (
        2,
        Decimal("100"),
        1,
    )
    assert (rows["Ben"].attempts_used, rows["Ben"].best_score, rows["Ben"].passes) == (1, 0, 0)
    page = " ".join(response.content.decode().split())
    assert "2 of 3" in page and "ada@ex.org" in page


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["Ada", "Ben", "Cy", "Dee"]),
        ("-attempts", ["Ada", "Dee", "Cy", "Ben"]),  # ties: the later account first
        ("-best", ["Ada", "Dee", "Cy", "Ben"]),
        ("-passed", ["Ada", "Dee", "Cy", "Ben"]),
        ("last", ["Dee", "Ada", "Ben", "Cy"]),
        ("-user__password", ["Cy", "Ben", "Ada", "Dee"]),  # the default
    ],
)
def test_sorting_students(client, instructor, quiz, sort, expected):
    client.force_login(instructor)
    response = client.get(url(quiz, sort=sort))
    assert [p.first_name for p in response.context["page"].object_list] == expected


def test_searching_students(client, instructor, quiz):
    client.force_login(instructor)
    response = client.get(url(quiz, q="ada"))
    assert [p.first_name for p in response.context["page"].object_list] == ["Ada"]
    page = client.get(url(quiz, q="<b>nobody</b>")).content.decode()
    assert "&lt;b&gt;nobody" in page and "<b>nobody" not in page


def test_students_come_fifty_to_a_page(client, instructor, quiz):
    for _ in range(50):
        attempt(UserFactory(), quiz, [["Paris"], [], []], score="33.33")
    client.force_login(instructor)
    first = client.get(url(quiz))
    assert len(first.context["page"].object_list) == 50
    assert "Page 1 of 2" in first.content.decode()
    second = client.get(url(quiz, page=2))
    assert len(second.context["page"].object_list) == 4


def test_the_csv_lists_every_attempt_formula_safe(client, instructor, quiz):
    quiz.people["Ben"].first_name = "=HYPERLINK(1)"
    quiz.people["Ben"].save(update_fields=["first_name"])
    client.force_login(instructor)
    response = client.get(url(quiz, export="csv"))
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "name",
        "email",
        "attempt",
        "quiz version",
        "submitted",
        "score (%)",
        "passed",
        "questions right",
        "questions asked",
    ]
    body = rows[1:]
    assert [(r[1], r[2], r[3], r[5], r[6], r[7], r[8]) for r in body] == [
        ("dee@ex.org", "1", "1", "66.67", "no", "2", "3"),
        ("ada@ex.org", "1", "2", "66.67", "no", "2", "3"),
        ("ada@ex.org", "2", "2", "100.00", "yes", "3", "3"),
        ("ben@ex.org", "1", "2", "0.00", "no", "0", "3"),
        ("cy@ex.org", "1", "2", "66.67", "no", "2", "3"),
    ]
    assert body[3][0].startswith("'=HYPERLINK")
    searched = client.get(url(quiz, export="csv", q="ada")).content.decode()
    assert searched.count("ada@ex.org") == 2 and "ben@ex.org" not in searched


# --- Who may open it -----------------------------------------------------------------------
def test_scoping(client, student, other_instructor, staff, quiz):
    assert "/login/" in client.get(url(quiz))["Location"]
    client.force_login(student)
    assert "/login/" in client.get(url(quiz))["Location"]
    client.force_login(other_instructor)
    assert client.get(url(quiz)).status_code == 404
    assert client.get(url(quiz, export="csv")).status_code == 404
    client.force_login(staff)
    assert client.get(url(quiz)).status_code == 200


def test_a_lesson_without_a_quiz_is_a_404(client, instructor, quiz):
    lesson = quiz.lesson
    Quiz.objects.filter(pk=quiz.pk).delete()
    client.force_login(instructor)
    assert client.get(reverse("quiz_stats", args=[lesson.pk])).status_code == 404


def test_a_quiz_nobody_attempted(client, instructor):
    quiz = written_quiz(instructor=instructor, questions=CAPITALS)
    client.force_login(instructor)
    response = client.get(url(quiz))
    page = response.content.decode()
    assert response.context["summary"].pass_rate is None
    assert "Not asked yet" in page and "No attempts yet" in page


# --- Queries -------------------------------------------------------------------------------
def many_attempts(quiz, n: int) -> None:
    for i in range(n):
        attempt(UserFactory(), quiz, [["Lyon" if i % 2 else "Paris"], ["2"], ["True"]], score="33")


@pytest.mark.parametrize("export", [False, True])
def test_queries_do_not_grow_with_the_attempts(client, instructor, export):
    """5 attempts or 60, on several pages of students: the same number of queries (a query
    per attempt would show as 55 more)."""
    quizzes = [written_quiz(instructor=instructor, questions=CAPITALS) for _ in range(2)]
    many_attempts(quizzes[0], 5)
    many_attempts(quizzes[1], 60)
    client.force_login(instructor)
    counts = []
    for quiz in quizzes:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url(quiz, **({"export": "csv"} if export else {})))
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] and counts[0] <= (4 if export else 10), counts
