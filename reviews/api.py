"""Reviews endpoints of the JSON API (lms/api.py mounts this router at /api/v1/).

The course page's reviews, a student's own review, helpful marks, reports and the
instructor's reply: the same getters (``reviews.access``), forms and services as the web
views, so who may do what, the limits and the messages are the web's. A service's
refusal (``ReviewRefused``, a ``PermissionDenied``) is a 403 with its sentence.
"""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Query, Router, Schema, Status
from pydantic import BeforeValidator

from catalog.access import get_visible_course
from lms.lib.api import (
    Input,
    OneLineText,
    PageQuery,
    PlainText,
    Problem,
    cleaned_or_422,
    optional_token_auth,
    paginate,
    token_auth,
)
from reviews import services
from reviews.access import SORTS, course_review_rows, get_own_review, get_review
from reviews.forms import ReplyForm, ReportForm, ReviewForm
from reviews.models import HelpfulVote, Review, ReviewReport

router = Router(tags=["Reviews"], auth=token_auth)

TEXT_MAX = ReviewForm.base_fields["text"].max_length
REPLY_MAX = ReplyForm.base_fields["reply"].max_length
DETAILS_MAX = ReportForm.base_fields["details"].max_length


# --- Schemas ----------------------------------------------------------------------------
class AuthorOut(Schema):
    name: str = Field(description="The name the author shows on reviews.")


class ReplyOut(Schema):
    text: str
    replied_at: datetime | None


class ReviewOut(Schema):
    id: int
    rating: int = Field(ge=1, le=5)
    text: str = Field(description="Plain text as written (not HTML): escape it to display.")
    author: AuthorOut
    created_at: datetime
    updated_at: datetime
    is_mine: bool = Field(description="Written by the caller.")
    is_hidden: bool = Field(
        description="Staff hid it: only ever true on the caller's own review, which then "
        "shows to no one else and does not count in the rating."
    )
    hidden_reason: str = Field(description="Why staff hid it (the caller's own review only).")
    helpful_count: int
    marked_helpful: bool = Field(description="The caller marked it helpful.")
    reply: ReplyOut | None = Field(description="The course instructor's public reply.")


class RatingOut(Schema):
    average: Decimal = Field(description="Mean of the visible reviews' ratings, 0 if none.")
    count: int
    histogram: list[int] = Field(description="Counts of 1 to 5 stars.")


class ReviewPage(Schema):
    count: int
    page: int
    pages: int
    rating: RatingOut
    can_review: bool = Field(
        description="The caller may write a review (enrolled, not the course's instructor)."
    )
    results: list[ReviewOut]


class ReviewQuery(PageQuery):
    sort: Literal[tuple(SORTS)] = Field(  # type: ignore[valid-type]
        "newest", description="`newest` first, or most `helpful` first."
    )


def _a_number(value):
    """A rating is a JSON number: ``"5"`` or ``true`` is refused, not read as 5 or 1."""
    if isinstance(value, str | bool):
        raise ValueError("Send the rating as a whole number from 1 to 5.")
    return value


class ReviewIn(Input):
    rating: Annotated[int, BeforeValidator(_a_number)] = Field(
        ge=1, le=5, description="1 to 5 stars."
    )
    text: PlainText = Field("", max_length=TEXT_MAX, description="Optional plain text.")


class ReportIn(Input):
    reason: Literal[tuple(ReviewReport.Reason.values)]  # type: ignore[valid-type]
    details: OneLineText = Field("", max_length=DETAILS_MAX, description="Optional, one line.")


class ReplyIn(Input):
    text: PlainText = Field(
        max_length=REPLY_MAX, description="The public reply; empty removes it (as DELETE)."
    )


class HelpfulOut(Schema):
    marked_helpful: bool
    helpful_count: int


class MessageOut(Schema):
    detail: str


# --- Helpers ----------------------------------------------------------------------------
def review_out(request, review: Review) -> dict:
    """A review as the caller sees it (``course_review_rows`` has loaded what it reads)."""
    user = request.user
    mine = user.is_authenticated and review.user_id == user.pk
    marked = getattr(review, "marked_helpful", None)
    if marked is None:  # a single review loaded without the annotation
        marked = bool(
            user.is_authenticated
            and not mine
            and HelpfulVote.objects.filter(review=review, user=user).exists()
        )
    return {
        "id": review.pk,
        "rating": review.rating,
        "text": review.text,
        "author": {"name": review.user.profile.public_name},
        "created_at": review.created_at,
        "updated_at": review.updated_at,
        "is_mine": mine,
        "is_hidden": review.is_hidden,
        "hidden_reason": review.hidden_reason if mine else "",
        "helpful_count": review.helpful_count,
        "marked_helpful": marked,
        "reply": {"text": review.reply, "replied_at": review.replied_at} if review.reply else None,
    }


