import secrets
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Count, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from catalog.models import Course, Lesson, private_storage
from lms.lib.files import FilesFollowRows
from lms.lib.validators import no_control_characters


def completed_lessons_subquery(*, user_ref="user", course_ref="course"):
    """Completed published lessons of a course for a user, as an annotation subquery."""
    done = (
        LessonProgress.objects.filter(
            user=OuterRef(user_ref),
            lesson__section__course=OuterRef(course_ref),
            lesson__is_published=True,
            completed_at__isnull=False,
        )
        .order_by()
        .values("user")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(done), 0)


def last_activity_subquery():
    latest = (
        LessonProgress.objects.filter(
            user=OuterRef("user"), lesson__section__course=OuterRef("course")
        )
        .order_by("-updated_at")
        .values("updated_at")[:1]
    )
    return Subquery(latest)


def continue_lesson_subquery(*, user=None, course_ref="course"):
    """The lesson "Continue" opens, as an annotation: the published lesson of the course
    the user last worked on, else the course's first published lesson (None without any).

    ``user``: a user's pk, or None for the outer query's ``user`` (enrolment lists).
    """
    course = OuterRef(course_ref)
    last = (
        LessonProgress.objects.filter(
            user=OuterRef("user") if user is None else user,
            lesson__section__course=course,
            lesson__is_published=True,
        )
        .order_by("-updated_at")
        .values("lesson_id")[:1]
    )
    first = (
        Lesson.objects.filter(section__course=course, is_published=True)
        .order_by("section__order", "order")
        .values("pk")[:1]
    )
    return Coalesce(Subquery(last), Subquery(first), output_field=models.BigIntegerField())


