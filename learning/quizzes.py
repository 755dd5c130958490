"""Taking a quiz: the questions a student is shown, submitting an attempt, its review.

The web page (``learning.quiz_views``) and the API (``learning.api_quizzes``) both go
through here, so a situation answers the same way in both.

**The questions shown.** A student sees the quiz's questions (and each question's
answers) in the authored order, or shuffled when the quiz says so. The shuffle is seeded
by the student, the lesson, the attempt's number and the quiz's version: reloading the
page shows the same order, the next attempt a new one. True-or-false answers are never
shuffled. Correct answers and explanations never leave the server before an attempt is
submitted: the page and the API get ids and texts only.

**The form's token.** The page carries a signed token (``TimestampSigner``) naming the
student, the lesson, the quiz's version and the attempt's number, and the time it was
handed out. On submit the server re-derives the order shown from it, records how long
the attempt took, and refuses — storing nothing — a token of someone else's, of another
lesson, older than ``TOKEN_MAX_AGE``, of a quiz changed since (its version moved on), or
of an attempt already submitted (a double click, a second tab).

**Scoring**, on the server only. Each question earns a credit between 0 and 1:
one-answer and true-or-false questions 1 for the correct answer, else 0; a question with
several correct answers earns partial credit, ``max(0, right picks − wrong picks) ÷ its
correct answers`` (Canvas's rule: ticking every box earns nothing); an unanswered
question earns 0. The score is the mean credit as a percentage, rounded half up to two
decimals; the attempt passes when the score reaches the quiz's pass mark.

**Attempts** are numbered 1, 2, … per student and lesson. Submitting takes the
enrolment's row lock before counting, so concurrent submits count one after another and
``max_attempts`` holds; a unique constraint on (user, lesson, number) backs it up.

**Versioning.** An attempt keeps a snapshot of the quiz as asked (``QuizAttempt.questions``:
the questions in the order shown, each with ``id``, ``kind``, ``text``, ``explanation``,
``credit`` earned and its ``choices`` as ``id``, ``text``, ``correct``) and the answers
given (``QuizAttempt.answers``: question id as a string → the chosen choice ids, every
question present). Reviews and statistics read the snapshot, so editing the quiz later
(which bumps ``Quiz.version``) never changes what an earlier attempt meant.

**Completion.** Every attempt is progress in the lesson (``services.change_progress``:
the day's activity, "continue where you left off"); a passing attempt — or any attempt at
a practice quiz (``must_pass`` off) — completes the lesson, and with it perhaps the
course (certificate, email), as a watched video does. A later failed attempt never
uncompletes it.
"""

import hashlib
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from catalog.models import Choice, Lesson, Question, Quiz
from learning import services
from learning.models import Enrollment, QuizAttempt

TOKEN_SALT = "learning.quizzes.attempt"  # noqa: S105 (a signing salt, not a secret)
# A quiz page may stay open this long before its form must be reloaded (seconds).
TOKEN_MAX_AGE = 24 * 60 * 60
ONE_ANSWER = (Question.Kind.SINGLE, Question.Kind.TRUE_FALSE)


