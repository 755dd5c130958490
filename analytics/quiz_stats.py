"""A quiz's numbers for its instructor and staff: its attempts, each question's correct
rate and most chosen wrong answer, and each student's attempts.

Every number comes from the attempts as stored (``learning.QuizAttempt``): the score and
the pass as given then, and for each question the copy the student saw, with its correct
answers as they were then. The per-question rates count the attempts at the quiz's
current version (``version=None``: every version), matching the current questions by id,
so a question edited in between is judged by the answers it had when it was asked.

Queries: one aggregate for the summary, one read of the attempts' questions and answers
for all the per-question rates (counted in Python: the JSON reads the same on SQLite and
PostgreSQL), and for a page of students one grouped query plus the paginator's count —
whatever the number of attempts.
"""

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Avg, Count, F, Max, Q, QuerySet
from django.utils import timezone

from catalog.models import Lesson, Question, Quiz
from learning.models import QuizAttempt

PAGE_SIZE = 50
SEARCH_MAX = 100  # characters of ?q= used


# --- The summary -----------------------------------------------------------------------
@dataclass(frozen=True)
class Summary:
    attempts: int
    students: int
    passed: int  # students with at least one passed attempt
    average: Decimal | None  # the mean score of all attempts
    best: Decimal | None
    current_version_attempts: int

    @property
    def pass_rate(self) -> int | None:
        """Percent of the students who attempted the quiz that passed it."""
        return round(self.passed * 100 / self.students) if self.students else None

    @property
    def earlier_version_attempts(self) -> int:
        return self.attempts - self.current_version_attempts


def summary(quiz: Quiz) -> Summary:
    """One query."""
    row = QuizAttempt.objects.filter(lesson_id=quiz.lesson_id).aggregate(
        attempts=Count("pk"),
        students=Count("user", distinct=True),
        passed=Count("user", distinct=True, filter=Q(passed=True)),
        average=Avg("score"),
        best=Max("score"),
        current=Count("pk", filter=Q(quiz_version=quiz.version)),
    )
    return Summary(
        attempts=row["attempts"],
        students=row["students"],
        passed=row["passed"],
        average=row["average"],
        best=row["best"],
        current_version_attempts=row["current"],
    )


# --- Per question ----------------------------------------------------------------------
@dataclass
class QuestionStat:
    number: int
    question: Question
    asked: int = 0  # attempts that showed it
    right: int = 0  # ... answered with exactly its correct answers
    unanswered: int = 0
    wrong_picks: Counter = field(default_factory=Counter)  # wrong answer's id → times chosen
    wrong_texts: dict = field(default_factory=dict)  # ... → its text as shown then

    @property
    def percent(self) -> int | None:
        return round(self.right * 100 / self.asked) if self.asked else None

    @property
    def top_wrong(self) -> tuple[str, int] | None:
        """The most chosen wrong answer (its text now, or as shown if since removed) and
        how many times it was chosen; ties go to the answer listed first."""
        if not self.wrong_picks:
            return None
        current = {choice.pk: choice.text for choice in self.question.choices.all()}
        order = {pk: index for index, pk in enumerate(current)}
        choice_id, count = min(
            self.wrong_picks.items(), key=lambda item: (-item[1], order.get(item[0], len(order)))
        )
        if choice_id in current:
            return current[choice_id], count
        return f"{self.wrong_texts.get(choice_id, '?')} (removed since)", count


def _ids(values) -> set[int]:
    """Answer ids from an attempt's JSON (numbers, or digits as text), anything else out."""
    if not isinstance(values, list):
        return set()
    return {int(v) for v in values if isinstance(v, int) or (isinstance(v, str) and v.isdigit())}


def marked(shown, answers) -> list[tuple[dict, bool, set[int], set[int]]]:
    """An attempt's questions as shown, each with whether it was answered right, the
    answer ids chosen and the correct ones (all as the attempt recorded them)."""
    if not isinstance(shown, list):
        return []
    if not isinstance(answers, dict):
        answers = {}
    rows = []
    for item in shown:
        if not isinstance(item, dict) or not isinstance(item.get("choices"), list):
            continue
        item["choices"] = choices = [c for c in item["choices"] if isinstance(c, dict)]
        correct = _ids([c.get("id") for c in choices if c.get("correct")])
        chosen = _ids(answers.get(str(item.get("id"))))
        rows.append((item, bool(chosen) and chosen == correct, chosen, correct))
    return rows


