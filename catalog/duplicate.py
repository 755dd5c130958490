"""Duplicating a course: a new draft to build the next edition or a variant from.

The copy has the original's fields (title as "Copy of …", a slug of its own), tags,
sections and lessons in the same order with their kinds, articles, durations, free
previews and published flags, each quiz with its settings, questions and answers, and
copies of its files: the thumbnail and every lesson video get new names in the
same storage (an S3 server-side copy there), so deleting either course never touches the
other's files. It has no students, progress, reviews, orders or certificates; its
summary fields are counted afresh. The video app copies captions through
``catalog.signals.course_duplicated``, and, since it follows every new lesson video, queues
the copies for transcoding once the copy commits.

The copy keeps the original's instructor, also when staff duplicate someone's course:
it is that instructor's course to edit; staff reassign it on its page if they mean to.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction

from catalog.models import Choice, Course, Lesson, Question, Quiz, Section, unique_slug
from catalog.signals import course_duplicated
from lms.lib.files import copy_field_file, ensure_room

COPIED_FIELDS = [
    "subtitle",
    "description",
    "what_you_will_learn",
    "requirements",
    "category_id",
    "level",
    "language",
    "instructor_id",
    "price",
    "price_decided",
    "lessons_wait_for_video",
]


# A quiz's settings, copied as they are (its lesson and version are the copy's own).
QUIZ_FIELDS = [
    "pass_mark",
    "max_attempts",
    "shuffle_questions",
    "shuffle_choices",
    "must_pass",
    "review",
]


class _StoredFile:
    """A stored file as ``ensure_room`` counts an upload: its size, asked only for local
    storage (``ensure_room`` returns before asking on S3)."""

    def __init__(self, file):
        self.file = file

    @property
    def size(self) -> int:
        return self.file.size


def copy_title(title: str) -> str:
    return f"Copy of {title}"[: Course._meta.get_field("title").max_length]


def copy_quizzes(pairs: list[tuple[Lesson, Lesson]]) -> None:
    """Each quiz of the original lessons, with its questions and their answers, for the
    copies: settings as they are, version 1 (the copy has no attempts to keep apart).
    Five queries whatever the number of quizzes: read quizzes, questions and answers,
    then three bulk inserts."""
    new_lesson = {old.pk: new for old, new in pairs}
    quizzes = list(Quiz.objects.filter(lesson__in=list(new_lesson)))
    if not quizzes:
        return
    questions = list(Question.objects.filter(quiz__in=quizzes).order_by("pk"))
    choices = list(Choice.objects.filter(question__in=questions).order_by("pk"))
    quiz_copies = {
        quiz.pk: Quiz(
            lesson=new_lesson[quiz.lesson_id],
            **{name: getattr(quiz, name) for name in QUIZ_FIELDS},
        )
        for quiz in quizzes
    }
    Quiz.objects.bulk_create(quiz_copies.values())  # pks set (PostgreSQL, SQLite 3.35+)
    question_copies = {
        question.pk: Question(
            quiz=quiz_copies[question.quiz_id],
            order=question.order,
            kind=question.kind,
            text=question.text,
            explanation=question.explanation,
        )
        for question in questions
    }
    Question.objects.bulk_create(question_copies.values())
    Choice.objects.bulk_create(
        Choice(
            question=question_copies[choice.question_id],
            order=choice.order,
            text=choice.text,
            is_correct=choice.is_correct,
        )
        for choice in choices
    )


def duplicate_course(course: Course, *, by) -> Course:
    """A new draft copy of ``course`` made by ``by`` (its instructor or staff), in one
    transaction: if anything fails, no row and no copied file is left.

    Raises ``PermissionDenied`` for anyone else, and ``ValidationError`` (nothing
    written) when the local disk has no room for the copied videos."""
    if not course.is_editable_by(by):
        raise PermissionDenied("Only the course's instructor and staff can duplicate it.")
    with transaction.atomic():
        sections = list(course.sections.order_by("order"))
        # Lessons of those sections only: a section added meanwhile is not half-copied.
        lessons = list(Lesson.objects.filter(section__in=sections).order_by("order"))
        ensure_room(Lesson.video.field.storage, [_StoredFile(x.video) for x in lessons if x.video])

        title = copy_title(course.title)
        copy = Course(title=title, slug=unique_slug(Course, title), status=Course.Status.DRAFT)
        for name in COPIED_FIELDS:
            setattr(copy, name, getattr(course, name))
        if course.thumbnail:
            copy.thumbnail = copy_field_file(course.thumbnail, copy)
        copy.save()
        copy.tags.set(course.tags.all())

        new_sections = {}
        for section in sections:
            new_sections[section.pk] = Section.objects.create(
                course=copy, title=section.title, order=section.order
            )
        pairs = []
        for lesson in sorted(lessons, key=lambda x: (new_sections[x.section_id].order, x.order)):
            new = Lesson(
                section=new_sections[lesson.section_id],
                kind=lesson.kind,
                title=lesson.title,
                description=lesson.description,
                body=lesson.body,
                duration=lesson.duration,
                is_free_preview=lesson.is_free_preview,
                is_published=lesson.is_published,
                order=lesson.order,
            )
            if lesson.video:
                new.video = copy_field_file(lesson.video, new)
            new.save()
            pairs.append((lesson, new))
        copy_quizzes(pairs)
        copy.refresh_lesson_stats()
        course_duplicated.send(sender=Course, source=course, copy=copy, lesson_pairs=pairs)
    return copy