class AttemptRefused(Exception):
    """The submission is well formed but cannot be taken now (nothing was stored); the
    message says why and what to do. ``code``: changed, used, no_attempts, expired."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.code = code


# --- The questions as shown ------------------------------------------------------------------
@dataclass(frozen=True)
class ShownChoice:
    id: int
    text: str


@dataclass(frozen=True)
class ShownQuestion:
    id: int
    kind: str
    text: str
    choices: tuple[ShownChoice, ...]

    @property
    def one_answer(self) -> bool:
        return self.kind in ONE_ANSWER


def load_quiz(lesson: Lesson) -> Quiz | None:
    """``lesson``'s quiz with its questions and their answers in the authored order
    (``quiz.question_list``, each with ``choices.all()`` loaded): three queries."""
    questions = Question.objects.order_by("order", "pk").prefetch_related(
        Prefetch("choices", queryset=Choice.objects.order_by("order", "pk"))
    )
    quiz = (
        Quiz.objects.filter(lesson_id=lesson.pk)
        .prefetch_related(Prefetch("questions", queryset=questions, to_attr="question_list"))
        .first()
    )
    return quiz


def _rng(*, user_id: int, lesson_id: int, number: int, version: int) -> random.Random:
    seed = hashlib.sha256(f"quiz:{user_id}:{lesson_id}:{number}:{version}".encode()).digest()
    return random.Random(int.from_bytes(seed[:8], "big"))  # noqa: S311 (an order, not a secret)


def shown_questions(quiz: Quiz, *, user_id: int, number: int) -> list[ShownQuestion]:
    """The questions of attempt ``number`` as ``user_id`` sees them (``load_quiz``'s quiz):
    the same list for the same attempt, whenever asked."""
    rng = _rng(user_id=user_id, lesson_id=quiz.lesson_id, number=number, version=quiz.version)
    questions = list(quiz.question_list)
    if quiz.shuffle_questions:
        rng.shuffle(questions)
    shown = []
    for question in questions:
        choices = [ShownChoice(choice.pk, choice.text) for choice in question.choices.all()]
        if quiz.shuffle_choices and question.kind != Question.Kind.TRUE_FALSE:
            rng.shuffle(choices)
        shown.append(ShownQuestion(question.pk, question.kind, question.text, tuple(choices)))
    return shown


# --- The token -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Ticket:
    """What a quiz form's token says: the quiz version and attempt number it shows, and
    when it was handed out."""

    version: int
    number: int
    started_at: datetime


def make_token(*, user, lesson: Lesson, version: int, number: int) -> str:
    signer = signing.TimestampSigner(salt=TOKEN_SALT)
    return signer.sign_object({"u": user.pk, "l": lesson.pk, "v": version, "n": number})


def read_token(token: str, *, user, lesson: Lesson) -> Ticket:
    """The token's ticket; ValidationError if it is not a token of this student's for this
    lesson, AttemptRefused if it is too old."""
    signer = signing.TimestampSigner(salt=TOKEN_SALT)
    try:
        data = signer.unsign_object(token, max_age=TOKEN_MAX_AGE)
    except signing.SignatureExpired:
        raise AttemptRefused(
            "This quiz page was opened too long ago. Nothing was saved: reload the page "
            "and submit your answers again.",
            code="expired",
        ) from None
    except (signing.BadSignature, ValueError, TypeError):
        raise ValidationError({"token": "This quiz form is not valid: reload the page."}) from None
    if not isinstance(data, dict) or data.get("u") != user.pk or data.get("l") != lesson.pk:
        raise ValidationError({"token": "This quiz form is not yours: reload the page."})
    stamp = signing.b62_decode(token.rsplit(signer.sep, 2)[1])
    return Ticket(
        version=int(data["v"]),
        number=int(data["n"]),
        started_at=datetime.fromtimestamp(stamp, tz=UTC),
    )


# --- Marking ---------------------------------------------------------------------------------
def clean_answers(questions: list[ShownQuestion], answers) -> dict[int, set[int]]:
    """``answers`` (question id → chosen answer ids, as ints or numeric strings) checked
    against the questions shown: every question present (unanswered ones empty).

    ValidationError, keyed ``answers``, for a question not in this quiz, an answer not of
    its question, a second answer to a one-answer question, or an id that is no number.
    """
    by_id = {question.id: question for question in questions}
    chosen: dict[int, set[int]] = {question.id: set() for question in questions}
    try:
        items = list(answers.items())
    except AttributeError:
        raise ValidationError({"answers": "Send the answers as question → answer ids."}) from None
    for raw_question, raw_choices in items:
        try:
            question_id = int(raw_question)
            if isinstance(raw_choices, (str, int)):
                raw_choices = [raw_choices]
            choice_ids = {int(value) for value in raw_choices}
        except (TypeError, ValueError):
            raise ValidationError({"answers": "Question and answer ids are numbers."}) from None
        question = by_id.get(question_id)
        if question is None:
            raise ValidationError({"answers": f"Question {question_id} is not in this quiz."})
        if not choice_ids <= {choice.id for choice in question.choices}:
            raise ValidationError(
                {"answers": f"An answer sent for question {question_id} is not one of its own."}
            )
        if question.one_answer and len(choice_ids) > 1:
            raise ValidationError(
                {"answers": f"Question {question_id} takes one answer, not {len(choice_ids)}."}
            )
        chosen[question_id] |= choice_ids
    return chosen


def credit(*, kind: str, correct: set[int], chosen: set[int]) -> Fraction:
    """One question's credit, 0 to 1 (the module's docstring: "Scoring")."""
    if kind in ONE_ANSWER:
        return Fraction(int(bool(chosen) and chosen == correct))
    if not correct:
        return Fraction(0)
    right, wrong = len(chosen & correct), len(chosen - correct)
    return Fraction(max(0, right - wrong), len(correct))


def percentage(credits: list[Fraction]) -> Decimal:
    """The mean credit as a percentage, rounded half up to two decimals."""
    if not credits:
        return Decimal("0.00")
    mean = sum(credits, Fraction(0)) / len(credits) * 100
    exact = Decimal(mean.numerator) / Decimal(mean.denominator)
    return exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def mark(quiz: Quiz, questions: list[ShownQuestion], chosen: dict[int, set[int]]):
    """(snapshot, score): the questions as asked with their correct answers and the
    credit earned (``QuizAttempt.questions``), and the score in percent."""
    correct_ids = {
        choice.pk
        for question in quiz.question_list
        for choice in question.choices.all()
        if choice.is_correct
    }
    explanations = {question.pk: question.explanation for question in quiz.question_list}
    snapshot, credits = [], []
    for question in questions:
        correct = {choice.id for choice in question.choices if choice.id in correct_ids}
        earned = credit(kind=question.kind, correct=correct, chosen=chosen[question.id])
        credits.append(earned)
        snapshot.append(
            {
                "id": question.id,
                "kind": question.kind,
                "text": question.text,
                "explanation": explanations[question.id],
                "credit": round(float(earned), 4),
                "choices": [
                    {"id": choice.id, "text": choice.text, "correct": choice.id in correct}
                    for choice in question.choices
                ],
            }
        )
    return snapshot, percentage(credits)


# --- Submitting ------------------------------------------------------------------------------
@dataclass
class Submitted:
    attempt: QuizAttempt
    lesson_completed_now: bool = False
    course_completed_now: bool = False


def submit_attempt(*, user, lesson: Lesson, token: str, answers) -> Submitted:
    """Score and store one attempt at ``lesson``'s quiz (the caller loaded ``lesson``
    through ``learning.access.get_learnable_lesson``: enrolled, published, open).

    ``answers``: question id → chosen answer ids (the form's fields or the API's body).
    Raises ValidationError for input the quiz form cannot produce (a foreign question or
    answer, a forged token) and AttemptRefused when it cannot be taken now; either way
    nothing is stored.
    """
    if lesson.kind != Lesson.Kind.QUIZ:
        raise ValidationError("This lesson is not a quiz.")
    ticket = read_token(token, user=user, lesson=lesson)
    quiz = load_quiz(lesson)
    if quiz is None or not quiz.question_list:
        raise ValidationError("This quiz has no questions yet.")
    if ticket.version != quiz.version:
        raise AttemptRefused(
            "The instructor changed this quiz after you opened it. Nothing was saved: "
            "the page now shows the current questions.",
            code="changed",
        )
    questions = shown_questions(quiz, user_id=user.pk, number=ticket.number)
    chosen = clean_answers(questions, answers)
    snapshot, score = mark(quiz, questions, chosen)
    passed = score >= quiz.pass_mark
    course = lesson.section.course
    with transaction.atomic():
        # The enrolment's row lock: concurrent submits of one student count one at a time.
        locked = (
            Enrollment.objects.of(user)
            .filter(course=course)
            .select_for_update()
            .values_list("pk", flat=True)
            .first()
        )
        if locked is None:
            raise PermissionDenied("Enrol in the course to take its quizzes.")
        used = QuizAttempt.objects.filter(user=user, lesson=lesson).count()
        if quiz.max_attempts is not None and used >= quiz.max_attempts:
            raise AttemptRefused(no_attempts_left(quiz.max_attempts), code="no_attempts")
        if ticket.number <= used:
            raise AttemptRefused(
                "This attempt was submitted already (in another tab, or by a double click); "
                "its result is shown here.",
                code="used",
            )
        if ticket.number != used + 1:  # attempts were deleted since the page was opened
            raise AttemptRefused(
                "This quiz page is out of date. Nothing was saved: reload the page.",
                code="changed",
            )
        attempt = QuizAttempt.objects.create(
            user=user,
            lesson=lesson,
            number=used + 1,
            quiz_version=quiz.version,
            questions=snapshot,
            answers={str(question_id): sorted(ids) for question_id, ids in chosen.items()},
            score=score,
            passed=passed,
            started_at=ticket.started_at,
            submitted_at=timezone.now(),
        )
        completes = passed or not quiz.must_pass

        def change(progress) -> None:  # every attempt is progress; some complete the lesson
            if completes and not progress.completed_at:
                progress.completed_at = attempt.submitted_at

        result = services.change_progress(user=user, lesson=lesson, change=change)
    return Submitted(attempt, result.lesson_completed_now, result.course_completed_now)


def no_attempts_left(allowed: int) -> str:
    return (
        "You have used your one attempt at this quiz."
        if allowed == 1
        else f"You have used all {allowed} attempts at this quiz."
    )


# --- What a viewer sees ------------------------------------------------------------------------
@dataclass
class QuizState:
    """A quiz lesson as one viewer sees it now: what the page and the API show."""

    quiz: Quiz | None
    learning: bool  # the viewer takes the quiz (enrolled); else a preview
    attempts: list[QuizAttempt] = field(default_factory=list)  # oldest first
    questions: list[ShownQuestion] = field(default_factory=list)  # the next attempt's
    token: str | None = None  # set when the viewer may submit an attempt now

    @property
    def has_questions(self) -> bool:
        return bool(self.quiz is not None and self.quiz.question_list)

    @property
    def used(self) -> int:
        return len(self.attempts)

    @property
    def allowed(self) -> int | None:
        return self.quiz.max_attempts if self.quiz is not None else None

    @property
    def left(self) -> int | None:
        """Attempts left (None: unlimited)."""
        return None if self.allowed is None else max(0, self.allowed - self.used)

    @property
    def next_number(self) -> int:
        return self.used + 1

    @property
    def can_submit(self) -> bool:
        return self.token is not None

    @property
    def best_score(self) -> Decimal | None:
        return max((attempt.score for attempt in self.attempts), default=None)

    @property
    def passed(self) -> bool:
        return any(attempt.passed for attempt in self.attempts)

    @property
    def latest(self) -> QuizAttempt | None:
        return self.attempts[-1] if self.attempts else None

    @property
    def refusal(self) -> str | None:
        """Why the viewer cannot submit an attempt now (None if they can)."""
        if not self.has_questions:
            return "This quiz has no questions yet."
        if not self.learning:
            return "Enrol in the course to take this quiz."
        if self.left == 0:
            return no_attempts_left(self.allowed)
        return None

    def attempt(self, number) -> QuizAttempt | None:
        return next((item for item in self.attempts if str(item.number) == str(number)), None)


def quiz_state(*, user, lesson: Lesson, learning: bool) -> QuizState:
    """``lesson``'s quiz for ``user``: four queries (the quiz, its questions, their
    answers, the viewer's attempts). ``learning``: the viewer is enrolled and the lesson
    open to them (``Player.learning`` without a lock); else they only see the questions."""
    quiz = load_quiz(lesson)
    state = QuizState(quiz=quiz, learning=learning)
    if quiz is None:
        return state
    if learning:
        state.attempts = list(
            QuizAttempt.objects.filter(user=user, lesson=lesson).order_by("number")
        )
    number = state.next_number
    state.questions = shown_questions(quiz, user_id=user.pk or 0, number=number)
    if state.refusal is None:
        state.token = make_token(user=user, lesson=lesson, version=quiz.version, number=number)
    return state


# --- Review ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReviewedChoice:
    id: int
    text: str
    chosen: bool
    correct: bool | None  # None unless the quiz shows the correct answers


@dataclass(frozen=True)
class ReviewedQuestion:
    number: int
    id: int
    kind: str
    text: str
    outcome: str  # right, partly, wrong, unanswered
    credit: float
    choices: tuple[ReviewedChoice, ...]
    explanation: str  # "" unless the quiz shows explanations

    @property
    def outcome_label(self) -> str:
        return OUTCOME_LABELS[self.outcome]


OUTCOME_LABELS = {
    "right": "Right",
    "partly": "Partly right",
    "wrong": "Wrong",
    "unanswered": "Not answered",
}


def review(attempt: QuizAttempt, *, level: str) -> list[ReviewedQuestion]:
    """What a student may see of a submitted attempt, from its snapshot: nothing beyond
    the score for ``Quiz.Review.SCORE``; each question with the answers given and how it
    went for MISTAKES; and the correct answers and explanations too for FULL."""
    if level not in (Quiz.Review.MISTAKES, Quiz.Review.FULL):
        return []
    full = level == Quiz.Review.FULL
    reviewed = []
    for number, question in enumerate(attempt.questions, start=1):
        chosen = set(attempt.answers.get(str(question["id"]), []))
        earned = float(question.get("credit", 0))
        if not chosen:
            outcome = "unanswered"
        elif earned >= 1:
            outcome = "right"
        elif earned > 0:
            outcome = "partly"
        else:
            outcome = "wrong"
        reviewed.append(
            ReviewedQuestion(
                number=number,
                id=question["id"],
                kind=question["kind"],
                text=question["text"],
                outcome=outcome,
                credit=earned,
                choices=tuple(
                    ReviewedChoice(
                        id=choice["id"],
                        text=choice["text"],
                        chosen=choice["id"] in chosen,
                        correct=choice["correct"] if full else None,
                    )
                    for choice in question["choices"]
                ),
                explanation=question.get("explanation", "") if full else "",
            )
        )
    return reviewed