# --- The course's reviews -----------------------------------------------------------------
@router.get(
    "/courses/{slug}/reviews",
    auth=optional_token_auth,
    response={200: ReviewPage, 401: Problem, 404: Problem, 422: Problem},
    operation_id="list_course_reviews",
)
def list_course_reviews(request, slug: str, query: Query[ReviewQuery]):
    """The reviews the course page shows the caller (the caller's own first, also when
    staff hid it), newest or most helpful first, with the course's rating."""
    course = get_visible_course(request.user, slug)
    rows = course_review_rows(request.user, course, sort=query.sort)
    page = paginate(rows, query, lambda review: review_out(request, review))
    return {
        **page,
        "rating": {
            "average": course.rating_avg,
            "count": course.rating_count,
            "histogram": list(course.rating_histogram or [0] * 5),
        },
        "can_review": request.user.is_authenticated
        and services.review_refusal(request.user, course) is None,
    }


@router.get(
    "/courses/{slug}/reviews/mine",
    response={200: ReviewOut, 401: Problem, 404: Problem},
    operation_id="get_my_review",
)
def get_my_review(request, slug: str):
    """The caller's review of the course (404 if they have not written one)."""
    course = get_visible_course(request.user, slug)
    return review_out(request, get_own_review(request.user, course))


@router.put(
    "/courses/{slug}/reviews/mine",
    response={
        200: ReviewOut,
        201: ReviewOut,
        401: Problem,
        403: Problem,
        404: Problem,
        422: Problem,
    },
    operation_id="save_my_review",
)
def save_my_review(request, slug: str, payload: ReviewIn):
    """Write or edit the caller's review (one per student and course): enrolled students
    other than the course's instructor. 201 when it was created, 200 when edited."""
    course = get_visible_course(request.user, slug)
    data = cleaned_or_422(ReviewForm({"rating": str(payload.rating), "text": payload.text}))
    review, created = services.save_review(
        user=request.user, course=course, rating=data["rating"], text=data["text"]
    )
    return Status(201 if created else 200, review_out(request, review))


@router.delete(
    "/courses/{slug}/reviews/mine",
    response={204: None, 401: Problem, 404: Problem},
    operation_id="delete_my_review",
)
def delete_my_review(request, slug: str):
    """Delete the caller's review; the course's rating follows."""
    course = get_visible_course(request.user, slug)
    services.delete_review(review=get_own_review(request.user, course))
    return Status(204, None)


# --- Acting on a review -----------------------------------------------------------------
def _helpful(request, review_id: int, *, helpful: bool) -> dict:
    review = get_review(request.user, review_id)
    services.set_helpful(review=review, user=request.user, helpful=helpful)
    review.refresh_from_db(fields=["helpful_count"])
    return {"marked_helpful": helpful, "helpful_count": review.helpful_count}


@router.post(
    "/reviews/{review_id}/helpful",
    response={200: HelpfulOut, 401: Problem, 403: Problem, 404: Problem, 422: Problem},
    operation_id="mark_review_helpful",
)
def mark_review_helpful(request, review_id: int):
    """Mark a review helpful (not your own). Marking it again changes nothing."""
    return _helpful(request, review_id, helpful=True)


@router.delete(
    "/reviews/{review_id}/helpful",
    response={200: HelpfulOut, 401: Problem, 403: Problem, 404: Problem, 422: Problem},
    operation_id="unmark_review_helpful",
)
def unmark_review_helpful(request, review_id: int):
    """Take the caller's helpful mark back (nothing to take back changes nothing)."""
    return _helpful(request, review_id, helpful=False)


@router.post(
    "/reviews/{review_id}/reports",
    response={
        200: MessageOut,
        201: MessageOut,
        401: Problem,
        403: Problem,
        404: Problem,
        422: Problem,
    },
    operation_id="report_review",
)
def report_review(request, review_id: int, payload: ReportIn):
    """Ask staff to look at a review (not your own), once: 201 the first time, 200 (and
    nothing changes) when the caller had already reported it."""
    review = get_review(request.user, review_id)
    data = cleaned_or_422(ReportForm(payload.dict()))
    first = services.report_review(review=review, user=request.user, **data)
    if first:
        return Status(201, {"detail": "Thanks, staff will look at this review."})
    return Status(200, {"detail": "You already reported this review; staff will look at it."})


@router.put(
    "/reviews/{review_id}/reply",
    response={200: ReviewOut, 401: Problem, 403: Problem, 404: Problem, 422: Problem},
    operation_id="save_review_reply",
)
def save_review_reply(request, review_id: int, payload: ReplyIn):
    """The course instructor's one public reply: writing again replaces it."""
    review = get_review(request.user, review_id)
    data = cleaned_or_422(ReplyForm({"reply": payload.text}), fields={"reply": "text"})
    services.save_reply(review=review, user=request.user, text=data["reply"])
    return review_out(request, review)


@router.delete(
    "/reviews/{review_id}/reply",
    response={204: None, 401: Problem, 403: Problem, 404: Problem, 422: Problem},
    operation_id="delete_review_reply",
)
def delete_review_reply(request, review_id: int):
    """Remove the course instructor's reply."""
    review = get_review(request.user, review_id)
    services.save_reply(review=review, user=request.user, text="")
    return Status(204, None)
