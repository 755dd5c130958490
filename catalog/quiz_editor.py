"""The quiz editor's forms and rules: a quiz's settings and all its questions on one page.

Django's admin has no nested inlines, so the page is one HTML form made of small forms:
the quiz's settings (``QuizSettingsForm``, prefix ``quiz``), then for each question a
``QuestionForm`` (prefix ``q-<i>``) and its answers' ``AnswerForm``s (prefix
``q-<i>-a-<j>``); ``q-count`` and ``q-<i>-count`` say how many were sent. The order on
the page is the order saved.

The page's state travels as *drafts* (``QuestionDraft``/``AnswerDraft``: what the form
holds, as typed). The buttons other than Save ("Add question", "Add answer", ↑/↓, a
kind changed with JavaScript on) post the form with ``edit=<what>``: ``apply_edit``
changes the drafts and the page comes back with nothing saved. Save runs ``plan_save``
(every form and every question against ``catalog.quizzes.question_problems``; ids only
from this quiz) and then ``save``, in one transaction: all of it or nothing.

A true-or-false question's answers are made here, "True" and "False" (the instructor
ticks the correct one). Any change to the questions, the answers or the pass mark bumps
the quiz's version: earlier attempts keep the copy they were scored against
(``learning.QuizAttempt.questions``).
"""

from dataclasses import dataclass, field

from django import forms
from django.db import transaction

from catalog.models import Choice, Question, Quiz
from catalog.quizzes import bump_version, question_problems
from lms.lib.validators import no_control_characters

MAX_QUESTIONS = 100
MAX_ANSWERS = 12
NEW_QUESTION_ANSWERS = 4  # the blank answer rows a new question starts with
TRUE_FALSE = Question.Kind.TRUE_FALSE
TRUE_FALSE_TEXTS = ("True", "False")


class Refused(Exception):
    """The whole form is refused (a page-level message): nothing is saved."""

    def __init__(self, message: str, *, status: int = 400, keep_input: bool = False):
        """``keep_input``: show the form as sent (to copy from), not the saved quiz."""
        super().__init__(message)
        self.message, self.status, self.keep_input = message, status, keep_input


# --- Forms ------------------------------------------------------------------------------
class QuizSettingsForm(forms.ModelForm):
    class Meta:
        model = Quiz
        fields = [
            "pass_mark",
            "max_attempts",
            "must_pass",
            "review",
            "shuffle_questions",
            "shuffle_choices",
        ]
        help_texts = {
            "pass_mark": "The score, in percent, that passes. Changing it starts a new version.",
            "max_attempts": "How many times a student may submit the quiz. Empty: unlimited.",
            "shuffle_questions": "Each attempt shows the questions in a new order.",
            "shuffle_choices": "Each attempt shows each question’s answers in a new order.",
        }
        widgets = {
            "pass_mark": forms.NumberInput(attrs={"min": 1, "max": 100}),
            "max_attempts": forms.NumberInput(attrs={"min": 1, "max": 100}),
        }


class QuestionForm(forms.Form):
    id = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    kind = forms.ChoiceField(label="Kind", choices=Question.Kind.choices)
    text = forms.CharField(
        label="Question",
        required=False,  # a blank new question is ignored; a kept one is checked below
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
    )
    explanation = forms.CharField(
        label="Explanation",
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text="Optional. Shown after submitting if the review setting includes it.",
    )
    remove = forms.BooleanField(label="Remove this question", required=False)


class AnswerForm(forms.Form):
    id = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    text = forms.CharField(
        label="Answer", required=False, max_length=500, validators=[no_control_characters]
    )
    correct = forms.BooleanField(label="Correct", required=False)
    remove = forms.BooleanField(label="Remove", required=False)


# --- Drafts: what the page holds --------------------------------------------------------
@dataclass
class AnswerDraft:
    id: str = ""  # a pk as text, or "" for a new answer
    text: str = ""
    correct: bool = False
    remove: bool = False

    @property
    def blank(self) -> bool:
        return not self.id and not self.text.strip()


