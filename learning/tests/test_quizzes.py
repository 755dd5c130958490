"""Taking a quiz (learning.quizzes): scoring, shuffling, attempts and their limit,
forged and stale submissions, completion, and the certificate's quiz score."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import close_old_connections, connection
from freezegun import freeze_time

from accounts.tests.factories import UserFactory
from catalog.models import Lesson, Question
from catalog.quizzes import bump_version
from catalog.tests.factories import (
    LessonFactory,
    QuizFactory,
    add_question,
    published_course,
    quiz_lesson,
)
from learning import quizzes, services
from learning.models import Certificate, Enrollment, LessonProgress, QuizAttempt

pytestmark = pytest.mark.django_db

SINGLE, MULTIPLE, TRUE_FALSE = (
    Question.Kind.SINGLE,
    Question.Kind.MULTIPLE,
    Question.Kind.TRUE_FALSE,
)


@pytest.fixture
def course(instructor):
    """One 60-second video lesson; tests add quizzes after it."""
    return published_course(instructor=instructor, sections=1, lessons=1, title="Geography")


def new_quiz(course, *, questions=(), **fields):
    """A published quiz lesson at the end of ``course`` with ``questions``: (kind, answers,
    correct indexes) each."""
    section = course.sections.order_by("order").last()
    lesson = LessonFactory(section=section, kind=Lesson.Kind.QUIZ, duration=0, title="Check")
    quiz = QuizFactory(lesson=lesson, **fields)
    for kind, answers, correct in questions:
        add_question(quiz, kind=kind, answers=answers, correct=correct)
    return quiz


@pytest.fixture
def geo_quiz(course):
    """Three questions: one answer, several answers (2 of 4 correct), true or false."""
    return new_quiz(
        course,
        questions=[
            (SINGLE, ("Paris", "Lyon", "Nice"), (0,)),
            (MULTIPLE, ("2", "3", "4", "9"), (0, 1)),
            (TRUE_FALSE, ("True", "False"), (1,)),
        ],
    )


@pytest.fixture
def enrolled(student, course):
    services.enroll(user=student, course=course)
    return student


def choice_ids(quiz, question_index: int, *texts: str) -> list[int]:
    question = quiz.questions.order_by("order")[question_index]
    return list(question.choices.filter(text__in=texts).values_list("pk", flat=True))


def question_id(quiz, question_index: int) -> int:
    return quiz.questions.order_by("order")[question_index].pk


def take(user, quiz, answers: dict, *, number=None):
    """Submit ``answers`` (question index → answer texts) with a fresh token."""
    state = quizzes.quiz_state(user=user, lesson=quiz.lesson, learning=True)
    token = quizzes.make_token(
        user=user,
        lesson=quiz.lesson,
        version=quiz.__class__.objects.get(pk=quiz.pk).version,
        number=number or state.next_number,
    )
    sent = {question_id(quiz, i): choice_ids(quiz, i, *texts) for i, texts in answers.items()}
    return quizzes.submit_attempt(user=user, lesson=quiz.lesson, token=token, answers=sent)


# --- Scoring ---------------------------------------------------------------------------------
def test_all_right_scores_100_and_passes(enrolled, geo_quiz):
    submitted = take(enrolled, geo_quiz, {0: ["Paris"], 1: ["2", "3"], 2: ["False"]})
    attempt = submitted.attempt
    assert (attempt.number, attempt.score, attempt.passed) == (1, Decimal("100.00"), True)
    assert [q["credit"] for q in attempt.questions] == [1.0, 1.0, 1.0]


def test_single_and_true_false_are_right_or_wrong(enrolled, geo_quiz):
    attempt = take(enrolled, geo_quiz, {0: ["Lyon"], 1: ["2", "3"], 2: ["True"]}).attempt
    assert [q["credit"] for q in attempt.questions] == [0.0, 1.0, 0.0]
    assert attempt.score == Decimal("33.33") and not attempt.passed


@pytest.mark.parametrize(
    ("picked", "credit"),
    [
        (["2", "3"], 1.0),  # both correct answers
        (["2"], 0.5),  # one of two
        (["2", "4"], 0.0),  # one right, one wrong
        (["2", "3", "4"], 0.5),  # two right, one wrong
        (["2", "3", "4", "9"], 0.0),  # every box: nothing
        (["4", "9"], 0.0),  # never below zero
        ([], 0.0),  # unanswered
    ],
)
def test_several_answers_earn_partial_credit(enrolled, geo_quiz, picked, credit):
    """max(0, right picks − wrong picks) ÷ correct answers (Canvas's rule)."""
    attempt = take(enrolled, geo_quiz, {0: ["Paris"], 1: picked, 2: ["False"]}).attempt
    assert attempt.questions[1]["credit"] == credit
    expected = (Decimal(2) + Decimal(str(credit))) / 3 * 100
    assert attempt.score == expected.quantize(Decimal("0.01"))


def test_unanswered_questions_count_as_wrong_and_are_recorded_empty(enrolled, geo_quiz):
    attempt = take(enrolled, geo_quiz, {0: ["Paris"]}).attempt
    assert attempt.score == Decimal("33.33")
    assert attempt.answers == {
        str(question_id(geo_quiz, 0)): choice_ids(geo_quiz, 0, "Paris"),
        str(question_id(geo_quiz, 1)): [],
        str(question_id(geo_quiz, 2)): [],
    }
    (_, unanswered, _) = quizzes.review(attempt, level="full")[0:3]
    assert unanswered.outcome == "unanswered"


def test_the_score_rounds_half_up_to_two_decimals():
    from fractions import Fraction

    assert quizzes.percentage([Fraction(1), Fraction(1), Fraction(0)]) == Decimal("66.67")
    assert quizzes.percentage([Fraction(1, 8)]) == Decimal("12.50")
    assert quizzes.percentage([Fraction(1, 3)] * 2 + [Fraction(0)] * 998) == Decimal("0.07")
    assert quizzes.percentage([Fraction(1, 200)]) == Decimal("0.50")
    assert quizzes.percentage([Fraction(1, 20000)]) == Decimal("0.01")  # 0.005 → 0.01


def test_reaching_the_pass_mark_exactly_passes(enrolled, course):
    quiz = new_quiz(course, pass_mark=50, questions=[(SINGLE, ("A", "B"), (0,))] * 2)
    assert take(enrolled, quiz, {0: ["A"], 1: ["B"]}).attempt.passed  # 50 % of 50 %


def test_shuffled_order_is_stable_for_an_attempt_and_new_for_the_next(enrolled, course):
    quiz = new_quiz(
        course,
        shuffle_questions=True,
        shuffle_choices=True,
        questions=[(SINGLE, tuple(f"Q{n} answer {a}" for a in "ABCDE"), (0,)) for n in range(8)]
        + [(TRUE_FALSE, ("True", "False"), (0,))],
    )
    authored = list(quiz.questions.order_by("order").values_list("pk", flat=True))

    def order(number, user=enrolled):
        state = quizzes.quiz_state(user=user, lesson=quiz.lesson, learning=True)
        shown = quizzes.shown_questions(
            quizzes.load_quiz(quiz.lesson), user_id=user.pk, number=number
        )
        if number == state.next_number:
            assert shown == state.questions  # the page shows exactly this
        return shown

    first = order(1)
    assert order(1) == first  # a reload shows the same order
    assert [q.id for q in first] != authored  # 9! orders: shuffled
    assert order(2) != first  # the next attempt is shuffled anew
    assert order(1, UserFactory()) != first  # and so is another student's
    true_false = next(q for q in first if q.kind == TRUE_FALSE)
    assert [c.text for c in true_false.choices] == ["True", "False"]  # never shuffled
    assert any([c.text[-1] for c in q.choices] != list("ABCDE") for q in first if q.kind == SINGLE)

    # Answer every question right, by id, in the shuffled order: 100 %, kept in that order.
    right = {"True", *(f"Q{n} answer A" for n in range(8))}
    answers = {q.id: [c.id for c in q.choices if c.text in right] for q in first}
    token = quizzes.make_token(user=enrolled, lesson=quiz.lesson, version=1, number=1)
    attempt = quizzes.submit_attempt(
        user=enrolled, lesson=quiz.lesson, token=token, answers=answers
    ).attempt
    assert attempt.score == 100
    assert [q["id"] for q in attempt.questions] == [q.id for q in first]
    assert [[c["id"] for c in q["choices"]] for q in attempt.questions] == [
        [c.id for c in q.choices] for q in first
    ]
    # The second attempt's page shows the order of attempt 2.
    assert quizzes.quiz_state(user=enrolled, lesson=quiz.lesson, learning=True).questions == order(
        2
    )


# --- Attempts and their limit ----------------------------------------------------------------
def test_attempts_are_numbered_and_limited(enrolled, course):
    quiz = new_quiz(course, max_attempts=2, questions=[(SINGLE, ("A", "B"), (0,))])
    assert take(enrolled, quiz, {0: ["B"]}).attempt.number == 1
    assert take(enrolled, quiz, {0: ["B"]}).attempt.number == 2
    state = quizzes.quiz_state(user=enrolled, lesson=quiz.lesson, learning=True)
    assert (state.used, state.left, state.token) == (2, 0, None)
    assert state.refusal == "You have used all 2 attempts at this quiz."
    with pytest.raises(quizzes.AttemptRefused) as refused:
        take(enrolled, quiz, {0: ["A"]}, number=3)
    assert refused.value.code == "no_attempts"
    assert QuizAttempt.objects.filter(user=enrolled).count() == 2


def test_a_token_submits_one_attempt_only(enrolled, geo_quiz):
    """A double click or a second tab: the second submit of one form stores nothing."""
    state = quizzes.quiz_state(user=enrolled, lesson=geo_quiz.lesson, learning=True)
    answers = {question_id(geo_quiz, 0): choice_ids(geo_quiz, 0, "Paris")}
    quizzes.submit_attempt(
        user=enrolled, lesson=geo_quiz.lesson, token=state.token, answers=answers
    )
    with pytest.raises(quizzes.AttemptRefused) as refused:
        quizzes.submit_attempt(
            user=enrolled, lesson=geo_quiz.lesson, token=state.token, answers=answers
        )
    assert refused.value.code == "used"
    assert QuizAttempt.objects.filter(user=enrolled).count() == 1


def test_the_attempt_records_when_it_started_and_ended(enrolled, geo_quiz):
    with freeze_time("2026-05-04 10:00:00"):
        state = quizzes.quiz_state(user=enrolled, lesson=geo_quiz.lesson, learning=True)
    with freeze_time("2026-05-04 10:07:30"):
        attempt = quizzes.submit_attempt(
            user=enrolled, lesson=geo_quiz.lesson, token=state.token, answers={}
        ).attempt
    assert (attempt.submitted_at - attempt.started_at).total_seconds() == 450


def test_a_token_older_than_a_day_is_refused(enrolled, geo_quiz):
    with freeze_time("2026-05-04 10:00:00"):
        state = quizzes.quiz_state(user=enrolled, lesson=geo_quiz.lesson, learning=True)
    with freeze_time("2026-05-05 10:00:01"), pytest.raises(quizzes.AttemptRefused) as refused:
        quizzes.submit_attempt(user=enrolled, lesson=geo_quiz.lesson, token=state.token, answers={})
    assert refused.value.code == "expired"
    assert not QuizAttempt.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_submits_with_one_attempt_allowed_store_one():
    """Six tabs submit the one allowed attempt at once: the enrolment's row lock counts
    them one after another, so exactly one is stored and the others are refused cleanly
    (no IntegrityError from the unique constraint behind it)."""
    if connection.vendor != "postgresql":
        pytest.skip("a real race needs PostgreSQL (CI's second run); SQLite serialises writers")
    user = UserFactory()
    course = published_course(sections=1, lessons=1)
    quiz = new_quiz(course, max_attempts=1, questions=[(SINGLE, ("A", "B"), (0,))])
    services.enroll(user=user, course=course)
    lesson = Lesson.objects.select_related("section__course").get(pk=quiz.lesson.pk)
    token = quizzes.quiz_state(user=user, lesson=lesson, learning=True).token
    answers = {question_id(quiz, 0): choice_ids(quiz, 0, "A")}
    for _ in range(3):  # three rounds: a race lost once is not a race won
        QuizAttempt.objects.all().delete()
        barrier = threading.Barrier(6)
        outcomes = []

        def submit(barrier=barrier, outcomes=outcomes):
            try:
                barrier.wait()
                quizzes.submit_attempt(user=user, lesson=lesson, token=token, answers=answers)
                outcomes.append("stored")
            except quizzes.AttemptRefused as refused:
                outcomes.append(refused.code)
            finally:
                close_old_connections()
                connection.close()

        threads = [threading.Thread(target=submit) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == ["no_attempts"] * 5 + ["stored"]
        assert QuizAttempt.objects.filter(user=user, lesson=lesson).count() == 1
    assert Enrollment.objects.get(user=user).completed_lessons == 1


# --- Forged and stale submissions: nothing is stored ---------------------------------------------
@pytest.fixture
def token(enrolled, geo_quiz):
    return quizzes.quiz_state(user=enrolled, lesson=geo_quiz.lesson, learning=True).token


def refused_as_invalid(user, quiz, token, answers):
    with pytest.raises(ValidationError) as invalid:
        quizzes.submit_attempt(user=user, lesson=quiz.lesson, token=token, answers=answers)
    assert not QuizAttempt.objects.exists()
    assert not LessonProgress.objects.filter(lesson=quiz.lesson).exists()
    return " ".join(invalid.value.messages)


def test_another_students_token_is_refused(enrolled, other_student, course, geo_quiz, token):
    services.enroll(user=other_student, course=course)
    message = refused_as_invalid(other_student, geo_quiz, token, {})
    assert message == "This quiz form is not yours: reload the page."


def test_a_token_for_another_lesson_is_refused(enrolled, course, geo_quiz):
    other = new_quiz(course, questions=[(SINGLE, ("A", "B"), (0,))])
    token = quizzes.make_token(user=enrolled, lesson=other.lesson, version=1, number=1)
    assert "not yours" in refused_as_invalid(enrolled, geo_quiz, token, {})


@pytest.mark.parametrize("token", ["", "garbage", "eyJ1IjoxfQ:1xZ9Id:forged-signature"])
def test_a_forged_token_is_refused(enrolled, geo_quiz, token):
    assert "not valid" in refused_as_invalid(enrolled, geo_quiz, token, {})


def test_a_question_of_another_quiz_is_refused(enrolled, course, geo_quiz, token):
    other = new_quiz(course, questions=[(SINGLE, ("A", "B"), (0,))])
    answers = {question_id(other, 0): choice_ids(other, 0, "A")}
    message = refused_as_invalid(enrolled, geo_quiz, token, answers)
    assert message == f"Question {question_id(other, 0)} is not in this quiz."


def test_an_answer_of_another_question_is_refused(enrolled, course, geo_quiz, token):
    other = new_quiz(course, questions=[(SINGLE, ("A", "B"), (0,))])
    for foreign in (choice_ids(geo_quiz, 1, "2"), choice_ids(other, 0, "A"), [999_999]):
        answers = {question_id(geo_quiz, 0): foreign}
        assert "is not one of its own" in refused_as_invalid(enrolled, geo_quiz, token, answers)


def test_two_answers_to_a_one_answer_question_are_refused(enrolled, geo_quiz, token):
    for index, texts in ((0, ["Paris", "Lyon"]), (2, ["True", "False"])):
        answers = {question_id(geo_quiz, index): choice_ids(geo_quiz, index, *texts)}
        assert "takes one answer, not 2" in refused_as_invalid(enrolled, geo_quiz, token, answers)


@pytest.mark.parametrize("answers", [{"one": [1]}, {"1": ["x"]}, {"1": [None]}, ["1"]])
def test_ids_that_are_no_numbers_are_refused(enrolled, geo_quiz, token, answers):
    message = refused_as_invalid(enrolled, geo_quiz, token, answers)
    assert message in (
        "Question and answer ids are numbers.",
        "Send the answers as question → answer ids.",
    )


def test_a_quiz_changed_since_the_page_was_loaded_stores_nothing(enrolled, geo_quiz, token):
    bump_version(geo_quiz.pk)
    with pytest.raises(quizzes.AttemptRefused) as refused:
        quizzes.submit_attempt(user=enrolled, lesson=geo_quiz.lesson, token=token, answers={})
    assert refused.value.code == "changed"
    assert "changed this quiz after you opened it" in str(refused.value)
    assert not QuizAttempt.objects.exists()
    fresh = quizzes.quiz_state(user=enrolled, lesson=geo_quiz.lesson, learning=True).token
    quizzes.submit_attempt(user=enrolled, lesson=geo_quiz.lesson, token=fresh, answers={})
    assert QuizAttempt.objects.get().quiz_version == 2


def test_someone_who_left_the_course_cannot_submit(enrolled, course, geo_quiz, token):
    services.unenroll(user=enrolled, course=course)
    with pytest.raises(PermissionDenied):
        quizzes.submit_attempt(user=enrolled, lesson=geo_quiz.lesson, token=token, answers={})
    assert not QuizAttempt.objects.exists()


def test_a_lesson_that_is_no_quiz_is_refused(enrolled, course):
    video = Lesson.objects.get(section__course=course, kind=Lesson.Kind.VIDEO)
    with pytest.raises(ValidationError):
        quizzes.submit_attempt(user=enrolled, lesson=video, token="", answers={})


# --- Versioning by snapshot -------------------------------------------------------------------
def test_an_attempt_keeps_its_meaning_when_the_quiz_is_edited(enrolled, geo_quiz):
    attempt = take(enrolled, geo_quiz, {0: ["Paris"], 1: ["2"], 2: ["False"]}).attempt
    question = geo_quiz.questions.order_by("order").first()
    question.text = "Which city is largest?"
    question.explanation = "Rewritten."
    question.save()
    question.choices.update(is_correct=False)
    question.choices.filter(text="Nice").update(is_correct=True, text="Marseille")
    bump_version(geo_quiz.pk)

    attempt.refresh_from_db()
    assert attempt.score == Decimal("83.33") and attempt.quiz_version == 1
    first = quizzes.review(attempt, level="full")[0]
    assert first.outcome == "right"
    assert [(c.text, c.correct, c.chosen) for c in first.choices] == [
        ("Paris", True, True),
        ("Lyon", False, False),
        ("Nice", False, False),
    ]


def test_the_review_shows_what_the_quiz_allows(enrolled, geo_quiz):
    geo_quiz.questions.update(explanation="Because.")
    attempt = take(enrolled, geo_quiz, {0: ["Lyon"], 1: ["2"], 2: ["False"]}).attempt
    assert quizzes.review(attempt, level="score") == []
    mistakes = quizzes.review(attempt, level="mistakes")
    assert [item.outcome for item in mistakes] == ["wrong", "partly", "right"]
    assert all(c.correct is None for item in mistakes for c in item.choices)
    assert all(item.explanation == "" for item in mistakes)
    full = quizzes.review(attempt, level="full")
    assert [c.text for c in full[0].choices if c.correct] == ["Paris"]
    assert [c.text for c in full[0].choices if c.chosen] == ["Lyon"]
    assert full[0].explanation == "Because."


# --- Completion -------------------------------------------------------------------------------
def lesson_done(user, lesson) -> bool:
    return LessonProgress.objects.filter(
        user=user, lesson=lesson, completed_at__isnull=False
    ).exists()


def test_passing_completes_the_lesson_and_failing_later_keeps_it(enrolled, geo_quiz):
    failed = take(enrolled, geo_quiz, {0: ["Lyon"]})
    assert not failed.lesson_completed_now and not lesson_done(enrolled, geo_quiz.lesson)
    assert LessonProgress.objects.filter(user=enrolled, lesson=geo_quiz.lesson).exists()
    passed = take(enrolled, geo_quiz, {0: ["Paris"], 1: ["2", "3"], 2: ["False"]})
    assert passed.lesson_completed_now and lesson_done(enrolled, geo_quiz.lesson)
    again = take(enrolled, geo_quiz, {})
    assert not again.attempt.passed and not again.lesson_completed_now
    assert lesson_done(enrolled, geo_quiz.lesson)
    assert Enrollment.objects.get(user=enrolled).completed_lessons == 1


def test_a_practice_quiz_completes_when_submitted(enrolled, course):
    quiz = new_quiz(course, must_pass=False, questions=[(SINGLE, ("A", "B"), (0,))])
    submitted = take(enrolled, quiz, {0: ["B"]})
    assert not submitted.attempt.passed
    assert submitted.lesson_completed_now and lesson_done(enrolled, quiz.lesson)


def test_marking_a_quiz_complete_by_hand_is_refused(enrolled, geo_quiz):
    with pytest.raises(ValidationError, match="completed by passing it"):
        services.set_completed(user=enrolled, lesson=geo_quiz.lesson, completed=True)


def finish_videos(user, course):
    for lesson in Lesson.objects.filter(section__course=course, kind=Lesson.Kind.VIDEO):
        services.set_completed(user=user, lesson=lesson, completed=True)


def test_the_course_completes_when_its_quiz_is_passed_and_the_certificate_shows_the_score(
    enrolled, course, geo_quiz, mailoutbox, django_capture_on_commit_callbacks
):
    course.certificate_shows_quiz_score = True
    course.save(update_fields=["certificate_shows_quiz_score"])
    first = new_quiz(course, questions=[(SINGLE, ("A", "B"), (0,))])  # now the last quiz
    finish_videos(enrolled, course)
    take(enrolled, geo_quiz, {0: ["Paris"], 1: ["2", "3"], 2: ["False"]})
    take(enrolled, first, {0: ["B"]})  # 0 %
    assert not Certificate.objects.exists()  # a quiz not passed: the course is not complete
    with django_capture_on_commit_callbacks(execute=True):
        take(enrolled, first, {0: ["A"]})  # passes: 100 %
    certificate = Certificate.objects.get(user=enrolled, course=course)
    assert certificate.quiz_score == Decimal("100.00")  # the best, on the last quiz
    assert Enrollment.objects.get(user=enrolled).completed_at is not None
    assert "certificate is ready" in mailoutbox[-1].subject


def test_the_final_quiz_is_the_last_in_curriculum_order(enrolled, course, geo_quiz):
    course.certificate_shows_quiz_score = True
    course.save(update_fields=["certificate_shows_quiz_score"])
    earlier = new_quiz(course, questions=[(SINGLE, ("A", "B"), (0,)), (SINGLE, ("A", "B"), (0,))])
    # Move the new quiz before geo_quiz: geo_quiz is last in the curriculum again.
    Lesson.objects.filter(pk=earlier.lesson.pk).update(order=0)
    finish_videos(enrolled, course)
    take(enrolled, earlier, {0: ["A"], 1: ["A"]})  # 100 % on the earlier quiz
    take(enrolled, geo_quiz, {0: ["Paris"], 1: ["2"], 2: ["False"]})  # 83.33 % on the last
    assert Certificate.objects.get(user=enrolled).quiz_score == Decimal("83.33")


def test_no_quiz_score_unless_the_course_asks(enrolled, course, geo_quiz):
    finish_videos(enrolled, course)
    take(enrolled, geo_quiz, {0: ["Paris"], 1: ["2", "3"], 2: ["False"]})
    assert Certificate.objects.get(user=enrolled).quiz_score is None


def test_a_quiz_added_later_counts_and_a_quiz_removed_later_completes_the_course(enrolled, course):
    finish_videos(enrolled, course)
    assert Enrollment.objects.get(user=enrolled).completed_at is not None
    Certificate.objects.all().delete()
    Enrollment.objects.filter(user=enrolled).update(completed_at=None)

    # A quiz added after completion: half the course is done now.
    quiz = new_quiz(course, questions=[(SINGLE, ("A", "B"), (0,))])
    course.refresh_from_db()
    assert course.lesson_count == 2
    enrollment = Enrollment.objects.get(user=enrolled)
    assert enrollment.completed_lessons == 1
    take(enrolled, quiz, {0: ["B"]})  # failed: still half
    assert Enrollment.objects.get(user=enrolled).completed_lessons == 1

    # The instructor unpublishes the unpassed quiz: everything left is done.
    lesson = Lesson.objects.get(pk=quiz.lesson.pk)
    lesson.is_published = False
    lesson.save()
    enrollment = Enrollment.objects.get(user=enrolled)
    assert enrollment.completed_at is not None
    assert Certificate.objects.filter(user=enrolled, course=course).exists()


def test_the_quiz_score_is_none_without_attempts_on_the_last_quiz(enrolled, course):
    from learning.models import QuizAttempt as Attempts

    assert Attempts.objects.final_score(user=enrolled, course=course) is None
    quiz = new_quiz(course, questions=[(SINGLE, ("A", "B"), (0,))])
    assert Attempts.objects.final_score(user=enrolled, course=course) is None
    take(enrolled, quiz, {0: ["A"]})
    take(enrolled, quiz, {0: ["B"]})
    assert Attempts.objects.final_score(user=enrolled, course=course) == 100


def test_a_quiz_lesson_factory_quiz_is_scored(enrolled, course):
    """The shared factory's quiz (the first answer right) works end to end."""
    quiz = quiz_lesson(course.sections.first(), questions=3)
    assert take(
        enrolled, quiz, {0: ["Right"], 1: ["Right"], 2: ["Wrong"]}
    ).attempt.score == Decimal("66.67")
