"""Enrolment and progress: the writes that span several models."""

from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from catalog.models import Course, Lesson
from learning.access import get_learnable_lesson
from learning.models import (
    ActivityDay,
    Certificate,
    Enrollment,
    LessonProgress,
    QuizAttempt,
    completed_lessons_subquery,
    covered_seconds,
    merge_segment,
    percent,
)
from learning.tasks import queue_certificate_pdf
from lms.lib.emails import absolute, queue_email

# Watched time is credited at most as fast as real playback can produce it: the media
# seconds credited since the credit clock started may not exceed the wall time since then
# × the fastest speed the player offers, plus a little slack for timers and networks.
MAX_PLAYBACK_RATE = 2.0
CREDIT_SLACK_SECONDS = 2.0
# Wall time that may be banked between reports: segments held back by an outage or by a
# throttled background tab are credited when they arrive, up to this much. Waiting
# longer earns nothing more.
CREDIT_BANK_SECONDS = 120.0
# A lesson's first report has no previous one to measure from: it may cover this much
# wall time (the player reports every 5 s).
FIRST_REPORT_SECONDS = 10.0


class EnrollmentRefused(PermissionDenied):
    pass


def enroll(*, user, course: Course) -> tuple[Enrollment, bool]:
    """Enrol ``user`` in a free, published course. Idempotent and safe under races.

    Returns (enrolment, created). A paid course is refused: it is bought (payments).
    """
    if not course.is_published:
        raise EnrollmentRefused("This course is not open for enrolment.")
    if not course.is_free:
        raise EnrollmentRefused("This course is paid: buy it to enrol.")
    return _enroll(user=user, course=course, price_paid=Decimal("0.00"))


def enroll_paid(*, user, course: Course, price_paid: Decimal) -> tuple[Enrollment, bool]:
    """Enrol ``user`` in a course they have paid for. Only payments calls this, inside the
    transaction that marks their order paid (learning knows nothing of orders)."""
    return _enroll(user=user, course=course, price_paid=price_paid)


def _enroll(*, user, course: Course, price_paid: Decimal) -> tuple[Enrollment, bool]:
    with transaction.atomic():
        # get_or_create settles a double click: the loser of the race gets the row.
        enrollment, created = Enrollment.objects.get_or_create(
            user=user, course=course, defaults={"price_paid": price_paid}
        )
        if created:
            course.change_enrollment_count(+1)
            _recount_completed_lessons(user=user, course=course)  # kept progress counts
            _mark_course_completion(user=user, course=course)  # finished before leaving?
            queue_email(
                template="enrolled",
                to=user.email,
                context={
                    "name": user.profile.public_name,
                    "course": course.title,
                    "course_url": absolute(reverse("learning:continue", args=[course.slug])),
                },
            )
    return enrollment, created


@transaction.atomic
def unenroll(*, user, course: Course) -> bool:
    """Leave a free course. Progress is kept: enrolling again finds it."""
    if not course.is_free:
        raise EnrollmentRefused("Paid enrolments cannot be cancelled here.")
    return _delete_enrollment(Enrollment.objects.filter(user=user, course=course), course)


@transaction.atomic
def remove_enrollment(*, enrollment: Enrollment) -> bool:
    """Staff delete an enrolment in the admin, free or paid; the course's count follows.

    Progress is kept, as when a student leaves. False if it was already gone.
    """
    return _delete_enrollment(Enrollment.objects.filter(pk=enrollment.pk), enrollment.course)


def _delete_enrollment(enrollments, course: Course) -> bool:
    """Delete the one enrolment ``enrollments`` selects and lower ``course``'s count if a
    row really went (of two concurrent deletes, only one finds it)."""
    _, deleted = enrollments.delete()
    if deleted.get(Enrollment._meta.label):
        course.change_enrollment_count(-1)
        return True
    return False


@dataclass
class ProgressResult:
    progress: LessonProgress
    lesson_completed_now: bool = False
    course_completed_now: bool = False
    credited: tuple[float, float] | None = None  # the part of a reported segment counted

    def report(self) -> dict:
        """The answer to a progress report (the player's JSON and the API's)."""
        return {
            "position": self.progress.position,
            "watched_seconds": round(self.progress.watched_seconds, 1),
            # The part of the reported segment that counted: real playback gets all of
            # it; a burst faster than the fastest playback speed only what that allows.
            "credited": self.credited,
            "completed": self.progress.is_complete,
            "completed_now": self.lesson_completed_now,
            "course_completed_now": self.course_completed_now,
        }


