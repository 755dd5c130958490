"""What a viewer may see of a course's reviews: the page of reviews and single reviews.

The course page (through the template tag), the review list and the review actions all
read reviews through here.
"""

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import get_object_or_404

from lms.lib.query_params import MAX_PAGE
from reviews.models import HelpfulVote, Review, ReviewReport

SORTS = {"newest": "Newest first", "helpful": "Most helpful"}


def course_review_rows(user, course, *, sort: str):
    """The reviews of ``course`` the course page lists for ``user``, in its order (the
    viewer's own first), with their authors and, for a signed-in viewer, ``marked_helpful``
    (did they mark it?). The page and the API's list both read this."""
    queryset = Review.objects.filter(course=course).for_page(viewer=user, sort=sort)
    if user.is_authenticated:
        queryset = queryset.annotate(
            marked_helpful=Exists(HelpfulVote.objects.filter(review=OuterRef("pk"), user=user))
        )
    return queryset


def reviews_page(request, course, *, sort: str, page_number: int) -> dict:
    """One page of a course's reviews (the viewer's own first), in one query.

    Fetches one row more than a page to know whether there is a next page, so no
    COUNT query; the viewer's helpful marks come in the same query. ``page_number`` is
    1 to ``MAX_PAGE`` (``lms.lib.query_params.page_number``); the last offers no next.
    """
    size = settings.REVIEWS_PAGE_SIZE
    queryset = course_review_rows(request.user, course, sort=sort)
    offset = (page_number - 1) * size
    rows = list(queryset[offset : offset + size + 1])
    return {
        "reviews": rows[:size],
        "next_page": page_number + 1 if len(rows) > size and page_number < MAX_PAGE else None,
        "sort": sort,
        "sorts": SORTS,
        "report_reasons": ReviewReport.Reason.choices,
    }


def get_review(user, pk: int) -> Review:
    """The review ``pk`` if the course page shows it to ``user``, else 404.

    Its course must be visible to them (drafts: the instructor and staff) and the review
    shown to them (``Review.objects.shown_to``): a hidden review, or one of a draft
    course, does not exist for anyone who cannot see it there.
    """
    review = get_object_or_404(
        Review.objects.shown_to(user).select_related("course", "user"), pk=pk
    )
    if not review.course.is_visible_to(user):
        raise Http404("No such review.")
    return review


def get_own_review(user, course) -> Review:
    """``user``'s review of ``course`` (hidden or not: its author always sees it), else 404.

    The caller has loaded ``course`` through ``catalog.access.get_visible_course``.
    """
    review = (
        Review.objects.shown_to(user)
        .select_related("user__profile")
        .filter(user=user, course=course)
        .first()
    )
    if review is None:
        raise Http404("You have not reviewed this course.")
    review.course = course
    return review
