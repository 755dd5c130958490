from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Case, Q, Value, When

from catalog.models import Course
from lms.lib.validators import no_control_characters


class ReviewQuerySet(models.QuerySet):
    def visible(self):
        return self.filter(is_hidden=False)

    def shown_to(self, viewer):
        """The reviews a course page shows ``viewer``: visible ones, and their own even when
        staff hid it (so they see why). Staff see hidden reviews in the admin, not here.

        The one rule for both the page and the actions on a review (vote, report, reply,
        delete), so no one acts on a review they cannot see.
        """
        if viewer is not None and viewer.is_authenticated:
            return self.filter(Q(is_hidden=False) | Q(user=viewer))
        return self.visible()

    def for_page(self, *, viewer=None, sort: str = "newest"):
        """The reviews shown to ``viewer`` with their authors, the viewer's own first."""
        ordering = (
            ["-helpful_count", "-created_at", "-pk"]
            if sort == "helpful"
            else ["-created_at", "-pk"]
        )
        queryset = self.shown_to(viewer).select_related("user__profile")
        if viewer is not None and viewer.is_authenticated:
            queryset = queryset.annotate(
                mine=Case(When(user=viewer, then=Value(0)), default=Value(1))
            )
            return queryset.order_by("mine", *ordering)
        return queryset.order_by(*ordering)


class Review(models.Model):
    """One student's rating (1–5) and optional text for one course."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews"
    )
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="reviews")
    rating = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    text = models.TextField(max_length=3000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Moderation: hidden reviews leave the public page and the course average.
    is_hidden = models.BooleanField("hidden", default=False)
    hidden_reason = models.CharField(max_length=300, blank=True, validators=[no_control_characters])
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    hidden_at = models.DateTimeField(null=True, blank=True)
    report_count = models.PositiveIntegerField(default=0)
    helpful_count = models.PositiveIntegerField(default=0)

    # The course instructor's one public reply.
    reply = models.TextField(max_length=3000, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)

    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "course"], name="reviews_review_user_course_uniq"
            ),
            models.CheckConstraint(
                condition=Q(rating__gte=1, rating__lte=5), name="reviews_review_rating_1_to_5"
            ),
        ]
        indexes = [
            # The course page's list: a course's visible reviews, newest first.
            models.Index(
                fields=["course", "is_hidden", "-created_at"], name="reviews_course_recent_idx"
            ),
            # The moderation list: most reported first.
            models.Index(fields=["-report_count"], name="reviews_reported_idx"),
        ]

    def __str__(self):
        return f"{self.rating}★ by {self.user} on {self.course}"


class ReviewReport(models.Model):
    """Someone flagged a review as abusive. Once per person and review."""

    class Reason(models.TextChoices):
        SPAM = "spam", "Spam or advertising"
        ABUSE = "abuse", "Offensive or abusive"
        OFF_TOPIC = "off_topic", "Not about the course"
        PERSONAL = "personal", "Shares personal information"
        OTHER = "other", "Something else"

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="reports")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_reports"
    )
    reason = models.CharField(max_length=16, choices=Reason)
    details = models.CharField(max_length=500, blank=True, validators=[no_control_characters])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["review", "user"], name="reviews_report_review_user_uniq"
            )
        ]

    def __str__(self):
        return f"{self.get_reason_display()} — {self.review}"


class HelpfulVote(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="helpful_votes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="helpful_votes"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["review", "user"], name="reviews_helpful_review_user_uniq"
            )
        ]

    def __str__(self):
        return f"{self.user} found {self.review} helpful"
