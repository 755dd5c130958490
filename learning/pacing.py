"""Pacing: which lessons of a course are open to a student, and when the others open.

A course's ``pacing`` (catalog.Course.Pacing) says how lessons open: free (any order),
sequential (a lesson opens when the published lesson before it is complete) or drip
(each section opens ``Section.opens_after_days`` after enrolment, at midnight in the
student's time zone). The course's instructor and staff see everything; a
``LessonUnlock`` opens one lesson for one student; a completed lesson stays open.
Locks are for enrolled students: a visitor watching a free preview sees it as today.

``locks_for`` is the rule, a pure function of what the player has already loaded.
``lock_of`` answers for one lesson (progress reports, completion, quiz submissions,
video bytes): nothing to ask for a free-paced course, one query for a paced one.
"""

import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from itertools import pairwise

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import DateTimeField, Exists, OuterRef, Q, Subquery
from django.utils import formats, timezone

from accounts.models import Profile
from catalog.models import Course, Lesson
from learning.models import Enrollment, LessonProgress, LessonUnlock


@dataclass(frozen=True)
class Lock:
    """Why a lesson is closed to this student, and when it opens (None: when a condition
    is met, not at a time)."""

    reason: str
    opens_at: datetime | None = None  # drip: local midnight in the student's time zone
    after: Lesson | None = None  # sequential: the lesson to complete first
    zone: str = ""  # drip: the time zone ``opens_at`` is midnight in

    @property
    def label(self) -> str:
        """The short form, beside the lesson in a list: "Opens 5 Dec", "After “Intro”"."""
        if self.opens_at is not None:
            same_year = self.opens_at.year == timezone.now().astimezone(self.opens_at.tzinfo).year
            return "Opens " + formats.date_format(self.opens_at, "j M" if same_year else "j M Y")
        if self.after is not None:
            return f"After “{self.after.title}”"
        return "Locked"


class LessonLocked(PermissionDenied):
    """The viewer may learn the course, but this lesson is not open to them yet."""

    def __init__(self, lock: Lock):
        super().__init__(lock.reason)
        self.lock = lock


