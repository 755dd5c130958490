"""Who may watch and who may learn a lesson: the rules every learning URL goes through.

The web views and the JSON API (``learning/api.py``) load what they show through the
getters here, so both answer the same situations the same way.
"""

import copy
import functools
import re
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import CharField, DateTimeField, Exists, IntegerField, OuterRef, Value
from django.http import Http404
from django.shortcuts import get_object_or_404

from catalog.access import get_lesson_in_course, get_visible_course
from catalog.models import Course, Lesson, Section
from learning import pacing
from learning.content import PLAYER_RELATED, CourseContent, course_content, personal_curriculum
from learning.models import Certificate, Enrollment, LessonProgress, LessonUnlock
from learning.pacing import Lock


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


# --- Getters -------------------------------------------------------------------------------


class WatchRefused(PermissionDenied):
    """The course is visible, but this lesson is not for this viewer (not enrolled)."""

    def __init__(self, message: str, *, course: Course):
        super().__init__(message)
        self.course = course


@dataclass
class Outline:
    """A course's published curriculum as one viewer sees it: what is done, what is closed."""

    course: Course
    sections: list[Section]
    # Published, in curriculum order; from get_outline each with ``lock`` (or None); the
    # player's are shared (learning.content): read ``locks`` instead.
    lessons: list[Lesson]
    completed_ids: set[int]  # completed published lessons
    locks: dict[int, Lock] = field(default_factory=dict)  # closed lessons (learning.pacing)

    def first_open(self, *, not_completed: bool = False) -> Lesson | None:
        return next(
            (
                item
                for item in self.lessons
                if item.pk not in self.locks
                and not (not_completed and item.pk in self.completed_ids)
            ),
            None,
        )


@dataclass
class Player(Outline):
    """What the player shows for one lesson: the outline, the lesson, and the viewer's
    progress in it (when it is recorded)."""

    current: Lesson | None = None
    learning: bool = False  # the viewer's progress counts (enrolled, published lesson)
    progress: LessonProgress | None = None  # the current lesson's ("watched" deferred)
    content: CourseContent | None = None  # what every viewer shares (learning.content)
    version: int | None = None  # the catalog version ``content`` is valid at

    def curriculum(self) -> str:
        """The sidebar's HTML with this viewer's ticks and locks and this lesson current."""
        return personal_curriculum(
            self.content,
            current_pk=self.current.pk,
            completed_ids=self.completed_ids,
            locks=self.locks,
        )

    def _index(self) -> int | None:
        return next((i for i, item in enumerate(self.lessons) if item.pk == self.current.pk), None)

    @property
    def previous(self) -> Lesson | None:
        index = self._index()
        return self.lessons[index - 1] if index else None

    @property
    def next(self) -> Lesson | None:
        index = self._index()
        return (
            self.lessons[index + 1] if index is not None and index + 1 < len(self.lessons) else None
        )


def load_course(user, course_slug: str, **annotations) -> Course:
    """The course at ``course_slug`` if visible to ``user`` (else 404), with "enrolled?"
    and what pacing needs of the viewer, in one query."""
    return get_visible_course(
        user,
        course_slug,
        viewer_enrolled=enrolled_in(user),
        **pacing.viewer_annotations(user),
        **annotations,
    )


def _curriculum(user, course: Course, *, paced: bool) -> tuple[list[Section], list[Lesson]]:
    """Sections and their published lessons (two queries), each lesson with its video's
    HLS rendition set (the video app's Transcode, reached by name: learning imports
    nothing of it, so the player's sources cost no query) and, where locks apply,
    ``unlocked`` (has the viewer a LessonUnlock for it?)."""
    # An article's text (up to 100,000 characters) is read only for the lesson shown
    # (one query then), not for every lesson of the sidebar.
    lessons = Lesson.objects.select_related(PLAYER_RELATED).defer("body")
    if paced:
        lessons = lessons.annotate(unlocked=pacing.unlocked_annotation(user))
    sections = list(course.curriculum(lessons))
    return sections, [item for section in sections for item in section.published_lessons]