def percent(done: int, total: int) -> int:
    """Completed ÷ total as a whole percentage: 0 for an empty course, never above 100."""
    if not total:
        return 0
    return min(100, (done * 100) // total)


class EnrollmentQuerySet(models.QuerySet):
    def of(self, user):
        """``user``'s enrolments: the one definition of "enrolled" (none when anonymous)."""
        return self.filter(user=user.pk)

    def with_progress(self):
        """Annotate ``done`` (completed published lessons) and ``last_activity``."""
        return self.annotate(
            done=completed_lessons_subquery(), last_activity=last_activity_subquery()
        )

    def recent_first(self):
        """*My learning*'s order: the latest activity (or enrolment) first. Needs
        ``with_progress()``."""
        return self.order_by(Coalesce("last_activity", "created_at").desc(), "-created_at", "-pk")


class Enrollment(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments"
    )
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="enrollments")
    created_at = models.DateTimeField(auto_now_add=True)
    price_paid = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("0.00"))
    # Set the first time the course reaches 100 % (the completion moment; certificates).
    completed_at = models.DateTimeField(null=True, blank=True)
    # Completed published lessons, kept in step by learning.services whenever a lesson's
    # completion changes; the dashboard's average progress reads it instead of scanning
    # every progress row. (Pages compute the percentage from the rows themselves.)
    completed_lessons = models.PositiveIntegerField(default=0, editable=False)

    objects = EnrollmentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The dashboard's daily enrolments and completions.
            models.Index(fields=["created_at"], name="learning_enrol_created_idx"),
            models.Index(fields=["completed_at"], name="learning_enrol_done_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "course"], name="learning_enrollment_user_course_uniq"
            ),
            models.CheckConstraint(
                condition=Q(price_paid__gte=0), name="learning_enrollment_price_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.user} in {self.course}"

    @property
    def progress_percent(self) -> int:
        """Needs ``done``: load enrolments with ``with_progress()``."""
        return percent(self.done, self.course.lesson_count)


class LessonProgressQuerySet(models.QuerySet):
    def completed_in(self, *, user, course) -> int:
        return self.filter(
            user=user,
            lesson__section__course=course,
            lesson__is_published=True,
            completed_at__isnull=False,
        ).count()


class LessonProgress(models.Model):
    """One student's progress in one lesson.

    ``watched`` is the union of the parts of the video actually played, as sorted,
    non-overlapping ``[start, end]`` pairs in seconds; skipping ahead adds nothing.
    Progress outlives unenrolment: enrolling again finds it.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_progress"
    )
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="progress")
    position = models.FloatField(default=0, help_text="Where playback was, in seconds.")
    watched = models.JSONField(default=list, blank=True)
    watched_seconds = models.FloatField(default=0)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_manually = models.BooleanField(default=False)
    # Optimistic concurrency: every write is "UPDATE ... WHERE version = the one read"
    # (see learning.services.change_progress), so concurrent reports never lose a segment.
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)
    # The playback credit clock (learning.services.credit_segment): media seconds credited
    # so far, at the fastest playback rate, measured from here. Credit may not run ahead
    # of the wall clock, so forged or replayed bursts of reports earn nothing.
    credit_clock = models.DateTimeField(null=True, blank=True, editable=False)

    objects = LessonProgressQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "lesson progress"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "lesson"], name="learning_lessonprogress_user_lesson_uniq"
            ),
            models.CheckConstraint(
                condition=Q(position__gte=0), name="learning_lessonprogress_position_not_negative"
            ),
        ]
        indexes = [
            # "Continue where you left off": a user's latest progress in a course.
            models.Index(fields=["user", "-updated_at"], name="learning_progress_recent_idx"),
        ]

    def __str__(self):
        return f"{self.user} · {self.lesson}"

    @property
    def is_complete(self) -> bool:
        return self.completed_at is not None


def merge_segment(segments: list[list[float]], start: float, end: float) -> list[list[float]]:
    """The union of ``segments`` and ``[start, end]``, sorted and without overlaps.

    Only overlapping or touching pieces join: a gap, however small, stays unwatched (the
    player starts each report's segment where the previous one ended, so real playback
    leaves none).
    """
    merged: list[list[float]] = []
    for seg_start, seg_end in sorted([*segments, [start, end]]):
        if merged and seg_start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], seg_end)
        else:
            merged.append([seg_start, seg_end])
    return merged


def covered_seconds(segments: list[list[float]]) -> float:
    return sum(end - start for start, end in segments)


def new_certificate_code() -> str:
    """16 URL-safe characters (96 random bits): public, but impossible to guess or list."""
    return secrets.token_urlsafe(12)


class Certificate(FilesFollowRows):
    """Proof that a student completed a course, with the names as they were at issue.

    ``pdf`` is the certificate's PDF, made by a task when it is issued (learning.tasks)
    or at its first download if that comes first; kept in the private storage and
    deleted with the row.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="certificates"
    )
    # Kept if the course is deleted later: the names below still say what was completed.
    course = models.ForeignKey(
        Course, on_delete=models.SET_NULL, null=True, blank=True, related_name="certificates"
    )
    code = models.CharField(
        max_length=32, unique=True, default=new_certificate_code, editable=False
    )
    student_name = models.CharField(max_length=200, validators=[no_control_characters])
    course_title = models.CharField(max_length=200, validators=[no_control_characters])
    instructor_name = models.CharField(max_length=200, validators=[no_control_characters])
    issued_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(
        max_length=300, blank=True, validators=[no_control_characters]
    )
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    pdf = models.FileField(
        "PDF", storage=private_storage, upload_to="certificates", blank=True, editable=False
    )
    # The best score of the course's last quiz, when the course prints it (percent).
    quiz_score = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True, editable=False
    )

    class Meta:
        ordering = ["-issued_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "course"], name="learning_certificate_user_course_uniq"
            )
        ]

    def __str__(self):
        return f"{self.course_title} — {self.student_name} ({self.code})"

    def get_absolute_url(self):
        return reverse("learning:verify_certificate", args=[self.code])

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class ActivityDay(models.Model):
    """A student made progress in a course on a day: one row, however many reports.

    Written by learning.services with the first progress report of the day, so the
    dashboard counts active learners from these rows, not from every progress row.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="activity_days"
    )
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="activity_days")
    day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "course", "day"], name="learning_activityday_uniq"
            )
        ]
        indexes = [
            # The dashboard: active learners within a period.
            models.Index(fields=["day", "user"], name="learning_activity_day_idx"),
        ]

    def __str__(self):
        return f"{self.user} in {self.course} on {self.day}"


class QuizAttemptQuerySet(models.QuerySet):
    def final_score(self, *, user, course: Course) -> Decimal | None:
        """``user``'s best score on ``course``'s last published quiz lesson (curriculum
        order), or None without one or without attempts: one query."""
        last_quiz = (
            Lesson.objects.filter(section__course=course, is_published=True, kind=Lesson.Kind.QUIZ)
            .order_by("-section__order", "-order")
            .values("pk")[:1]
        )
        best = self.filter(user=user, lesson=Subquery(last_quiz)).aggregate(best=Max("score"))
        return best["best"]


class QuizAttempt(models.Model):
    """One submitted attempt at a quiz lesson: what was asked, what was answered, the score.

    ``questions`` is the quiz as this student saw it (in the order shown), with each
    answer's correctness as it was at submission, so the attempt keeps its meaning when
    the quiz is edited later (``quiz_version`` says which version it was).
    ``answers`` maps a question id (a string, as JSON keys are) to the chosen answer ids.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiz_attempts"
    )
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="quiz_attempts")
    number = models.PositiveSmallIntegerField(help_text="1 for the student's first attempt.")
    quiz_version = models.PositiveIntegerField()
    questions = models.JSONField(default=list)
    answers = models.JSONField(default=dict)
    score = models.DecimalField(max_digits=5, decimal_places=2, help_text="Percent.")
    passed = models.BooleanField()
    started_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)

    objects = QuizAttemptQuerySet.as_manager()

    class Meta:
        ordering = ["lesson", "user", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "lesson", "number"], name="learning_quizattempt_number_uniq"
            ),
            models.CheckConstraint(
                condition=Q(score__gte=0, score__lte=100), name="learning_quizattempt_score_range"
            ),
            models.CheckConstraint(
                condition=Q(number__gte=1), name="learning_quizattempt_number_positive"
            ),
        ]
        indexes = [
            # Instructors' statistics: a quiz's attempts, newest first.
            models.Index(fields=["lesson", "-submitted_at"], name="learning_attempt_lesson_idx"),
        ]

    def __str__(self):
        return f"{self.user} · {self.lesson} · attempt {self.number}"

    @property
    def duration_seconds(self) -> int | None:
        """How long the attempt took, from the form's handing out to its submission."""
        if self.started_at is None:
            return None
        return max(0, int((self.submitted_at - self.started_at).total_seconds()))


class LessonUnlock(models.Model):
    """Staff or the course's instructor opened a paced lesson for one student."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_unlocks"
    )
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="unlocks")
    unlocked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "lesson"], name="learning_lessonunlock_uniq")
        ]

    def __str__(self):
        return f"{self.lesson} unlocked for {self.user}"
