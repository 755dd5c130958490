"""No enrolment in a paid course without a paid order, by any path: the enrol URL, the
admin (staff or instructor), an unpaid or failed order, a refund."""

import re

import pytest
from django.urls import reverse

from catalog.models import Lesson
from learning import services as learning
from learning.models import Enrollment
from payments import services
from payments.tests.factories import paid_course

pytestmark = pytest.mark.django_db


def test_the_enrol_url_refuses_a_paid_course(client, student):
    course = paid_course()
    client.force_login(student)
    response = client.post(reverse("learning:enroll", args=[course.slug]), follow=True)
    assert "This course is paid: buy it to enrol." in response.content.decode()
    assert not Enrollment.objects.exists()


def test_the_service_refuses_a_paid_course_whoever_calls_it(student):
    """The API's enrolment endpoint and any command go through this same service."""
    with pytest.raises(learning.EnrollmentRefused):
        learning.enroll(user=student, course=paid_course())
    assert not Enrollment.objects.exists()


@pytest.mark.parametrize("actor", ["staff", "instructor"])
def test_the_admin_adds_no_enrolment(client, request, actor):
    """Enrolments are made by the enrol button (free courses) and by paid orders only: the
    admin has no "add enrolment" form for anyone, the course's instructor included."""
    user = request.getfixturevalue(actor)
    course = paid_course(**({"instructor": user} if actor == "instructor" else {}))
    client.force_login(user)
    add = reverse("admin:learning_enrollment_add")
    assert client.get(add).status_code == 403
    response = client.post(add, {"user": user.pk, "course": course.pk, "price_paid": "0"})
    assert response.status_code == 403
    assert not Enrollment.objects.exists()


def test_the_enrolment_admin_offers_no_enrolling_action(client, staff, student):
    course = paid_course()
    order = services.start_checkout(user=student, course=course)
    from payments.money import to_minor

    services.settle_paid(
        order=order,
        amount_minor=to_minor(order.amount, order.currency),
        currency=order.currency,
        reference=order.provider_ref,
    )
    client.force_login(staff)
    page = client.get(reverse("admin:learning_enrollment_changelist")).content.decode()
    actions = re.findall(
        r'<option value="(\w*)"', page.split('name="action"')[1].split("</select>")[0]
    )
    assert actions == ["", "delete_selected"]


def test_an_unpaid_or_declined_order_opens_nothing(client, student):
    course = paid_course()
    lesson = Lesson.objects.filter(section__course=course).order_by("order").last()
    client.force_login(student)
    client.post(reverse("payments:checkout", args=[course.slug]))
    player = reverse("learning:lesson", args=[course.slug, lesson.pk])
    assert client.get(player).url == course.get_absolute_url()  # pending: not yet
    order = student.orders.get()
    client.post(reverse("payments:test_pay", args=[order.pk]), {"card": "decline"})
    assert client.get(player).url == course.get_absolute_url()  # declined: never
    assert client.get(reverse("learning:continue", args=[course.slug])).url == (
        course.get_absolute_url()
    )
    assert not Enrollment.objects.exists()
