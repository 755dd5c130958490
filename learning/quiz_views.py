"""The quiz lesson: the questions (never their answers) and the student's attempts.

``quiz_context`` fills the player's quiz part (templates/learning/lesson_quiz.html);
``submit`` takes the form's POST, scores it (``learning.quizzes``) and redirects back to
the lesson, which then shows the result: the page works without JavaScript.

The page shows one of: the form for the next attempt (when the student has none yet,
or asked to try again with ``?retake=1``), or the result of an attempt (the latest, or
``?attempt=N``) with the review the quiz allows. Editors and free-preview visitors see
the questions without a form.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from catalog.models import Quiz
from learning import quizzes
from learning.access import get_learnable_lesson

ANSWER_PREFIX = "q-"  # the form's answer fields: q-<question id>, values the answer ids


def quiz_context(request, player) -> dict:
    """What lesson_quiz.html needs for ``player.current`` (four queries)."""
    state = quizzes.quiz_state(user=request.user, lesson=player.current, learning=player.learning)
    requested = state.attempt(request.GET.get("attempt")) if "attempt" in request.GET else None
    show_form = state.can_submit and requested is None
    if show_form and state.latest is not None and request.GET.get("retake") != "1":
        show_form = False  # the latest result first; "Try again" opens the form
    result = None if show_form else (requested or state.latest)
    level = state.quiz.review if state.quiz is not None else Quiz.Review.SCORE
    return {
        "quiz": state.quiz,
        "quiz_state": state,
        "quiz_show_form": show_form,
        "quiz_preview": not state.learning and state.has_questions,
        "quiz_result": result,
        "quiz_review_level": level,
        "quiz_review": quizzes.review(result, level=level) if result is not None else [],
    }


def form_answers(data) -> dict[str, list[str]]:
    """The answers in a submitted quiz form: question id → the chosen answer ids."""
    return {
        name.removeprefix(ANSWER_PREFIX): data.getlist(name)
        for name in data
        if name.startswith(ANSWER_PREFIX)
    }


@login_required
@require_POST
def submit(request, lesson_pk: int):
    """Score an attempt and show its result on the lesson page (a plain form POST)."""
    lesson = get_learnable_lesson(request.user, lesson_pk)  # enrolled, published, open
    course = lesson.section.course
    page = reverse("learning:lesson", args=[course.slug, lesson.pk])
    try:
        submitted = quizzes.submit_attempt(
            user=request.user,
            lesson=lesson,
            token=request.POST.get("token", ""),
            answers=form_answers(request.POST),
        )
    except quizzes.AttemptRefused as refusal:
        messages.error(request, str(refusal))
        if refusal.code in ("changed", "expired"):
            return redirect(page + "?retake=1#quiz-form")
        return redirect(page + "#quiz-result")
    except ValidationError as error:
        return HttpResponseBadRequest(" ".join(error.messages))
    if submitted.course_completed_now:
        messages.success(request, f"Congratulations, you completed “{course}”!")
    return redirect(page + "#quiz-result")
