"""The enrol box the course page shows; it lives here because enrolment is learning's."""

from django import template

from learning.models import Enrollment

register = template.Library()


@register.inclusion_tag("learning/enrol_box.html", takes_context=True)
def enrol_box(context, course):
    user = context["request"].user
    enrollment = (
        Enrollment.objects.filter(user=user, course=course).first()
        if user.is_authenticated
        else None
    )
    return {
        "course": course,
        "enrollment": enrollment,
        "user": user,
        "csrf_token": context.get("csrf_token"),
    }