class PlaybackReport:
    """One playback report, checked against its lesson: the change it makes to a progress
    row (position, the credited part of its segment, completion). Applied to whatever row
    is current, so a write that lost a race applies it again to the fresh row."""

    def __init__(
        self, *, kind: str, duration, position: float, segment: tuple[float, float] | None
    ):
        """Raises ValidationError (keyed by the field: ``position``, ``start``, ``end``)
        for a lesson without video, or positions or segments outside the video."""
        if kind != Lesson.Kind.VIDEO:
            raise ValidationError({"position": "Only a video lesson reports playback."})
        self.duration = float(duration or 0)
        limit = self.duration + 1  # players report a fraction past the last frame
        if not 0 <= position <= limit:
            raise ValidationError({"position": "The position is outside the video."})
        if segment is not None:
            start, end = segment
            if not 0 <= start <= limit:
                raise ValidationError({"start": "The watched segment is outside the video."})
            if not start <= end:
                raise ValidationError({"end": "The watched segment ends before it starts."})
            if not end <= limit:
                raise ValidationError({"end": "The watched segment is outside the video."})
        self.position, self.segment = position, segment
        self.credited: tuple[float, float] | None = None  # by the last application

    def __call__(self, progress: LessonProgress) -> None:
        duration, segment = self.duration, self.segment
        progress.position = min(self.position, duration)
        self.credited = None
        if segment is not None and min(segment[1], duration) > segment[0]:
            self.credited = credit_segment(
                progress, segment[0], min(segment[1], duration), now=timezone.now()
            )
        if (
            not progress.completed_at
            and duration
            and progress.watched_seconds >= duration * settings.LESSON_COMPLETE_RATIO
        ):
            progress.completed_at = timezone.now()


def record_progress(
    *, user, lesson: Lesson, position: float, segment: tuple[float, float] | None = None
) -> ProgressResult:
    """Save the playback position and add a played segment to the watched union.

    The caller has checked that the user may learn this lesson. Raises ValidationError
    (and saves nothing; keyed by the field: ``position``, ``start``, ``end``) for
    positions or segments outside the video. A segment longer
    than real playback could have produced since the previous one is credited only in
    part (``credit_segment``); ``ProgressResult.credited`` says what was.
    """
    report = PlaybackReport(
        kind=lesson.kind, duration=lesson.duration, position=position, segment=segment
    )
    result = change_progress(user=user, lesson=lesson, change=report)
    result.credited = report.credited
    return result


def report_progress(
    *, user, lesson_pk: int, position: float, segment: tuple[float, float] | None = None
) -> ProgressResult:
    """The heartbeat (the player's report every few seconds, and the app's): may ``user``
    report progress in lesson ``lesson_pk``, then ``record_progress`` — in two round
    trips for nearly every report.

    One query reads what the rules need (``Heartbeat.load``); when it shows a plain case
    (an enrolled student, a published video lesson of a published course that is not
    paced, a progress row already there) and the report neither completes the lesson nor
    is the row's first write of the day, one guarded UPDATE writes it
    (``write_playback``). Anything else takes the general path, as before: the getter
    decides (404, 403, a lock: ``get_learnable_lesson``) and ``record_progress`` writes,
    with its rollups in one transaction; so does a fast write that lost a race.
    """
    heartbeat = Heartbeat.load(user=user, lesson_pk=lesson_pk)
    if heartbeat is not None and heartbeat.plain:
        report = PlaybackReport(
            kind=heartbeat.kind, duration=heartbeat.duration, position=position, segment=segment
        )
        if write_playback(heartbeat.progress, report):
            return ProgressResult(heartbeat.progress, credited=report.credited)
    lesson = get_learnable_lesson(user, lesson_pk)
    return record_progress(user=user, lesson=lesson, position=position, segment=segment)


# The progress columns the heartbeat reads, in Heartbeat.SQL's order (all but user and
# lesson, which it knows).
HEARTBEAT_PROGRESS = [
    "id",
    "position",
    "watched",
    "watched_seconds",
    "completed_at",
    "completed_manually",
    "version",
    "updated_at",
    "credit_clock",
]


