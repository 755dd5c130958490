"""No orphan files: replacing or deleting lessons, sections and courses clears storage."""

from pathlib import Path

import pytest
from django.core.files.base import ContentFile

from catalog.models import Lesson
from catalog.tests.factories import (
    CourseFactory,
    LessonFactory,
    SectionFactory,
    sample_video,
)

pytestmark = pytest.mark.django_db


def stored(root) -> list[str]:
    root = Path(root)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run the on-commit hooks (file deletions) of the block, as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_videos_are_stored_privately(settings):
    lesson = LessonFactory(with_video=True)
    assert stored(settings.PRIVATE_MEDIA_ROOT) == [lesson.video.name]
    assert not Path(settings.MEDIA_ROOT, lesson.video.name).exists()
    with pytest.raises(ValueError, match="no URL"):
        lesson.video.url  # noqa: B018


def test_replacing_a_video_deletes_the_old_file(settings, commit):
    lesson = LessonFactory(with_video=True)
    lesson = Lesson.objects.get(pk=lesson.pk)
    with commit():
        lesson.video = sample_video("second.mp4")
        lesson.save()
    assert stored(settings.PRIVATE_MEDIA_ROOT) == [lesson.video.name]


def test_a_rolled_back_replacement_keeps_the_old_file(settings, django_capture_on_commit_callbacks):
    lesson = Lesson.objects.get(pk=LessonFactory(with_video=True).pk)
    old = lesson.video.name
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        lesson.video = sample_video("second.mp4")
        lesson.save()
    # Not committed: nothing ran, the old file is still there.
    assert old in stored(settings.PRIVATE_MEDIA_ROOT)
    assert callbacks  # the deletion waits for the commit


def test_deleting_a_lesson_deletes_its_file(settings, commit):
    lesson = LessonFactory(with_video=True)
    with commit():
        lesson.delete()
    assert stored(settings.PRIVATE_MEDIA_ROOT) == []


def test_deleting_a_section_or_course_deletes_every_file(settings, commit):
    course = CourseFactory(thumbnail=ContentFile(b"x", name="thumb.webp"))
    first, second = SectionFactory(course=course), SectionFactory(course=course)
    for section in (first, second):
        LessonFactory(section=section, with_video=True)
        LessonFactory(section=section, with_video=True)
    assert len(stored(settings.PRIVATE_MEDIA_ROOT)) == 4
    with commit():
        first.delete()
    assert len(stored(settings.PRIVATE_MEDIA_ROOT)) == 2
    with commit():
        course.delete()
    assert stored(settings.PRIVATE_MEDIA_ROOT) == []
    assert stored(settings.MEDIA_ROOT) == []