@dataclass
class QuestionDraft:
    id: str = ""
    kind: str = Question.Kind.SINGLE
    text: str = ""
    explanation: str = ""
    remove: bool = False
    answers: list[AnswerDraft] = field(default_factory=list)
    made_true_false: bool = False  # its answers were just replaced by True and False

    @property
    def blank(self) -> bool:
        """A new question nobody wrote (an unused "Add question"): ignored on save."""
        return (
            not self.id
            and not self.text.strip()
            and not self.explanation.strip()
            and (self.kind == TRUE_FALSE or all(a.blank for a in self.answers))
        )

    @property
    def shown_answers(self) -> list[AnswerDraft]:
        """The rows the page shows: a true-or-false question hides the answers it
        replaced (they are sent as removed)."""
        if self.kind == TRUE_FALSE:
            return [a for a in self.answers if not a.remove]
        return self.answers


def new_question() -> QuestionDraft:
    return QuestionDraft(answers=[AnswerDraft() for _ in range(NEW_QUESTION_ANSWERS)])


def drafts_from_quiz(questions) -> list[QuestionDraft]:
    """The saved questions (with their ``choices`` prefetched) as drafts; a quiz with no
    question yet starts with one blank one."""
    drafts = [
        QuestionDraft(
            id=str(question.pk),
            kind=question.kind,
            text=question.text,
            explanation=question.explanation,
            answers=[
                AnswerDraft(id=str(choice.pk), text=choice.text, correct=choice.is_correct)
                for choice in question.choices.all()
            ],
        )
        for question in questions
    ]
    return drafts or [new_question()]


def _count(data, key: str, most: int, what: str) -> int:
    try:
        count = int(data.get(key, ""))
    except ValueError:
        raise Refused("The form arrived incomplete; nothing was saved. Reload the page.") from None
    if not 0 <= count <= most:
        raise Refused(f"A quiz has at most {most} {what}; nothing was saved.")
    return count


def drafts_from_post(data) -> list[QuestionDraft]:
    """The questions and answers as the form sent them (text as typed, not checked), a
    true-or-false question's answers settled (``settle_true_false``)."""
    drafts = []
    for i in range(_count(data, "q-count", MAX_QUESTIONS, "questions")):
        prefix = f"q-{i}"
        answers = []
        for j in range(_count(data, f"{prefix}-count", MAX_ANSWERS, "answers per question")):
            answer = f"{prefix}-a-{j}"
            answers.append(
                AnswerDraft(
                    id=data.get(f"{answer}-id", "").strip(),
                    text=data.get(f"{answer}-text", ""),
                    correct=bool(data.get(f"{answer}-correct")),
                    remove=bool(data.get(f"{answer}-remove")),
                )
            )
        drafts.append(
            QuestionDraft(
                id=data.get(f"{prefix}-id", "").strip(),
                kind=data.get(f"{prefix}-kind", ""),
                text=data.get(f"{prefix}-text", ""),
                explanation=data.get(f"{prefix}-explanation", ""),
                remove=bool(data.get(f"{prefix}-remove")),
                answers=answers,
            )
        )
        settle_true_false(drafts[-1])
    return drafts


def settle_true_false(question: QuestionDraft) -> None:
    """A true-or-false question answers "True" and "False": keep them if the question
    already has exactly those two, otherwise replace its answers with them (the old ones
    are removed on save; the instructor ticks the correct one)."""
    if question.kind != TRUE_FALSE:
        return
    live = [a for a in question.answers if not a.remove and not a.blank]
    if sorted(a.text.strip().lower() for a in live) == ["false", "true"]:
        for answer in live:
            answer.text = answer.text.strip().capitalize()
        question.answers = [a for a in question.answers if a.id or not a.blank]
        return
    question.answers = [
        AnswerDraft(id=a.id, text=a.text, correct=a.correct, remove=True)
        for a in question.answers
        if a.id
    ] + [AnswerDraft(text=text) for text in TRUE_FALSE_TEXTS]
    question.made_true_false = True


# --- Edits that do not save ---------------------------------------------------------------
@dataclass
class Outcome:
    message: str
    focus: str = ""  # the id of the element to focus on the page that comes back


