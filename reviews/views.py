from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from catalog.access import get_visible_course
from lms.lib.page_cache import public_page
from lms.lib.query_params import page_number
from reviews import services
from reviews.access import SORTS, get_review, reviews_page
from reviews.forms import ReplyForm, ReportForm, ReviewForm


def back_to_reviews(course):
    return redirect(reverse("catalog:course", args=[course.slug]) + "#reviews")


@require_safe
@vary_on_headers("HX-Request")
@public_page
def course_reviews(request, course_slug: str):
    """All reviews of a course, paged; HTMX's "More reviews" asks for the next items."""
    course = get_visible_course(request.user, course_slug)
    sort = request.GET.get("sort") if request.GET.get("sort") in SORTS else "newest"
    page = page_number(request.GET.get("page"))
    context = {"course": course, **reviews_page(request, course, sort=sort, page_number=page)}
    if request.htmx:  # "More reviews": the next items replace the link
        context["loaded_more"] = True
        return render(request, "reviews/course_reviews.html#review-items", context)
    return render(request, "reviews/review_list_page.html", context)


@login_required
@require_POST
def submit_review(request, course_slug: str):
    course = get_visible_course(request.user, course_slug)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, f"Your review was not saved: {error}")
        return back_to_reviews(course)
    try:
        _, created = services.save_review(
            user=request.user,
            course=course,
            rating=form.cleaned_data["rating"],
            text=form.cleaned_data["text"],
        )
    except (services.ReviewRefused, ValidationError) as refusal:
        messages.error(request, " ".join(getattr(refusal, "messages", [str(refusal)])))
        return back_to_reviews(course)
    messages.success(request, "Thanks for your review!" if created else "Your review was updated.")
    return back_to_reviews(course)


@login_required
@require_POST
def delete_review(request, pk: int):
    review = get_review(request.user, pk)
    if review.user_id != request.user.pk:
        messages.error(request, "You can only delete your own review.")
        return back_to_reviews(review.course)
    services.delete_review(review=review)
    messages.success(request, "Your review was deleted.")
    return back_to_reviews(review.course)


@login_required
@require_POST
def report_review(request, pk: int):
    review = get_review(request.user, pk)
    form = ReportForm(request.POST)
    if not form.is_valid():
        errors = (error for field_errors in form.errors.values() for error in field_errors)
        messages.error(request, "Your report was not sent: " + " ".join(errors))
    else:
        try:
            first = services.report_review(review=review, user=request.user, **form.cleaned_data)
        except services.ReviewRefused as refusal:
            messages.error(request, str(refusal))
        else:
            messages.info(
                request,
                "Thanks, staff will look at this review."
                if first
                else "You already reported this review; staff will look at it.",
            )
    return back_to_reviews(review.course)


@login_required
@require_POST
def mark_helpful(request, pk: int):
    review = get_review(request.user, pk)
    try:
        marked = services.toggle_helpful(review=review, user=request.user)
    except services.ReviewRefused as refusal:
        messages.error(request, str(refusal))
        return back_to_reviews(review.course)
    if request.htmx:
        review.refresh_from_db(fields=["helpful_count"])
        review.marked_helpful = marked
        return render(request, "reviews/course_reviews.html#helpful-button", {"review": review})
    return back_to_reviews(review.course)


@login_required
@require_POST
def reply_to_review(request, pk: int):
    review = get_review(request.user, pk)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Your reply was not saved: " + " ".join(form.errors["reply"]))
        return back_to_reviews(review.course)
    try:
        services.save_reply(review=review, user=request.user, text=form.cleaned_data["reply"])
    except services.ReviewRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, "Your reply was saved.")
    return back_to_reviews(review.course)
