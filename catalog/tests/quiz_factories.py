"""Quizzes for tests: a quiz lesson with questions written out, and a page's form read
back as a browser would send it."""

from html.parser import HTMLParser

from catalog.models import Choice, Lesson, Question, Quiz
from catalog.tests.factories import (
    CourseFactory,
    LessonFactory,
    QuizFactory,
    SectionFactory,
    add_question,
)


def written_quiz(*, course=None, instructor=None, title="Check your understanding", questions=()):
    """A quiz lesson (in a draft course of ``instructor``'s unless ``course`` is given) with
    ``questions``: (kind, text, [(answer, correct), …]) each, in order."""
    if course is None:
        course = CourseFactory(**({"instructor": instructor} if instructor else {}))
    section = course.sections.first() or SectionFactory(course=course)
    lesson = LessonFactory(section=section, title=title, kind=Lesson.Kind.QUIZ, duration=0)
    quiz = QuizFactory(lesson=lesson)
    for kind, text, answers in questions:
        add_question(
            quiz,
            kind=kind,
            text=text,
            answers=[answer for answer, _ in answers],
            correct=[index for index, (_, correct) in enumerate(answers) if correct],
        )
    return quiz


CAPITALS = [
    ("single", "The capital of France?", [("Paris", True), ("Lyon", False), ("Nice", False)]),
    (
        "multiple",
        "Which are prime?",
        [("2", True), ("3", True), ("4", False), ("9", False)],
    ),
    ("true_false", "Water boils at 100 °C at sea level.", [("True", True), ("False", False)]),
]


def nth_question(quiz: Quiz, n: int) -> Question:
    """The quiz's question at place ``n`` (1 for the first), as students see them."""
    return Question.objects.filter(quiz=quiz).order_by("order", "pk")[n - 1]


def quiz_state(quiz: Quiz) -> tuple:
    """Everything the editor can change, to compare before and after a refused save."""
    quiz = Quiz.objects.get(pk=quiz.pk)
    return (
        quiz.pass_mark,
        quiz.max_attempts,
        quiz.must_pass,
        quiz.review,
        quiz.shuffle_questions,
        quiz.shuffle_choices,
        quiz.version,
        tuple(
            (q.pk, q.order, q.kind, q.text, q.explanation)
            for q in Question.objects.filter(quiz=quiz).order_by("order", "pk")
        ),
        tuple(
            (c.pk, c.question_id, c.order, c.text, c.is_correct)
            for c in Choice.objects.filter(question__quiz=quiz).order_by("question", "order")
        ),
    )


class _FormReader(HTMLParser):
    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id, self.inside, self.fields = form_id, False, {}
        self.textarea = self.select = None
        self.text = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id") == self.form_id:
            self.inside = True
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button"):
            if a.get("type") == "checkbox":
                if "checked" in a:
                    self.fields[name] = a.get("value", "on")
            else:
                self.fields[name] = a.get("value", "")
        elif tag == "textarea" and name:
            self.textarea, self.text = name, []
        elif tag == "select" and name:
            self.select = name
        elif tag == "option" and self.select:
            first = self.select not in self.fields
            if first or "selected" in a:  # the selected option, else the first
                self.fields[self.select] = a.get("value", "")

    def handle_data(self, data):
        if self.textarea:
            self.text.append(data)

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "textarea" and self.textarea:
            # the HTML parser keeps the newline that follows <textarea>; browsers drop it
            self.fields[self.textarea] = "".join(self.text).removeprefix("\n")
            self.textarea = None
        elif tag == "select":
            self.select = None


def form_fields(html: str, form_id: str = "quiz-form") -> dict:
    """The values a browser would send for the form ``form_id`` (no button pressed)."""
    reader = _FormReader(form_id)
    reader.feed(html)
    return reader.fields