def _locks(course: Course, lessons: list[Lesson], completed_ids: set[int], unlocked_ids) -> dict:
    """The closed lessons among ``lessons`` for the viewer ``course`` was loaded for
    (``viewer_enrolled_at`` and ``viewer_time_zone``). Sets nothing on the lessons: the
    player's are shared by every request (learning.content)."""
    return pacing.locks_for(
        pacing=course.pacing,
        lessons=lessons,
        completed_ids=completed_ids,
        unlocked_ids=unlocked_ids,
        enrolled_at=course.viewer_enrolled_at,
        tz=pacing.zone(course.viewer_time_zone),
    )


def _completed(rows, lessons: list[Lesson]) -> set[int]:
    published_ids = {item.pk for item in lessons}
    return {row.lesson_id for row in rows if row.completed_at and row.lesson_id in published_ids}


# --- What is the viewer's, read at every player request ------------------------------------
# Two small queries in raw SQL: on the player's hot path Django took three times longer to
# write them than the database to answer them. Tables and columns come from the models;
# RawQuerySet converts the values as the ORM does (dates on SQLite, time zones).
@functools.cache
def _progress_sql() -> str:
    """The viewer's progress rows in a course ("watched", a long list, left deferred)."""
    quote = connection.ops.quote_name
    columns = (quote(f.column) for f in LessonProgress._meta.concrete_fields if f.name != "watched")
    return (  # noqa: S608 — names from the models; the values are parameters
        "SELECT {columns} FROM {progress} p"
        " INNER JOIN {lesson} l ON l.id = p.lesson_id"
        " INNER JOIN {section} s ON s.id = l.section_id"
        " WHERE p.user_id = %s AND s.course_id = %s"
    ).format(
        columns=", ".join(f"p.{column}" for column in columns),
        progress=quote(LessonProgress._meta.db_table),
        lesson=quote(Lesson._meta.db_table),
        section=quote(Section._meta.db_table),
    )


@functools.cache
def _enrolment_sql() -> str:
    table = connection.ops.quote_name(Enrollment._meta.db_table)
    return f"SELECT id, created_at FROM {table} WHERE user_id = %s AND course_id = %s"  # noqa: S608


def progress_rows(user, course: Course) -> list[LessonProgress]:
    """``user``'s progress rows in ``course`` (its lessons of any state): one query."""
    return list(LessonProgress.objects.raw(_progress_sql(), [user.pk, course.pk]))


def get_outline(user, course: Course) -> Outline:
    """``course`` (from ``load_course``) as ``user`` learns it: sections, lessons, what is
    done and what is closed. Three queries (sections, lessons, progress rows); two when
    ``user`` is not enrolled (nothing done, nothing closed)."""
    enrolled = bool(course.viewer_enrolled)
    paced = pacing.applies(user, course, enrolled=enrolled)
    sections, lessons = _curriculum(user, course, paced=paced)
    completed = _completed(progress_rows(user, course), lessons) if enrolled else set()
    unlocked = [item.pk for item in lessons if getattr(item, "unlocked", False)]
    locks = _locks(course, lessons, completed, unlocked) if paced else {}
    for item in lessons:  # its own objects: the templates and the API read ``lock``
        item.lock = locks.get(item.pk)
    return Outline(
        course=course, sections=sections, lessons=lessons, completed_ids=completed, locks=locks
    )