@dataclass
class Heartbeat:
    """What a progress report needs to know, read in one query."""

    kind: str
    duration: int
    lesson_published: bool
    course_status: str
    pacing: str
    enrolled: bool
    progress: LessonProgress | None  # the reporter's row; None before their first report

    # Written out rather than built by the ORM: the heartbeat is the platform's most
    # frequent request, and compiling this query costs several times running it. The
    # columns are read back through the model's own converters (``_progress_from_db``).
    SQL = """
        SELECT lesson.kind, lesson.duration, lesson.is_published, course.status,
               course.pacing,
               EXISTS (SELECT 1 FROM learning_enrollment enrollment
                        WHERE enrollment.user_id = %s AND enrollment.course_id = course.id),
               progress.id, progress.position, progress.watched, progress.watched_seconds,
               progress.completed_at, progress.completed_manually, progress.version,
               progress.updated_at, progress.credit_clock
          FROM catalog_lesson lesson
          JOIN catalog_section section ON section.id = lesson.section_id
          JOIN catalog_course course ON course.id = section.course_id
          LEFT JOIN learning_lessonprogress progress
            ON progress.lesson_id = lesson.id AND progress.user_id = %s
         WHERE lesson.id = %s
    """

    @classmethod
    def load(cls, *, user, lesson_pk: int) -> "Heartbeat | None":
        """None when there is no such lesson (or no user): the general path says so."""
        low, high = connection.ops.integer_field_range("BigAutoField")
        if user.pk is None or not low <= lesson_pk <= high:
            return None  # (an id no row can have: the getter's 404)
        with connection.cursor() as cursor:
            cursor.execute(cls.SQL, [user.pk, user.pk, lesson_pk])
            row = cursor.fetchone()
        if row is None:
            return None
        kind, duration, published, status, pacing, enrolled, *progress = row
        return cls(
            kind=kind,
            duration=duration,
            lesson_published=bool(published),
            course_status=status,
            pacing=pacing,
            enrolled=bool(enrolled),
            progress=_progress_from_db(progress, user=user, lesson_pk=lesson_pk)
            if progress[0] is not None
            else None,
        )

    @property
    def plain(self) -> bool:
        """The rules of ``get_learnable_lesson`` say yes without asking more: a published
        course (visible to all), a published lesson, enrolled (``can_learn``), free pacing
        (no lock); and the row exists (a first report also records the day's activity)."""
        return (
            self.enrolled
            and self.lesson_published
            and self.course_status == Course.Status.PUBLISHED
            and self.pacing == Course.Pacing.FREE
            and self.progress is not None
        )


def _progress_from_db(values: list, *, user, lesson_pk: int) -> LessonProgress:
    """A LessonProgress from the heartbeat's columns, each through the converters the ORM
    applies (SQLite's datetimes are text, JSON is text on both databases)."""
    meta = LessonProgress._meta
    converted = []
    for name, value in zip(HEARTBEAT_PROGRESS, values, strict=True):
        column = meta.get_field(name).get_col(meta.db_table)
        for converter in connection.ops.get_db_converters(column) + column.get_db_converters(
            connection
        ):
            value = converter(value, column, connection)
        converted.append(value)
    progress = LessonProgress.from_db(connection.alias, HEARTBEAT_PROGRESS, converted)
    progress.user_id, progress.lesson_id = user.pk, lesson_pk
    return progress


# What a playback report may change on its own (a completion goes through
# change_progress), in PLAYBACK_UPDATE's order; version and updated_at move with every write.
PLAYBACK_FIELDS = ["position", "watched", "watched_seconds", "credit_clock"]
PLAYBACK_UPDATE = """
    UPDATE learning_lessonprogress
       SET position = %s, watched = %s, watched_seconds = %s, credit_clock = %s,
           version = version + 1, updated_at = %s
     WHERE id = %s AND version = %s
"""


def write_playback(progress: LessonProgress, report: PlaybackReport) -> bool:
    """Apply ``report`` to ``progress`` (as read) and write it in one guarded UPDATE, in
    autocommit: no transaction, no savepoint, one round trip. False, with nothing
    written, when the report needs more (it completes the lesson, or it is the row's
    first write of the day: rollups in a transaction) or someone wrote the row since it
    was read: the caller takes ``change_progress``'s path, which reads again."""
    was_complete, last_written = progress.is_complete, progress.updated_at
    report(progress)
    now = timezone.now()
    if progress.is_complete != was_complete or _new_day(progress, last_written, now):
        return False
    meta = LessonProgress._meta
    values = [
        meta.get_field(name).get_db_prep_save(getattr(progress, name), connection)
        for name in PLAYBACK_FIELDS
    ]
    updated_at = meta.get_field("updated_at").get_db_prep_save(now, connection)
    with connection.cursor() as cursor:
        cursor.execute(PLAYBACK_UPDATE, [*values, updated_at, progress.pk, progress.version])
        if cursor.rowcount != 1:
            return False
    progress.version += 1
    progress.updated_at = now
    return True


def _new_day(progress: LessonProgress, last_written: datetime, now: datetime) -> bool:
    """The row's first write, or its first of the day: the day's activity is recorded."""
    return progress.version == 0 or timezone.localdate(last_written) != timezone.localdate(now)