def question_stats(
    quiz: Quiz, questions: list[Question], *, version: int | None
) -> tuple[list[QuestionStat], int]:
    """Each of ``questions`` (the quiz's current ones, choices prefetched) counted over
    the attempts at ``version`` (None: all of them), and how many attempts that was.
    One query, the attempts read in chunks."""
    stats = {
        question.pk: QuestionStat(number=number, question=question)
        for number, question in enumerate(questions, start=1)
    }
    attempts = QuizAttempt.objects.filter(lesson_id=quiz.lesson_id)
    if version is not None:
        attempts = attempts.filter(quiz_version=version)
    counted = 0
    for shown, answers in attempts.values_list("questions", "answers").iterator(chunk_size=500):
        counted += 1
        for item, right, chosen, correct in marked(shown, answers):
            stat = stats.get(item.get("id"))
            if stat is None:
                continue  # a question removed since
            stat.asked += 1
            stat.right += right
            stat.unanswered += not chosen
            for choice in item["choices"]:
                choice_id = next(iter(_ids([choice.get("id")])), None)
                if choice_id in chosen and choice_id not in correct:
                    stat.wrong_picks[choice_id] += 1
                    stat.wrong_texts.setdefault(choice_id, str(choice.get("text", "")))
    return list(stats.values()), counted


# --- Students ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    key: str
    label: str
    order: tuple
    first: str  # the direction a first click sorts: "" or "-"


COLUMNS = [
    Column("name", "Student", ("first_name", "last_name", "email"), ""),
    Column("attempts", "Attempts", ("attempts_used",), "-"),
    Column("best", "Best score", ("best_score",), "-"),
    Column("passed", "Passed", ("passes",), "-"),
    Column("last", "Last attempt", ("last_attempt",), "-"),
]
SORTS = {column.key: column for column in COLUMNS}
DEFAULT_SORT = "-last"


def parse_sort(value: str | None) -> str:
    value = value or ""
    return value if value.removeprefix("-") in SORTS else DEFAULT_SORT


def _search(rows: QuerySet, search: str, prefix: str = "") -> QuerySet:
    for word in search.split()[:5]:
        rows = rows.filter(
            Q(**{f"{prefix}email__icontains": word})
            | Q(**{f"{prefix}first_name__icontains": word})
            | Q(**{f"{prefix}last_name__icontains": word})
        )
    return rows


def students(lesson: Lesson, *, search: str = "", sort: str = DEFAULT_SORT) -> QuerySet:
    """The users who attempted the quiz, each with ``attempts_used``, ``best_score``,
    ``passes`` (passed attempts) and ``last_attempt``: one grouped query."""
    rows = (
        get_user_model()
        .objects.filter(quiz_attempts__lesson=lesson)
        .annotate(
            attempts_used=Count("quiz_attempts"),
            best_score=Max("quiz_attempts__score"),
            passes=Count("quiz_attempts", filter=Q(quiz_attempts__passed=True)),
            last_attempt=Max("quiz_attempts__submitted_at"),
        )
    )
    rows = _search(rows, search)
    descending = sort.startswith("-")
    column = SORTS[sort.removeprefix("-")]
    order = [F(name).desc() if descending else F(name).asc() for name in column.order]
    return rows.order_by(*order, "-pk" if descending else "pk")


# --- CSV -----------------------------------------------------------------------------------
CSV_HEADER = [
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


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def csv_rows(lesson: Lesson, *, search: str = ""):
    """Every attempt (of the students matching ``search``), oldest first: one query,
    read in chunks."""
    attempts = _search(
        QuizAttempt.objects.filter(lesson=lesson).select_related("user"), search, "user__"
    ).order_by("submitted_at", "pk")
    for attempt in attempts.iterator(chunk_size=500):
        marks = marked(attempt.questions, attempt.answers)
        yield [
            attempt.user.full_name,
            attempt.user.email,
            attempt.number,
            attempt.quiz_version,
            _local(attempt.submitted_at),
            attempt.score,
            "yes" if attempt.passed else "no",
            sum(1 for _, right, _, _ in marks if right),
            len(marks),
        ]
