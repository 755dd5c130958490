import factory

from accounts.tests.factories import UserFactory
from catalog.models import Course, Lesson, Section
from catalog.tests.factories import CourseFactory
from learning import services
from learning.models import Enrollment, LessonProgress


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    user = factory.SubFactory(UserFactory)
    course = factory.SubFactory(CourseFactory, published=True)


class LessonProgressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LessonProgress

    user = factory.SubFactory(UserFactory)
    position = 0


def big_course(student) -> list[Lesson]:
    """A published course of 30 sections × 20 lessons (61 s each), ``student`` enrolled
    with 300 of them completed; its lessons in order. For query budgets at size."""
    course = CourseFactory(published=True)
    sections = Section.objects.bulk_create(
        [Section(course=course, title=f"Section {s}", order=s + 1) for s in range(30)]
    )
    Lesson.objects.bulk_create(
        [
            Lesson(section=section, title=f"Lesson {n}", order=n + 1, duration=61)
            for section in sections
            for n in range(20)
        ]
    )
    Course.objects.filter(pk=course.pk).refresh_lesson_stats()
    services.enroll(user=student, course=course)
    lessons = list(Lesson.objects.filter(section__course=course).order_by("pk"))
    LessonProgress.objects.bulk_create(
        [
            LessonProgress(user=student, lesson=lesson, completed_at="2026-01-01T00:00Z")
            for lesson in lessons[:300]
        ]
    )
    return lessons