def credit_segment(
    progress: LessonProgress, start: float, end: float, *, now: datetime
) -> tuple[float, float]:
    """Add what real playback could have covered of ``[start, end]`` to the watched union.

    The credit clock stands where the media seconds credited so far, played at
    MAX_PLAYBACK_RATE, would have begun; a report may credit what the wall time since
    then allows (plus CREDIT_SLACK_SECONDS, once, not per report), with at most
    CREDIT_BANK_SECONDS of idle time counted. Only newly covered seconds spend credit:
    replaying a part already watched costs nothing and adds nothing. Returns the part
    of the segment that was credited (possibly empty: ``start == end``).
    """
    first = now - timedelta(seconds=FIRST_REPORT_SECONDS)
    clock = max(progress.credit_clock or first, now - timedelta(seconds=CREDIT_BANK_SECONDS))
    allowance = (now - clock).total_seconds() * MAX_PLAYBACK_RATE + CREDIT_SLACK_SECONDS
    end = min(end, start + max(0.0, allowance))
    before = progress.watched_seconds
    if end > start:
        progress.watched = merge_segment(progress.watched, start, end)
        progress.watched_seconds = covered_seconds(progress.watched)
    gained = progress.watched_seconds - before
    progress.credit_clock = clock + timedelta(seconds=gained / MAX_PLAYBACK_RATE)
    return (start, max(start, end))


def set_completed(*, user, lesson: Lesson, completed: bool) -> ProgressResult:
    """The "mark complete" button and its undo (videos and articles: a quiz completes
    when it is passed, learning.quizzes)."""
    if lesson.kind == Lesson.Kind.QUIZ:
        raise ValidationError("A quiz is completed by passing it.")

    def change(progress: LessonProgress) -> None:
        if completed and not progress.completed_at:
            progress.completed_at = timezone.now()
            progress.completed_manually = True
        elif not completed:
            progress.completed_at = None
            progress.completed_manually = False

    return change_progress(user=user, lesson=lesson, change=change)


PROGRESS_FIELDS = [
    "position",
    "watched",
    "watched_seconds",
    "completed_at",
    "completed_manually",
    "credit_clock",
]


def change_progress(*, user, lesson: Lesson, change, attempts: int = 20) -> ProgressResult:
    """Apply ``change`` to the user's progress row with optimistic concurrency.

    Read the row, change it in Python, write it only if nobody wrote since (the version
    still matches); otherwise read again and redo. No lock is held between requests, and
    a position update costs two queries. A write that also touches other rows (the first
    activity of a day, a completion that changes the enrolment's rollup or completes the
    course) happens in one transaction with them.
    """
    course = lesson.section.course
    for _ in range(attempts):
        progress = _progress_row(user=user, lesson=lesson)
        was_complete, last_written = progress.is_complete, progress.updated_at
        change(progress)
        now = timezone.now()
        new_day = _new_day(progress, last_written, now)
        completion_changed = progress.is_complete != was_complete
        with transaction.atomic() if new_day or completion_changed else nullcontext():
            written = LessonProgress.objects.filter(
                pk=progress.pk, version=progress.version
            ).update(
                **{field: getattr(progress, field) for field in PROGRESS_FIELDS},
                version=F("version") + 1,
                updated_at=now,
            )
            if not written:
                continue  # someone wrote first: read their row and apply the change again
            progress.version += 1
            progress.updated_at = now
            if new_day:
                _record_activity(user=user, course=course, day=timezone.localdate(now))
            completed_now = completion_changed and progress.is_complete
            if completion_changed:
                _recount_completed_lessons(user=user, course=course, lock=True)
            course_done = completed_now and _mark_course_completion(user=user, course=course)
            return ProgressResult(progress, completed_now, course_done)
    raise RuntimeError("Progress kept changing under us; giving up.")  # pragma: no cover


def _record_activity(*, user, course: Course, day) -> None:
    """The first write of a day marks the student active in the course that day."""
    ActivityDay.objects.bulk_create(
        [ActivityDay(user=user, course=course, day=day)], ignore_conflicts=True
    )


@transaction.atomic
def delete_progress(*, progress: LessonProgress) -> None:
    """Staff delete a progress row in the admin; the enrolment's rollup follows."""
    course = progress.lesson.section.course
    LessonProgress.objects.filter(pk=progress.pk).delete()
    _recount_completed_lessons(user=progress.user, course=course)


