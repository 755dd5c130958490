"""Permission-checking getters for the catalog: every app's views and API ask here.

Each returns what ``user`` may see or raises ``Http404`` (a thing the caller may not see
does not exist for them), in the query the page needs.
"""

from django.core.validators import slug_re
from django.http import Http404
from django.shortcuts import get_object_or_404

from catalog.models import Course, Lesson


def get_visible_course(user, slug: str, **annotations) -> Course:
    """The course at ``slug`` if ``user`` may see it (drafts: owner and staff), else 404.

    ``annotations`` ride along in the same query (the player asks "enrolled?" so). A
    slug that is no slug (the API takes any text; a NUL fails PostgreSQL) is a 404 too.
    """
    if not slug_re.match(slug):
        raise Http404("No such course.")
    course = get_object_or_404(
        Course.objects.select_related("category", "instructor__profile").annotate(**annotations),
        slug=slug,
    )
    if not course.is_visible_to(user):
        raise Http404("No such course.")
    return course


def get_lesson_in_course(course: Course, lesson_pk: int, *, related=()) -> Lesson:
    """A lesson of ``course`` (which the caller has already checked), else 404.
    ``related``: more relations to join (``select_related`` names)."""
    lesson = get_object_or_404(
        Lesson.objects.select_related("section", *related), pk=lesson_pk, section__course=course
    )
    lesson.section.course = course  # already loaded: no second query
    return lesson