def _index(value: str, items: list) -> int:
    try:
        index = int(value)
    except ValueError:
        raise Refused("Unknown change.", status=400) from None
    if not 0 <= index < len(items):
        raise Refused("That question or answer is no longer on the page.", status=400)
    return index


def apply_edit(drafts: list[QuestionDraft], edit: str) -> Outcome:
    """Make one change to the page's drafts (nothing is saved):

    ``add-question``; ``add-answer-<i>``; ``move-<i>-up|down`` (a question);
    ``move-<i>-<j>-up|down`` (an answer of question i); ``kind-<i>`` (question i's kind
    changed: a true-or-false question gets its answers).
    """
    parts = edit.split("-")
    if edit == "add-question":
        if len(drafts) >= MAX_QUESTIONS:
            return Outcome(f"A quiz has at most {MAX_QUESTIONS} questions.")
        drafts.append(new_question())
        i = len(drafts) - 1
        return Outcome(f"Added question {i + 1}: not saved yet.", f"id_q-{i}-text")
    if parts[:2] == ["add", "answer"] and len(parts) == 3:
        i = _index(parts[2], drafts)
        question = drafts[i]
        if question.kind == TRUE_FALSE:
            return Outcome("A true-or-false question has exactly two answers.", f"id_q-{i}-kind")
        if len(question.answers) >= MAX_ANSWERS:
            return Outcome(f"A question has at most {MAX_ANSWERS} answers.", f"q-{i}-add-answer")
        question.answers.append(AnswerDraft())
        j = len(question.answers) - 1
        return Outcome(
            f"Added answer {j + 1} to question {i + 1}: not saved yet.", f"id_q-{i}-a-{j}-text"
        )
    if parts[0] == "move" and len(parts) in (3, 4) and parts[-1] in ("up", "down"):
        step = -1 if parts[-1] == "up" else 1
        i = _index(parts[1], drafts)
        if len(parts) == 3:
            return _move(drafts, i, step, what=f"Question {i + 1}", button=f"q-{{}}-{parts[-1]}")
        answers = drafts[i].answers
        j = _index(parts[2], answers)
        return _move(
            answers,
            j,
            step,
            what=f"Answer {j + 1} of question {i + 1}",
            button=f"q-{i}-a-{{}}-{parts[-1]}",
        )
    if parts[0] == "kind" and len(parts) == 2:
        i = _index(parts[1], drafts)
        question = drafts[i]  # a true-or-false one already has its answers
        if question.kind != TRUE_FALSE:
            live = [a for a in question.answers if not a.remove]
            question.answers += [AnswerDraft() for _ in range(max(0, 2 - len(live)))]
        label = dict(Question.Kind.choices).get(question.kind, "unknown")
        return Outcome(f"Question {i + 1} is now: {label}. Not saved yet.", f"id_q-{i}-kind")
    raise Refused("Unknown change.", status=400)


def _move(items: list, index: int, step: int, *, what: str, button: str) -> Outcome:
    target = index + step
    if not 0 <= target < len(items):
        where = "first" if step < 0 else "last"
        return Outcome(f"{what} is already {where}.", button.format(index))
    items[index], items[target] = items[target], items[index]
    return Outcome(
        f"{what} moved {'up' if step < 0 else 'down'} to place {target + 1}: not saved yet.",
        button.format(target),
    )


# --- The page's forms, from drafts ---------------------------------------------------------
@dataclass
class AnswerBlock:
    form: AnswerForm
    number: int
    draft: AnswerDraft
    hidden: bool  # a replaced answer of a true-or-false question: sent as removed

    @property
    def key(self) -> str:
        return self.form.prefix  # "q-<i>-a-<j>": the ids of its buttons start with it