def _recount_completed_lessons(*, user, course: Course, lock: bool = False) -> None:
    """Keep Enrollment.completed_lessons equal to the completed published lessons.

    ``lock``: take the enrolment's row lock before counting (inside the caller's
    transaction). Two tabs completing two lessons at once then count one after the
    other, and the second count sees the first one's row: neither overwrites the other
    with a stale number.
    """
    enrollment = Enrollment.objects.of(user).filter(course=course)
    if lock and not enrollment.select_for_update().values_list("pk", flat=True).first():
        return  # not enrolled: nothing to keep in step
    done = LessonProgress.objects.completed_in(user=user, course=course)
    enrollment.update(completed_lessons=done)


def follow_lesson_changes(sender, course_ids, **kwargs) -> None:
    """catalog.signals.lessons_changed receiver: the lessons that count in these courses
    changed (moved, unpublished, deleted; the counts are already recounted).

    Every enrolment's completed-lesson rollup is recounted from the rows, and a student
    the change took to 100 % completes the course now (certificate and email), as if
    they had finished the last lesson. A completion already recorded stays when a course
    grows, as when lessons are added.
    """
    enrollments = Enrollment.objects.filter(course__in=course_ids)
    enrollments.update(completed_lessons=completed_lessons_subquery())
    reached = enrollments.filter(
        completed_at__isnull=True,
        course__lesson_count__gt=0,
        completed_lessons__gte=F("course__lesson_count"),
    ).select_related("user__profile", "course")
    for enrollment in reached:
        _mark_course_completion(user=enrollment.user, course=enrollment.course)


def _progress_row(*, user, lesson: Lesson) -> LessonProgress:
    """Get or create (a concurrent first report may create it: get_or_create retries)."""
    return LessonProgress.objects.get_or_create(user=user, lesson=lesson)[0]


@transaction.atomic
def _mark_course_completion(*, user, course: Course) -> bool:
    """Record the first time the course reaches 100 % and issue the certificate.

    The conditional UPDATE lets exactly one of two concurrent completions through;
    the certificate's unique constraint backs that up. True if the course completed now.

    A student who completed the course, left it and enrolled again has completed it
    already: the new enrolment records that completion (at the certificate's date), with
    no second certificate or email, so the dashboard counts it.
    """
    course.refresh_from_db(fields=["lesson_count"])
    done = LessonProgress.objects.completed_in(user=user, course=course)
    if percent(done, course.lesson_count) < 100:
        return False
    earlier = (
        Certificate.objects.filter(user=user, course=course)
        .values_list("issued_at", flat=True)
        .first()
    )
    updated = Enrollment.objects.filter(user=user, course=course, completed_at__isnull=True).update(
        completed_at=earlier or timezone.now()
    )
    if earlier is not None:
        return False  # completed before: recorded again, not celebrated again
    if updated:
        certificate = issue_certificate(user=user, course=course)
        queue_email(
            template="course_completed",
            to=user.email,
            context={
                "name": user.profile.public_name,
                "course": course.title,
                "certificate_url": absolute(certificate.get_absolute_url()),
                "my_learning_url": absolute(reverse("learning:my_learning")),
            },
        )
    return bool(updated)


def issue_certificate(*, user, course: Course) -> Certificate:
    """The user's certificate for ``course``, issued once whatever the concurrency; with
    the best score of the course's last quiz when the course prints it."""
    course = Course.objects.select_related("instructor__profile").get(pk=course.pk)
    certificate, created = Certificate.objects.get_or_create(  # concurrent completions: one wins
        user=user,
        course=course,
        defaults={
            "student_name": user.get_full_name() or user.profile.public_name,
            "course_title": course.title,
            "instructor_name": course.instructor.profile.public_name,
            "quiz_score": QuizAttempt.objects.final_score(user=user, course=course)
            if course.certificate_shows_quiz_score
            else None,
        },
    )
    if created:
        queue_certificate_pdf(certificate)  # drawn by a worker once this commits
    return certificate


def revoke_certificate(*, certificate: Certificate, by, reason: str) -> bool:
    if not by.is_platform_staff:
        raise PermissionDenied("Only staff can revoke certificates.")
    updated = Certificate.objects.filter(pk=certificate.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason, revoked_by=by
    )
    return bool(updated)


def release_enrollments_of_deleted_user(sender, instance, **kwargs) -> None:
    """pre_delete receiver for users: their enrolments go by cascade, so lower the counts.

    Runs inside the deletion's transaction, like the cascade itself.
    """
    courses = Enrollment.objects.filter(user=instance).values("course")
    Course.objects.filter(pk__in=courses).update(enrollment_count=F("enrollment_count") - 1)
