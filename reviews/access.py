"""What a viewer may see of a course's reviews: the page of reviews and single reviews.

The course page (through the template tag), the review list and the review actions all
read reviews through here.
"""

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404

from reviews.models import HelpfulVote, Review, ReviewReport

SORTS = {"newest": "Newest first", "helpful": "Most helpful"}


def reviews_page(request, course, *, sort: str, page_number: int) -> dict:
    """One page of a course's reviews (the viewer's own first), in one query.

    Fetches one row more than a page to know whether there is a next page, so no
    COUNT query; the viewer's helpful marks come in the same query.
    """
    size = settings.REVIEWS_PAGE_SIZE
    queryset = Review.objects.filter(course=course).for_page(viewer=request.user, sort=sort)
    if request.user.is_authenticated:
        queryset = queryset.annotate(
            marked_helpful=Exists(
                HelpfulVote.objects.filter(review=OuterRef("pk"), user=request.user)
            )
        )
    offset = (page_number - 1) * size
    rows = list(queryset[offset : offset + size + 1])
    return {
        "reviews": rows[:size],
        "next_page": page_number + 1 if len(rows) > size else None,
        "sort": sort,
        "sorts": SORTS,
        "report_reasons": ReviewReport.Reason.choices,
    }


def get_review(pk: int) -> Review:
    return get_object_or_404(Review.objects.select_related("course", "user"), pk=pk)