@dataclass
class QuestionBlock:
    form: QuestionForm
    number: int
    draft: QuestionDraft
    answers: list[AnswerBlock]
    problems: list[str] = field(default_factory=list)

    @property
    def index(self) -> int:
        return self.number - 1

    @property
    def key(self) -> str:
        return self.form.prefix  # "q-<i>"

    @property
    def is_true_false(self) -> bool:
        return self.draft.kind == TRUE_FALSE

    @property
    def hidden_answers(self) -> list[AnswerBlock]:
        return [a for a in self.answers if a.hidden]

    @property
    def shown_answers(self) -> list[AnswerBlock]:
        return [a for a in self.answers if not a.hidden]

    @property
    def messages(self) -> list[str]:
        """Everything wrong with the question, for the page's summary: its problems, then
        its fields' errors and its answers' ("Answer 2: …")."""
        found = list(self.problems)
        for name, errors in self.form.errors.items():
            label = self.form.fields[name].label if name in self.form.fields else ""
            found += [f"{label}: {error}" if label else error for error in errors]
        for answer in self.answers:
            for error in answer.form.errors.values():
                found += [f"Answer {answer.number}: {text}" for text in error]
        return found

    @property
    def has_errors(self) -> bool:
        return bool(self.problems or self.form.errors or any(a.form.errors for a in self.answers))


def _question_values(draft: QuestionDraft) -> dict:
    return {
        "id": draft.id,
        "kind": draft.kind,
        "text": draft.text,
        "explanation": draft.explanation,
        "remove": draft.remove,
    }


def _answer_values(draft: AnswerDraft) -> dict:
    return {"id": draft.id, "text": draft.text, "correct": draft.correct, "remove": draft.remove}


def blocks_for(drafts: list[QuestionDraft], *, bound: bool) -> list[QuestionBlock]:
    """One block per question with its forms: bound to the drafts' values (to check them
    on save) or showing them as initial values (a page to go on editing)."""

    def make(form_class, values: dict, prefix: str):
        if not bound:
            return form_class(prefix=prefix, initial=values)
        data = {
            f"{prefix}-{name}": ("on" if value else "") if isinstance(value, bool) else value
            for name, value in values.items()
            if value is not False
        }
        return form_class(data, prefix=prefix)

    blocks = []
    for i, question in enumerate(drafts):
        shown = {id(answer) for answer in question.shown_answers}
        answers = [
            AnswerBlock(
                form=make(AnswerForm, _answer_values(answer), f"q-{i}-a-{j}"),
                number=j + 1,
                draft=answer,
                hidden=id(answer) not in shown,
            )
            for j, answer in enumerate(question.answers)
        ]
        blocks.append(
            QuestionBlock(
                form=make(QuestionForm, _question_values(question), f"q-{i}"),
                number=i + 1,
                draft=question,
                answers=answers,
            )
        )
    return blocks


def focus_on(blocks: list[QuestionBlock], element_id: str) -> None:
    """Give the form field whose id is ``element_id`` the ``autofocus`` attribute (the
    page that comes back after a change puts focus where the change was; htmx does the
    same after a swap). Buttons are marked by the template, comparing their ids."""
    if not element_id.startswith("id_"):
        return
    for block in blocks:
        for form in (block.form, *(answer.form for answer in block.answers)):
            for bound in form:
                if bound.auto_id == element_id:
                    form.fields[bound.name].widget.attrs["autofocus"] = True
                    return


# --- Checking and saving -------------------------------------------------------------------
@dataclass
class Plan:
    """What a valid form will write: questions in order (existing ones changed in place,
    new ones unsaved), each with its answers in order; what goes."""

    questions: list[tuple[Question, list[Choice]]] = field(default_factory=list)
    removed_questions: list[int] = field(default_factory=list)
    removed_choices: list[int] = field(default_factory=list)


