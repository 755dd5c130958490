"""Quiz content rules shared by authoring (the admin) and publishing (the builder)."""

from django.db.models import F

from catalog.models import Question, Quiz


def question_problems(question: Question, choices) -> list[str]:
    """What makes ``question`` unanswerable as written (empty when it is fine).

    ``choices``: the question's answers (pass them when already loaded).
    """
    correct = sum(1 for choice in choices if choice.is_correct)
    if len(choices) < 2:
        return ["needs at least two answers"]
    if question.kind == Question.Kind.TRUE_FALSE and len(choices) != 2:
        return ["a true-or-false question has exactly two answers"]
    if question.kind in (Question.Kind.SINGLE, Question.Kind.TRUE_FALSE) and correct != 1:
        return ["needs exactly one correct answer"]
    if question.kind == Question.Kind.MULTIPLE and correct < 1:
        return ["needs at least one correct answer"]
    return []


def quiz_problems(quiz: Quiz) -> list[str]:
    """Why ``quiz`` cannot be published yet (empty when it can): two queries."""
    questions = list(quiz.questions.prefetch_related("choices"))
    if not questions:
        return ["The quiz has no questions yet."]
    problems = []
    for number, question in enumerate(questions, start=1):
        for problem in question_problems(question, list(question.choices.all())):
            problems.append(f"Question {number} {problem}.")
    return problems


def bump_version(quiz_id: int) -> None:
    """The quiz's questions, answers or marking changed: later attempts are a new version
    (earlier ones keep the copy they were scored against)."""
    Quiz.objects.filter(pk=quiz_id).update(version=F("version") + 1)
