"""The reviews block of the course page (the catalog shows it; reviews own it)."""

from django import template

from learning.access import enrollment_for
from reviews.access import reviews_page
from reviews.forms import ReviewForm
from reviews.services import review_refusal

register = template.Library()


@register.inclusion_tag("reviews/course_reviews.html", takes_context=True)
def course_reviews(context, course):
    request = context["request"]
    page = reviews_page(request, course, sort="newest", page_number=1)
    own = next((r for r in page["reviews"] if r.user_id == request.user.pk), None)
    can_review = (
        request.user.is_authenticated
        and review_refusal(
            request.user, course, enrolled=enrollment_for(request, course) is not None
        )
        is None
    )
    return {
        **page,
        "course": course,
        "request": request,
        "user": request.user,
        "csrf_token": context.get("csrf_token"),
        "own": own,
        "can_review": can_review,
        "form": ReviewForm(initial={"rating": own.rating, "text": own.text} if own else None)
        if can_review
        else None,
    }