def _ids_of_this_quiz(drafts: list[QuestionDraft], existing: dict[int, Question]) -> None:
    """Every id in the form is one of this quiz's questions (or that question's answers),
    once; every saved question and answer is in the form. Otherwise the whole form is
    refused: it was forged, or the quiz changed under it."""
    forged = Refused(
        "The form names a question or answer that is not part of this quiz; nothing was "
        "saved. Reload the page and make your changes again."
    )
    seen_questions: set[int] = set()
    for question in drafts:
        question_id = _pk(question.id, forged)
        if question_id is not None and (
            question_id not in existing or question_id in seen_questions
        ):
            raise forged
        choices = {c.pk for c in existing[question_id].choices.all()} if question_id else set()
        seen = set()
        for answer in question.answers:
            answer_id = _pk(answer.id, forged)
            if answer_id is not None and (answer_id not in choices or answer_id in seen):
                raise forged
            if answer_id is not None:
                seen.add(answer_id)
        if question_id is not None:
            seen_questions.add(question_id)
            if seen != choices:
                raise Refused(
                    "The form is missing answers this quiz has (the page may be out of "
                    "date); nothing was saved. Reload the page."
                )
    if seen_questions != set(existing):
        raise Refused(
            "The form is missing questions this quiz has (the page may be out of date); "
            "nothing was saved. Reload the page."
        )


def _pk(value: str, error: Refused) -> int | None:
    if not value:
        return None
    try:
        pk = int(value)
    except ValueError:
        raise error from None
    if pk < 1:
        raise error
    return pk


def plan_save(
    quiz: Quiz, drafts: list[QuestionDraft], existing: dict[int, Question]
) -> tuple[list[QuestionBlock], Plan | None]:
    """Check the form: the blocks to show again (their forms bound, with errors and each
    question's problems) and, when everything is right, the plan to write.

    ``existing``: the quiz's saved questions by pk, their choices prefetched. Raises
    ``Refused`` for ids that are not this quiz's (nothing is shown of them).
    """
    _ids_of_this_quiz(drafts, existing)
    blocks = blocks_for(drafts, bound=True)
    plan = Plan()
    valid = True
    for block in blocks:
        draft = block.draft
        if draft.remove or draft.blank:
            if draft.remove and draft.id:  # its id is this quiz's (checked above)
                plan.removed_questions.append(int(draft.id))
            continue  # else a new question left empty or removed at once: nothing to write
        checked = [block.form.is_valid(), *(a.form.is_valid() for a in block.answers)]
        if not all(checked):  # every form checked, to show each one's errors
            valid = False
            continue
        values = dict(block.form.cleaned_data)
        question = existing[values["id"]] if values["id"] else Question(quiz=quiz)
        question.kind, question.text = values["kind"], values["text"]
        question.explanation = values["explanation"]
        if not values["text"]:
            block.form.add_error("text", "Write the question, or tick “Remove this question”.")
        saved = {c.pk: c for c in question.choices.all()} if question.pk else {}
        choices = []
        for answer in block.answers:
            a = dict(answer.form.cleaned_data)
            if a["remove"]:
                if a["id"]:
                    plan.removed_choices.append(a["id"])
                continue
            if not a["id"] and not a["text"]:
                if a["correct"]:
                    answer.form.add_error(
                        "text", "Write this answer, or untick “Correct”, or leave the row empty."
                    )
                continue  # an empty new row
            if not a["text"]:
                answer.form.add_error("text", "Write the answer, or tick “Remove”.")
                continue
            choice = saved[a["id"]] if a["id"] else Choice()
            choice.text, choice.is_correct = a["text"], a["correct"]
            choices.append(choice)
        if draft.made_true_false:
            block.problems = ["Its answers are now “True” and “False”: tick the correct one."]
        else:
            block.problems = [
                f"This question {problem}." for problem in question_problems(question, choices)
            ]
        valid = valid and not block.has_errors
        plan.questions.append((question, choices))
    return blocks, (plan if valid else None)


