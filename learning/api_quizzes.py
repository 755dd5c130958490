"""Quiz endpoints of the JSON API (lms/api.py mounts this router at /api/v1/): a quiz
lesson's questions without their answers, submitting an attempt, and my attempts with
their review.

They go through what the web page goes through (``learning.access.get_player`` and
``get_learnable_lesson`` for who may see and take a quiz, ``learning.quizzes`` for the
rest), so a situation answers the same way in both; README, "Quizzes".
"""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from catalog.models import Lesson
from learning import quizzes
from learning.access import get_learnable_lesson, get_player
from learning.api import CourseProgressOut, _course_progress
from learning.models import LessonProgress, QuizAttempt
from learning.pacing import LessonLocked
from lms.lib.api import ApiError, Input, Problem, token_auth

router = Router(tags=["Quizzes"], auth=token_auth)

QuestionKind = Literal["single", "multiple", "true_false"]
ReviewLevel = Literal["score", "mistakes", "full"]


# --- Schemas --------------------------------------------------------------------------------
class QuizChoiceOut(Schema):
    id: int
    text: str


class QuizQuestionOut(Schema):
    id: int
    kind: QuestionKind = Field(
        description="single and true_false take one answer; multiple takes any number."
    )
    text: str
    choices: list[QuizChoiceOut] = Field(description="In the order to show them.")


class QuizOut(Schema):
    lesson_id: int
    title: str
    pass_mark: int = Field(description="The score (percent) an attempt needs to pass.")
    must_pass: bool = Field(
        description="The lesson completes when the quiz is passed; false for a practice "
        "quiz, which completes once submitted."
    )
    review: ReviewLevel = Field(
        description="What an attempt's review shows: the score only; which questions were "
        "wrong; or also the correct answers and explanations."
    )
    max_attempts: int | None = Field(description="Null: unlimited.")
    attempts_used: int
    attempts_left: int | None = Field(description="Null: unlimited.")
    best_score: Decimal | None = Field(description="Percent; null before the first attempt.")
    passed: bool = Field(description="Some attempt passed.")
    completed: bool = Field(description="The lesson is complete for you.")
    can_submit: bool
    refusal: str | None = Field(description="Why you cannot submit an attempt now.")
    attempt_number: int = Field(description="The number the next attempt will have.")
    token: str | None = Field(
        description="Send it back with the attempt: it names this attempt and the quiz's "
        "version, so the server knows the order you were shown. Null unless can_submit."
    )
    token_expires_at: datetime | None
    questions: list[QuizQuestionOut] = Field(
        description="In the order to show them (shuffled per attempt when the quiz says "
        "so; the same for this attempt on every request). Never the correct answers."
    )


class AttemptIn(Input):
    token: str = Field(max_length=1000, description="The token of GET /lessons/{id}/quiz.")
    answers: dict[int, list[int]] = Field(
        description="Question id → the chosen answer ids (one for single and true_false "
        "questions). A question left out, or with an empty list, counts as wrong.",
        json_schema_extra={"propertyNames": {"pattern": "^[0-9]{1,18}$"}},
    )


class ReviewChoiceOut(Schema):
    id: int
    text: str
    chosen: bool
    correct: bool | None = Field(description="Null unless the quiz's review is full.")


class ReviewQuestionOut(Schema):
    number: int = Field(description="Its place in the attempt, from 1.")
    id: int
    kind: QuestionKind
    text: str
    outcome: Literal["right", "partly", "wrong", "unanswered"]
    credit: float = Field(description="0 to 1; see the README's scoring rule.")
    choices: list[ReviewChoiceOut]
    explanation: str | None = Field(description="Null unless the quiz's review is full.")


class AttemptOut(Schema):
    number: int
    score: Decimal = Field(description="Percent, two decimals.")
    passed: bool
    quiz_version: int
    started_at: datetime | None
    submitted_at: datetime
    duration_seconds: int | None = Field(description="From handing out the token to submitting.")
    review: list[ReviewQuestionOut] | None = Field(
        description="The questions as asked then; null when the quiz shows the score only."
    )


class AttemptList(Schema):
    count: int
    results: list[AttemptOut] = Field(description="Oldest first.")


class SubmittedOut(Schema):
    attempt: AttemptOut
    attempts_left: int | None = Field(description="Null: unlimited.")
    lesson_completed: bool
    lesson_completed_now: bool
    course_completed_now: bool
    course_progress: CourseProgressOut


# --- Helpers --------------------------------------------------------------------------------
def _quiz_player(request, lesson_id: int):
    """The player for a quiz lesson, as the web page loads it: 404 if its course is not
    visible to the caller or it is no quiz, 403 if the caller may not see it or it is
    locked for them."""
    slug = (
        Lesson.objects.filter(pk=lesson_id).values_list("section__course__slug", flat=True).first()
    )
    if slug is None:
        raise Http404("No such lesson.")
    player = get_player(request.user, slug, lesson_id)
    if player.current.kind != Lesson.Kind.QUIZ:
        raise ApiError(404, "This lesson is not a quiz.")
    lock = player.locks.get(lesson_id)
    if lock is not None:
        raise LessonLocked(lock)  # 403 with the reason, opens_at and the lesson to do first
    return player


