"""Who may watch a lesson: the one rule every video URL goes through."""

from catalog.models import Lesson


def can_watch(user, lesson: Lesson) -> bool:
    """True for the course's instructor and staff (drafts included), and for anyone
    when the lesson is a published free preview of a published course."""
    course = lesson.section.course
    if course.is_editable_by(user):
        return True
    if not (course.is_published and lesson.is_published):
        return False
    return lesson.is_free_preview
