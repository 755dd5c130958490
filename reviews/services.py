"""Reviews: every change recomputes the course's rating in the same transaction."""

from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, F, Q
from django.utils import timezone

from catalog.models import Course
from learning.access import is_enrolled
from reviews.models import HelpfulVote, Review, ReviewReport


class ReviewRefused(PermissionDenied):
    pass


def rating_summary(course: Course) -> dict:
    """Mean, count and 1–5 histogram of the course's visible reviews, from the rows."""
    stats = Review.objects.filter(course=course, is_hidden=False).aggregate(
        average=Avg("rating"),
        count=Count("pk"),
        **{f"s{n}": Count("pk", filter=Q(rating=n)) for n in range(1, 6)},
    )
    average = Decimal(str(stats["average"] or 0)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return {
        "average": average,
        "count": stats["count"],
        "histogram": [stats[f"s{n}"] for n in range(1, 6)],
    }


def _lock_course(course: Course) -> Course:
    """Serialise rating changes per course: the recount then sees every committed review."""
    return Course.objects.select_for_update().get(pk=course.pk)


def refresh_course_rating(course: Course) -> None:
    summary = rating_summary(course)
    course.set_rating(
        average=summary["average"], count=summary["count"], histogram=summary["histogram"]
    )


def review_refusal(user, course: Course, *, enrolled: bool | None = None) -> str | None:
    """Why ``user`` may not review ``course``, or None when they may: enrolled students
    other than its instructor. The course page's form, the API and ``save_review`` ask here.

    Pass ``enrolled`` when the caller already knows it (saves a query).
    """
    if not (is_enrolled(user, course) if enrolled is None else enrolled):
        return "Only students enrolled in this course can review it."
    if course.instructor_id == user.pk:
        return "You cannot review your own course."
    return None


def save_review(*, user, course: Course, rating: int, text: str = "") -> tuple[Review, bool]:
    """Create the user's review of ``course``, or edit it: one per student and course.

    Only enrolled students may review. Returns (review, created).
    """
    refusal = review_refusal(user, course)
    if refusal:
        raise ReviewRefused(refusal)
    if not 1 <= int(rating) <= 5:
        raise ValidationError("Choose a rating from 1 to 5 stars.")
    with transaction.atomic():
        course = _lock_course(course)  # a second submit waits here, then edits
        review, created = Review.objects.update_or_create(
            user=user, course=course, defaults={"rating": rating, "text": text}
        )
        refresh_course_rating(course)
    return review, created


@transaction.atomic
def delete_review(*, review: Review) -> None:
    course = _lock_course(review.course)
    review.delete()
    refresh_course_rating(course)


@transaction.atomic
def set_hidden(*, review: Review, hidden: bool, by, reason: str = "") -> bool:
    """Staff hide (with a reason) or unhide a review. Returns False if nothing changed."""
    if not by.can_moderate:
        raise ReviewRefused("Only staff can moderate reviews.")
    course = _lock_course(review.course)
    review = Review.objects.select_for_update().get(pk=review.pk)
    if review.is_hidden == hidden and (not hidden or review.hidden_reason == reason):
        return False
    review.is_hidden = hidden
    review.hidden_reason = reason if hidden else ""
    review.hidden_by = by if hidden else None
    review.hidden_at = timezone.now() if hidden else None
    review.save(update_fields=["is_hidden", "hidden_reason", "hidden_by", "hidden_at"])
    refresh_course_rating(course)
    return True


def report_review(*, review: Review, user, reason: str, details: str = "") -> bool:
    """Flag a review once. Returns False when this person had already reported it."""
    if review.user_id == user.pk:
        raise ReviewRefused("You cannot report your own review.")
    try:
        with transaction.atomic():
            ReviewReport.objects.create(review=review, user=user, reason=reason, details=details)
            Review.objects.filter(pk=review.pk).update(report_count=F("report_count") + 1)
    except IntegrityError:
        return False
    return True


@transaction.atomic
def delete_report(*, report: ReviewReport) -> bool:
    """Staff dismiss a report in the admin; the review's report count follows.

    False if it was already gone (of two concurrent deletes, one lowers the count).
    """
    deleted, _ = ReviewReport.objects.filter(pk=report.pk).delete()
    if deleted:
        Review.objects.filter(pk=report.review_id).update(report_count=F("report_count") - 1)
    return bool(deleted)


def _check_voter(review: Review, user) -> None:
    if review.user_id == user.pk:
        raise ReviewRefused("You cannot vote on your own review.")


def _add_vote(review: Review, user) -> None:
    """Count ``user``'s mark once (inside the caller's transaction)."""
    try:
        with transaction.atomic():
            HelpfulVote.objects.create(review=review, user=user)
    except IntegrityError:  # a double click or a concurrent request already counted it
        return
    Review.objects.filter(pk=review.pk).update(helpful_count=F("helpful_count") + 1)


def _remove_vote(review: Review, user) -> bool:
    """Take ``user``'s mark back; False if there was none (inside the caller's transaction)."""
    deleted, _ = HelpfulVote.objects.filter(review=review, user=user).delete()
    if deleted:
        Review.objects.filter(pk=review.pk).update(helpful_count=F("helpful_count") - 1)
    return bool(deleted)


def toggle_helpful(*, review: Review, user) -> bool:
    """Mark a review helpful, or take the mark back (the page's button). Returns whether
    it is marked now."""
    _check_voter(review, user)
    with transaction.atomic():
        if _remove_vote(review, user):
            return False
        _add_vote(review, user)
    return True


def set_helpful(*, review: Review, user, helpful: bool) -> None:
    """Mark a review helpful or take the mark back, whatever it was (the API's PUT-like
    POST and DELETE): a repeated request changes nothing and counts once."""
    _check_voter(review, user)
    with transaction.atomic():
        if helpful:
            _add_vote(review, user)
        else:
            _remove_vote(review, user)


def save_reply(*, review: Review, user, text: str) -> None:
    """The course instructor's one public reply (editing replaces it; empty removes it)."""
    if review.course.instructor_id != user.pk:
        raise ReviewRefused("Only the course's instructor can reply to its reviews.")
    review.reply = text
    review.replied_at = timezone.now() if text else None
    review.save(update_fields=["reply", "replied_at"])


def recompute_all_ratings(*, fix: bool) -> list[tuple[Course, dict, dict]]:
    """Compare every course's stored rating with its reviews; fix drift when asked.

    Returns the drifted courses as (course, stored, actual).
    """
    drift = []
    for course in Course.objects.order_by("pk").iterator():
        actual = rating_summary(course)
        stored = {
            "average": Decimal(course.rating_avg).quantize(Decimal("0.01")),
            "count": course.rating_count,
            "histogram": course.rating_histogram or [0] * 5,
        }
        if stored != actual:
            drift.append((course, stored, actual))
            if fix:
                with transaction.atomic():
                    refresh_course_rating(_lock_course(course))
    return drift


def before_user_deleted(sender, instance, **kwargs) -> None:
    """pre_delete receiver for users: their votes, reports and reviews go by cascade.

    Lower the counters their votes and reports added, and remember which courses they
    reviewed so ``after_user_deleted`` can recompute those ratings once the rows are gone.
    """
    voted = HelpfulVote.objects.filter(user=instance).values("review")
    Review.objects.filter(pk__in=voted).update(helpful_count=F("helpful_count") - 1)
    reported = ReviewReport.objects.filter(user=instance).values("review")
    Review.objects.filter(pk__in=reported).update(report_count=F("report_count") - 1)
    instance._reviewed_course_ids = list(
        Review.objects.filter(user=instance).values_list("course_id", flat=True)
    )


def after_user_deleted(sender, instance, **kwargs) -> None:
    for course in Course.objects.filter(pk__in=getattr(instance, "_reviewed_course_ids", [])):
        refresh_course_rating(_lock_course(course))
