"""Who may watch and who may learn a lesson: the rules every learning URL goes through."""

from django.db.models import Exists, OuterRef

from catalog.models import Course, Lesson
from learning.models import Enrollment


def is_enrolled(user, course: Course) -> bool:
    """Whether ``user`` is enrolled in ``course`` (one query; False when anonymous)."""
    return user.is_authenticated and Enrollment.objects.of(user).filter(course=course).exists()


def enrolled_in(user, course_ref: str = "pk") -> Exists:
    """The same question as an annotation: is ``user`` enrolled in the course that the
    outer query reaches by ``course_ref``? Asks it inside the query that loads the page."""
    return Exists(Enrollment.objects.of(user).filter(course=OuterRef(course_ref)))


def lessons_with_enrollment(user):
    """Lessons with section and course, and ``enrolled`` (is ``user`` enrolled?): one query."""
    return Lesson.objects.select_related("section__course").annotate(
        enrolled=enrolled_in(user, "section__course")
    )


def enrollment_for(request, course: Course) -> Enrollment | None:
    """The requesting user's enrolment in ``course``, looked up once per request.

    Several parts of one page (the enrol box, the review form) ask the same question.
    """
    cache = request.__dict__.setdefault("_lectern_enrollments", {})
    if course.pk not in cache:
        user = request.user
        cache[course.pk] = (
            Enrollment.objects.of(user).filter(course=course).first()
            if user.is_authenticated
            else None
        )
    return cache[course.pk]


def can_learn(user, lesson: Lesson, *, enrolled: bool | None = None) -> bool:
    """Enrolled in the published course and the lesson is published: progress counts.

    Pass ``enrolled`` when the caller already knows it (saves a query).
    """
    course = lesson.section.course
    if not (course.is_published and lesson.is_published):
        return False
    return is_enrolled(user, course) if enrolled is None else enrolled


def can_watch(user, lesson: Lesson, *, enrolled: bool | None = None) -> bool:
    """Enrolled students, the course's instructor and staff (drafts included), and anyone
    for a published free-preview lesson of a published course."""
    course = lesson.section.course
    if course.is_editable_by(user):
        return True
    if not (course.is_published and lesson.is_published):
        return False
    if lesson.is_free_preview:
        return True
    return is_enrolled(user, course) if enrolled is None else enrolled
