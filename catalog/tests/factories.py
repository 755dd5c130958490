import functools
import io
from decimal import Decimal
from pathlib import Path

import factory
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from accounts.tests.factories import InstructorFactory
from catalog.models import Category, Choice, Course, Lesson, Question, Quiz, Section

DEMO_MEDIA = Path(__file__).resolve().parents[2] / "lms" / "demo_media"
SAMPLE_MP4 = DEMO_MEDIA / "welcome.mp4"  # 12 s, H.264 + AAC
SAMPLE_WEBM = DEMO_MEDIA / "mandelbrot.webm"  # 10 s, VP8


def sample_video(name="lesson.mp4") -> ContentFile:
    return ContentFile(SAMPLE_MP4.read_bytes(), name=name)


@functools.cache
def _tiny_webp() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 9), (47, 79, 216)).save(buffer, format="WEBP")
    return buffer.getvalue()


def tiny_thumbnail(name="thumbnail.webp") -> ContentFile:
    """A real 16×9 WebP of 66 bytes, drawn once per test run: each course saving it gets
    its own file (a stored file belongs to one row), at the cost of a tiny write."""
    return ContentFile(_tiny_webp(), name=name)


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", "-"))


class CourseFactory(factory.django.DjangoModelFactory):
    """A draft course; ``CourseFactory(published=True)`` gives a published one.

    Every draft has a description, a category and a decided price, but no thumbnail:
    ``with_thumbnail=True`` adds one, and then ``course.publish()`` needs only a published
    lesson. ``published=True`` includes the thumbnail, as the publish checklist would.
    """

    class Meta:
        model = Course
        skip_postgeneration_save = True

    class Params:
        with_thumbnail = factory.Trait(thumbnail=factory.LazyFunction(tiny_thumbnail))
        published = factory.Trait(
            status=Course.Status.PUBLISHED,
            published_at=factory.LazyFunction(timezone.now),
            with_thumbnail=True,
        )

    title = factory.Sequence(lambda n: f"Course number {n}")
    subtitle = "Learn something useful"
    description = "A course description."
    category = factory.SubFactory(CategoryFactory)
    instructor = factory.SubFactory(InstructorFactory)
    price = Decimal("0.00")
    price_decided = True


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Section

    course = factory.SubFactory(CourseFactory)
    title = factory.Sequence(lambda n: f"Section {n}")


class LessonFactory(factory.django.DjangoModelFactory):
    """A lesson. With ``with_video=True`` it gets a real 12-second MP4 file."""

    class Meta:
        model = Lesson
        skip_postgeneration_save = True

    class Params:
        with_video = factory.Trait(
            video=factory.LazyFunction(sample_video),
            duration=12,
        )

    section = factory.SubFactory(SectionFactory)
    title = factory.Sequence(lambda n: f"Lesson {n}")
    duration = 60


def published_course(*, sections=1, lessons=2, with_video=False, **kwargs) -> Course:
    """A published course with ``sections`` × ``lessons`` lessons (published through
    ``publish()``, so it passes the checklist: it gets a thumbnail unless given one)."""
    kwargs.setdefault("with_thumbnail", "thumbnail" not in kwargs)
    course = CourseFactory(**kwargs)
    for _ in range(sections):
        section = SectionFactory(course=course)
        for _ in range(lessons):
            LessonFactory(section=section, with_video=with_video)
    course.publish()
    return course


class QuizFactory(factory.django.DjangoModelFactory):
    """A quiz lesson's settings, with its (quiz-kind) lesson."""

    class Meta:
        model = Quiz

    lesson = factory.SubFactory(LessonFactory, kind=Lesson.Kind.QUIZ, duration=0)


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    quiz = factory.SubFactory(QuizFactory)
    order = factory.Sequence(lambda n: n)
    text = factory.Sequence(lambda n: f"Question {n}?")


class ChoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Choice

    question = factory.SubFactory(QuestionFactory)
    order = factory.Sequence(lambda n: n)
    text = factory.Sequence(lambda n: f"Answer {n}")


def add_question(
    quiz: Quiz, *, kind=Question.Kind.SINGLE, answers=("Right", "Wrong"), correct=(0,), **kwargs
) -> Question:
    """A question of ``quiz`` with ``answers`` (texts), those at the ``correct`` indexes right."""
    question = QuestionFactory(quiz=quiz, kind=kind, **kwargs)
    for index, text in enumerate(answers):
        ChoiceFactory(question=question, order=index, text=text, is_correct=index in correct)
    return question


def quiz_lesson(section: Section, *, questions=2, **quiz_fields) -> Quiz:
    """A published quiz lesson in ``section`` with ``questions`` single-answer questions
    (the first answer, "Right", is correct)."""
    lesson = LessonFactory(section=section, kind=Lesson.Kind.QUIZ, duration=0)
    quiz = QuizFactory(lesson=lesson, **quiz_fields)
    for _ in range(questions):
        add_question(quiz)
    return quiz