def zone(name: str | None) -> tzinfo:
    """The time zone called ``name``; the site's (settings.TIME_ZONE) when blank or
    unknown (a zone a later tzdata dropped must not break the player)."""
    try:
        return zoneinfo.ZoneInfo(name or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def opens_at(*, enrolled_at: datetime, days: int, tz: tzinfo) -> datetime:
    """Midnight in ``tz`` starting the ``days``-th day after the enrolment's local date.

    Where a daylight-saving change skips midnight, the time that does not exist is read
    with the offset before the change: the first instant of that day.
    """
    day = enrolled_at.astimezone(tz).date() + timedelta(days=days)
    return datetime.combine(day, time.min, tzinfo=tz)


def is_paced(course: Course) -> bool:
    return course.pacing != Course.Pacing.FREE


def applies(user, course: Course, *, enrolled: bool) -> bool:
    """Whether locks can apply to ``user`` in ``course``: a paced course, an enrolled
    student, not its instructor nor staff. (No query: ``enrolled`` is known.)"""
    return is_paced(course) and enrolled and not course.is_editable_by(user)


def locks_for(
    *,
    pacing: str,
    lessons: Sequence[Lesson],
    completed_ids: Iterable[int],
    unlocked_ids: Iterable[int] = (),
    enrolled_at: datetime | None,
    tz: tzinfo,
    now: datetime | None = None,
) -> dict[int, Lock]:
    """The closed lessons among ``lessons`` (published, in curriculum order; for drip,
    each with its section loaded), by id, for one enrolled student. The caller has
    checked ``applies``."""
    completed, unlocked = set(completed_ids), set(unlocked_ids)
    open_anyway = completed | unlocked
    locks: dict[int, Lock] = {}
    if pacing == Course.Pacing.SEQUENTIAL:
        for previous, lesson in pairwise(lessons):
            if lesson.pk not in open_anyway and previous.pk not in completed:
                locks[lesson.pk] = Lock(f"Complete “{previous.title}” first.", after=previous)
    elif pacing == Course.Pacing.DRIP and enrolled_at is not None:
        now = now or timezone.now()
        for lesson in lessons:
            days = lesson.section.opens_after_days
            if not days or lesson.pk in open_anyway:
                continue
            when = opens_at(enrolled_at=enrolled_at, days=days, tz=tz)
            if now < when:
                locks[lesson.pk] = Lock(
                    f"Opens on {formats.date_format(when, 'l j F Y')}.",
                    opens_at=when,
                    zone=str(tz),
                )
    return locks


# --- Loading what the rule needs ---------------------------------------------------------
def viewer_annotations(user) -> dict:
    """What pacing needs of the viewer, to ride along in the query that loads the course
    (``get_visible_course(..., **viewer_annotations(user))``): ``viewer_enrolled_at``
    (None when not enrolled) and ``viewer_time_zone`` (their profile's, "" for the
    site's)."""
    return {
        "viewer_enrolled_at": enrolled_at_subquery(user, OuterRef("pk")),
        "viewer_time_zone": time_zone_subquery(user),
    }


def enrolled_at_subquery(user, course) -> Subquery:
    return Subquery(
        Enrollment.objects.of(user).filter(course=course).values("created_at")[:1],
        output_field=DateTimeField(),
    )


def time_zone_subquery(user) -> Subquery:
    return Subquery(Profile.objects.filter(user=user.pk).values("time_zone")[:1])


def unlocked_annotation(user) -> Exists:
    """Annotate lessons with ``unlocked``: has ``user`` a LessonUnlock for it?"""
    return Exists(LessonUnlock.objects.filter(user=user.pk, lesson=OuterRef("pk")))


def lock_of(user, lesson: Lesson, *, now: datetime | None = None) -> Lock | None:
    """``lesson``'s lock for ``user`` (loaded with its section and course), None when it
    is open to them. No query for a free-paced course, its instructor or staff; else one
    (the lesson and the one before it, each with "completed?" and "unlocked?", and the
    viewer's enrolment date and time zone)."""
    course = lesson.section.course
    if not (is_paced(course) and user.is_authenticated and lesson.is_published):
        return None
    if course.is_editable_by(user):
        return None
    section = lesson.section
    done = LessonProgress.objects.filter(
        user=user.pk, lesson=OuterRef("pk"), completed_at__isnull=False
    )
    rows = list(
        Lesson.objects.filter(section__course=course.pk, is_published=True)
        .filter(
            Q(section__order__lt=section.order) | Q(section=section.pk, order__lte=lesson.order)
        )
        .select_related("section")
        .annotate(
            done=Exists(done),
            unlocked=unlocked_annotation(user),
            enrolled_at=enrolled_at_subquery(user, course.pk),
            time_zone=time_zone_subquery(user),
        )
        .order_by("-section__order", "-order")[:2]
    )
    if not rows or rows[0].pk != lesson.pk or rows[0].enrolled_at is None:
        return None  # not enrolled: a free preview, watched as today
    rows.reverse()
    locks = locks_for(
        pacing=course.pacing,
        lessons=rows,
        completed_ids=[row.pk for row in rows if row.done],
        unlocked_ids=[row.pk for row in rows if row.unlocked],
        enrolled_at=rows[-1].enrolled_at,
        tz=zone(rows[-1].time_zone),
        now=now,
    )
    return locks.get(lesson.pk)


def next_lesson(user, lesson: Lesson) -> Lesson | None:
    """The published lesson after ``lesson`` in its course, with its section and course
    and ``done`` (has ``user`` completed it?), in one query; None after the last."""
    section = lesson.section
    done = LessonProgress.objects.filter(
        user=user.pk, lesson=OuterRef("pk"), completed_at__isnull=False
    )
    return (
        Lesson.objects.filter(section__course=section.course_id, is_published=True)
        .filter(Q(section__order__gt=section.order) | Q(section=section.pk, order__gt=lesson.order))
        .select_related("section__course")
        .annotate(done=Exists(done))
        .order_by("section__order", "order")
        .first()
    )


def refuse_if_locked(user, lesson: Lesson) -> None:
    """Raise ``LessonLocked`` (a PermissionDenied saying why) if ``lesson`` is closed to
    ``user``; see ``lock_of`` for its cost."""
    lock = lock_of(user, lesson)
    if lock is not None:
        raise LessonLocked(lock)
