"""The enrol box the course page shows; it lives here because enrolment is learning's."""

from django import template

from learning.access import enrollment_for

register = template.Library()


@register.inclusion_tag("learning/enrol_box.html", takes_context=True)
def enrol_box(context, course):
    request = context["request"]
    return {
        "course": course,
        "enrollment": enrollment_for(request, course),
        "user": request.user,
        "csrf_token": context.get("csrf_token"),
        "request": request,  # a paid course's "Buy" box (payments' buy_box) reads ?coupon=
    }