def get_player(user, course_slug: str, lesson_pk: int) -> Player:
    """The player for ``lesson_pk`` in the course at ``course_slug``. The course and its
    curriculum come from the shared content (learning.content: one cache round trip);
    what is the viewer's is read now: their enrolment (in a paced course with their time
    zone and unlocks) and their progress rows in the course — two queries for an
    enrolled student, one for others.
    ``player.locks`` says which lessons are closed to the viewer.

    404 if the course is not visible to ``user`` or the lesson is not in it; WatchRefused
    if ``user`` may not watch it (not enrolled, and no free preview).
    """
    version, content = course_content(course_slug)
    if not content.course.is_visible_to(user):
        raise Http404("No such course.")
    # The shared objects are read, never written: what is the viewer's goes on a copy.
    course = copy.copy(content.course)
    enrolled_at, time_zone, unlocked = _enrolment(user, course)
    course.viewer_enrolled = enrolled_at is not None
    course.viewer_enrolled_at, course.viewer_time_zone = enrolled_at, time_zone
    paced = pacing.applies(user, course, enrolled=course.viewer_enrolled)
    ordered = content.lessons
    current = next((item for item in ordered if item.pk == lesson_pk), None)
    if current is None:  # unpublished: only its instructor and staff may open it
        current = get_lesson_in_course(course, lesson_pk, related=[PLAYER_RELATED])
    # (A lesson from the curriculum already knows its section, and the section its course.)
    if not can_watch(user, current, enrolled=course.viewer_enrolled):
        raise WatchRefused("Enrol in the course to watch its lessons.", course=course)
    learning = can_learn(user, current, enrolled=course.viewer_enrolled)
    # Every progress row of this course at once: the current lesson's and the ticks.
    rows = progress_rows(user, course) if learning else []
    completed = _completed(rows, ordered)
    return Player(
        course=course,
        sections=content.sections,
        lessons=ordered,
        completed_ids=completed,
        locks=_locks(course, ordered, completed, unlocked) if paced else {},
        current=current,
        learning=learning,
        progress=next((row for row in rows if row.lesson_id == current.pk), None),
        content=content,
        version=version,
    )


def _enrolment(user, course: Course) -> tuple:
    """When ``user`` enrolled in ``course`` (None: not enrolled) and, in a paced course,
    their time zone ("" for the site's) and the lessons unlocked for them: one query,
    none when anonymous."""
    if not user.is_authenticated:
        return None, "", set()
    if not pacing.is_paced(course):
        found = next(iter(Enrollment.objects.raw(_enrolment_sql(), [user.pk, course.pk])), None)
        return (found.created_at if found else None), "", set()
    rows = Enrollment.objects.of(user).filter(course=course.pk)
    # The enrolment and the unlocks as rows of one UNION: (lesson id, enrolled at, zone).
    enrolment = (
        rows.order_by()
        .annotate(
            lesson=Value(None, output_field=IntegerField()),
            zone=pacing.time_zone_subquery(user),
        )
        .values_list("lesson", "created_at", "zone")
    )
    unlocks = (
        LessonUnlock.objects.order_by()
        .filter(user=user.pk, lesson__section__course=course.pk)
        .values_list(
            "lesson_id",
            Value(None, output_field=DateTimeField()),
            Value("", output_field=CharField()),
        )
    )
    enrolled_at, time_zone, unlocked = None, "", set()
    for lesson_id, created_at, zone in enrolment.union(unlocks, all=True):
        if lesson_id is None:
            enrolled_at, time_zone = created_at, zone or ""
        else:
            unlocked.add(lesson_id)
    return enrolled_at, time_zone, unlocked


def get_learnable_lesson(user, lesson_pk: int) -> Lesson:
    """A lesson whose progress ``user`` may save, with its course and "enrolled?", in one
    query (two in a paced course). 404 if its course is not visible to ``user`` (a draft
    of someone else's); PermissionDenied if it is, but ``user`` does not learn the lesson;
    ``LessonLocked`` (a PermissionDenied saying why) if the lesson is not open to them
    yet (learning.pacing)."""
    current = get_object_or_404(lessons_with_enrollment(user), pk=lesson_pk)
    if not current.section.course.is_visible_to(user):
        raise Http404("No such lesson.")
    if not can_learn(user, current, enrolled=current.enrolled):
        raise PermissionDenied("Enrol in the course to save progress in its lessons.")
    pacing.refuse_if_locked(user, current)  # no query unless the course is paced
    return current


# What a code can be (``new_certificate_code``: URL-safe base64, the column's 32 at most).
# Anything else is no code, and never reaches the database: PostgreSQL refuses a NUL.
CERTIFICATE_CODE = re.compile(r"[A-Za-z0-9_-]{1,32}")


def get_certificate(code: str) -> Certificate:
    """A certificate by its public code (with its course), else 404."""
    if not CERTIFICATE_CODE.fullmatch(code):
        raise Http404("No such certificate.")
    return get_object_or_404(Certificate.objects.select_related("course"), code=code)