def save(quiz: Quiz, settings_form: QuizSettingsForm, plan: Plan, loaded: list[int]) -> bool:
    """Write the plan and the settings (call inside a transaction, the quiz locked);
    ``loaded``: the saved questions' pks in their order. Whether the questions, answers
    or pass mark changed (and so the version was bumped)."""
    changed = "pass_mark" in settings_form.changed_data
    settings_form.save()
    if plan.removed_questions:
        Question.objects.filter(quiz=quiz, pk__in=plan.removed_questions).delete()
    if plan.removed_choices:
        Choice.objects.filter(question__quiz=quiz, pk__in=plan.removed_choices).delete()
    changed = changed or bool(plan.removed_questions or plan.removed_choices)
    questions = [question for question, _ in plan.questions]
    saved_choices = {  # each saved question's answers as loaded, in order
        id(question): [choice.pk for choice in question.choices.all()]
        for question in questions
        if question.pk is not None
    }
    new_questions, edited_questions, moved = _place(
        questions, loaded, ("kind", "text", "explanation")
    )
    Question.objects.bulk_create(new_questions)
    Question.objects.bulk_update(edited_questions, ["order", "kind", "text", "explanation"])
    new_choices, edited_choices = [], []
    for question, choices in plan.questions:
        for choice in choices:
            if choice.pk is None:
                choice.question = question
        saved = saved_choices.get(id(question), [])
        new, edited, answers_moved = _place(choices, saved, ("text", "is_correct"))
        new_choices += new
        edited_choices += edited
        moved = moved or answers_moved
    Choice.objects.bulk_create(new_choices)
    Choice.objects.bulk_update(edited_choices, ["order", "text", "is_correct"])
    if changed or moved:
        bump_version(quiz.pk)
        quiz.version += 1  # the row is locked: this is the version now stored
    return changed or moved


def _place(rows: list, loaded: list[int], fields: tuple[str, ...]) -> tuple[list, list, bool]:
    """Number ``rows`` (saved and new ones, in their new order) 1, 2, 3…. Returns the new
    rows, the saved rows to update (edited or renumbered) and whether anything a student
    would notice changed: a new row, an edited one, or saved rows in another order than
    ``loaded`` (their pks as loaded, in order). Renumbering alone changes nothing."""
    kept = [row.pk for row in rows if row.pk is not None]
    still = set(kept)
    changed = kept != [pk for pk in loaded if pk in still]
    new, updated = [], []
    for order, row in enumerate(rows, start=1):
        if row.pk is None:
            row.order = order
            new.append(row)
            changed = True
            continue
        edited = row._loaded != tuple(getattr(row, name) for name in fields)
        changed = changed or edited
        if edited or row.order != order:
            row.order = order
            updated.append(row)
    return new, updated, changed


def load_existing(quiz: Quiz) -> dict[int, Question]:
    """The quiz's saved questions by pk, in order, with their choices, remembering the
    values as loaded (to write only what changed): two queries."""
    questions = {q.pk: q for q in quiz.questions.prefetch_related("choices")}
    for question in questions.values():
        question._loaded = (question.kind, question.text, question.explanation)
        for choice in question.choices.all():
            choice._loaded = (choice.text, choice.is_correct)
    return questions


def stamp(quiz: Quiz) -> str:
    """What the page was drawn from: a save against another stamp is refused (someone
    else saved the quiz since)."""
    return f"{quiz.version}.{quiz.updated_at.isoformat()}"


@transaction.atomic
def save_form(
    quiz_id: int, *, data
) -> tuple[Quiz, QuizSettingsForm, list[QuestionBlock], bool | None]:
    """Check and save the posted form in one transaction, the quiz's row locked.

    Returns the quiz, the settings form and the blocks (to show again when refused) and
    whether the content changed (``None``: refused, nothing written). Raises
    ``Refused`` for a form that cannot be shown again (forged ids, out of date)."""
    quiz = Quiz.objects.select_for_update().get(pk=quiz_id)
    if data.get("stamp") != stamp(quiz):
        raise Refused(
            "Someone saved this quiz after you opened this page; nothing of yours was saved. "
            "Reload the page to see the quiz as it is now, then make your changes again.",
            status=409,
            keep_input=True,
        )
    drafts = drafts_from_post(data)
    settings_form = QuizSettingsForm(data, instance=quiz, prefix="quiz")
    existing = load_existing(quiz)
    blocks, plan = plan_save(quiz, drafts, existing)
    if not settings_form.is_valid() or plan is None:
        return quiz, settings_form, blocks, None
    return quiz, settings_form, blocks, save(quiz, settings_form, plan, list(existing))
