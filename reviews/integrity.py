"""Integrity checks for the reviews' summary fields (see lms.lib.integrity)."""

from django.db.models import Count, F

from lms.lib.integrity import Drift, integrity_check
from reviews.models import Review
from reviews.services import recompute_all_ratings


@integrity_check("ratings")
def check_ratings(*, fix: bool, **options) -> list[Drift]:
    """Each course's rating average, count and histogram against its visible reviews."""
    return [
        Drift("ratings", f"course {course.pk} ({course.slug})", stored, actual)
        for course, stored, actual in recompute_all_ratings(fix=fix)
    ]


def _count_check(name: str, field: str, related: str):
    @integrity_check(name)
    def check(*, fix: bool, **options) -> list[Drift]:
        drifted = list(
            Review.objects.annotate(n=Count(related, distinct=True))
            .exclude(**{field: F("n")})
            .order_by("pk")
        )
        if fix:
            for review in drifted:
                Review.objects.filter(pk=review.pk).update(**{field: review.n})
        return [Drift(name, f"review {r.pk}", getattr(r, field), r.n) for r in drifted]

    return check


check_helpful_counts = _count_check("helpful counts", "helpful_count", "helpful_votes")
check_report_counts = _count_check("report counts", "report_count", "reports")