def _attempt(attempt: QuizAttempt, *, level: str) -> dict:
    reviewed = quizzes.review(attempt, level=level)
    return {
        "number": attempt.number,
        "score": attempt.score,
        "passed": attempt.passed,
        "quiz_version": attempt.quiz_version,
        "started_at": attempt.started_at,
        "submitted_at": attempt.submitted_at,
        "duration_seconds": attempt.duration_seconds,
        "review": [
            {
                "number": item.number,
                "id": item.id,
                "kind": item.kind,
                "text": item.text,
                "outcome": item.outcome,
                "credit": item.credit,
                "choices": [choice.__dict__ for choice in item.choices],
                "explanation": item.explanation if level == "full" else None,
            }
            for item in reviewed
        ]
        if level != "score"
        else None,
    }


def _invalid(error: ValidationError) -> ApiError:
    errors = (
        [
            {"field": name, "message": message}
            for name, messages in error.message_dict.items()
            for message in messages
        ]
        if hasattr(error, "error_dict")
        else [{"field": "request", "message": message} for message in error.messages]
    )
    return ApiError(422, " ".join(error.messages), errors=errors)


REFUSED = {409: Problem}


# --- Endpoints ------------------------------------------------------------------------------
@router.get(
    "/lessons/{lesson_id}/quiz",
    response={200: QuizOut, 401: Problem, 403: Problem, 404: Problem, 422: Problem},
    operation_id="get_quiz",
)
def get_quiz(request, lesson_id: int):
    """A quiz lesson's questions and answers — never which answers are correct — in the
    order you are shown them, your attempts so far, and the token to submit the next
    attempt with. Enrolled students take the quiz; the course's instructor, staff and
    free-preview visitors see the questions only (no token). 403 for a lesson locked by
    the course's pacing, with the reason."""
    player = _quiz_player(request, lesson_id)
    state = quizzes.quiz_state(user=request.user, lesson=player.current, learning=player.learning)
    if not state.has_questions:
        raise ApiError(404, "This quiz has no questions yet.")
    quiz = state.quiz
    return {
        "lesson_id": player.current.pk,
        "title": player.current.title,
        "pass_mark": quiz.pass_mark,
        "must_pass": quiz.must_pass,
        "review": quiz.review,
        "max_attempts": quiz.max_attempts,
        "attempts_used": state.used,
        "attempts_left": state.left,
        "best_score": state.best_score,
        "passed": state.passed,
        "completed": bool(player.progress and player.progress.is_complete),
        "can_submit": state.can_submit,
        "refusal": state.refusal,
        "attempt_number": state.next_number,
        "token": state.token,
        "token_expires_at": timezone.now() + timedelta(seconds=quizzes.TOKEN_MAX_AGE)
        if state.token
        else None,
        "questions": [
            {
                "id": question.id,
                "kind": question.kind,
                "text": question.text,
                "choices": [{"id": choice.id, "text": choice.text} for choice in question.choices],
            }
            for question in state.questions
        ],
    }


@router.post(
    "/lessons/{lesson_id}/quiz/attempts",
    response={201: SubmittedOut, 401: Problem, 403: Problem, 404: Problem, 422: Problem, **REFUSED},
    operation_id="submit_quiz_attempt",
)
def submit_quiz_attempt(request, lesson_id: int, payload: AttemptIn):
    """Submit an attempt, scored on the server (README, "Quizzes"): 201 with the result
    and its review as the quiz allows. 422 for answers that are not this quiz's or a
    token that is not yours; 409, storing nothing, when the attempt cannot be taken now:
    the quiz changed since the token was handed out (fetch the quiz again), this
    attempt was submitted already, no attempts are left, or the token expired."""
    lesson = get_learnable_lesson(request.user, lesson_id)
    try:
        submitted = quizzes.submit_attempt(
            user=request.user, lesson=lesson, token=payload.token, answers=payload.answers
        )
    except quizzes.AttemptRefused as refusal:
        raise ApiError(409, str(refusal)) from None
    except ValidationError as error:
        raise _invalid(error) from None
    quiz = quizzes.load_quiz(lesson)
    attempt = submitted.attempt
    course = lesson.section.course
    done = LessonProgress.objects.completed_in(user=request.user, course=course)
    completed = LessonProgress.objects.filter(
        user=request.user, lesson=lesson, completed_at__isnull=False
    ).exists()
    return Status(
        201,
        {
            "attempt": _attempt(attempt, level=quiz.review),
            "attempts_left": None
            if quiz.max_attempts is None
            else max(0, quiz.max_attempts - attempt.number),
            "lesson_completed": completed,
            "lesson_completed_now": submitted.lesson_completed_now,
            "course_completed_now": submitted.course_completed_now,
            "course_progress": _course_progress(user=request.user, course=course, done=done),
        },
    )


@router.get(
    "/lessons/{lesson_id}/quiz/attempts",
    response={200: AttemptList, 401: Problem, 403: Problem, 404: Problem, 422: Problem},
    operation_id="list_quiz_attempts",
)
def list_quiz_attempts(request, lesson_id: int):
    """My attempts at a quiz, oldest first, each with the review the quiz allows (from
    the questions as they were asked, even if the quiz changed since)."""
    player = _quiz_player(request, lesson_id)
    state = quizzes.quiz_state(user=request.user, lesson=player.current, learning=player.learning)
    level = state.quiz.review if state.quiz is not None else "score"
    return {
        "count": state.used,
        "results": [_attempt(attempt, level=level) for attempt in state.attempts],
    }
