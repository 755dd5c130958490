"""Coupons and orders in the admin: instructors manage their own courses' coupons, staff
all of them; only staff see orders and refund them (with a reason), through the same
service as a provider's refund."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from catalog.models import Lesson
from learning import services as learning
from learning.models import Enrollment, LessonProgress
from payments import services
from payments.models import Coupon, Order
from payments.money import to_minor
from payments.providers import ProviderError
from payments.providers.test import TestProvider
from payments.tests.factories import CouponFactory, paid_course

pytestmark = pytest.mark.django_db

COUPONS = reverse("admin:payments_coupon_changelist")
ADD_COUPON = reverse("admin:payments_coupon_add")
ORDERS = reverse("admin:payments_order_changelist")


def coupon_form(**overrides):
    data = {
        "code": "spring25",
        "kind": "percent",
        "value": "25",
        "course": "",
        "starts_at_0": "",
        "starts_at_1": "",
        "ends_at_0": "",
        "ends_at_1": "",
        "max_uses": "",
        "is_active": "on",
    }
    return {**data, **overrides}


def bought(user, course) -> Order:
    order = services.start_checkout(user=user, course=course)
    services.settle_paid(
        order=order,
        amount_minor=to_minor(order.amount, order.currency),
        currency=order.currency,
        reference=order.provider_ref,
    )
    order.refresh_from_db()
    return order


# --- Coupons ---------------------------------------------------------------------------------
def test_an_instructor_adds_a_coupon_for_their_own_course(client, instructor):
    course = paid_course(instructor=instructor)
    client.force_login(instructor)
    assert client.get(reverse("admin:index")).content.decode().count(COUPONS) >= 1
    assert client.get(ADD_COUPON).status_code == 200
    response = client.post(ADD_COUPON, coupon_form(course=course.pk))
    assert response.status_code == 302, response.content.decode()
    coupon = Coupon.objects.get()
    assert (coupon.code, coupon.course, coupon.created_by) == ("SPRING25", course, instructor)
    assert "SPRING25" in client.get(COUPONS).content.decode()


def test_an_instructor_cannot_reach_other_courses_or_all_courses(
    client, instructor, other_instructor
):
    mine = paid_course(instructor=instructor, title="Mine")
    theirs = paid_course(instructor=other_instructor, title="Theirs")
    their_coupon = CouponFactory(code="THEIRS", course=theirs)
    site_wide = CouponFactory(code="EVERYONE")
    client.force_login(instructor)
    form = client.get(ADD_COUPON).content.decode()
    assert "Mine" in form and "Theirs" not in form
    page = client.post(ADD_COUPON, coupon_form(course=theirs.pk)).content.decode()
    assert "Select a valid choice" in page
    page = client.post(ADD_COUPON, coupon_form(course="")).content.decode()
    assert "This field is required" in page  # a coupon for every course is staff's
    assert Coupon.objects.count() == 2
    listing = client.get(COUPONS).content.decode()
    assert "THEIRS" not in listing and "EVERYONE" not in listing
    for coupon in (their_coupon, site_wide):
        change = reverse("admin:payments_coupon_change", args=[coupon.pk])
        assert client.get(change).status_code == 404
        assert client.post(change, coupon_form(course=mine.pk)).status_code == 404
        delete = reverse("admin:payments_coupon_delete", args=[coupon.pk])
        assert client.post(delete, {"post": "yes"}).status_code == 404
    assert Coupon.objects.filter(code__in=["THEIRS", "EVERYONE"]).count() == 2


def test_staff_manage_every_coupon_and_make_site_wide_ones(client, staff, instructor):
    CouponFactory(code="INSTR", course=paid_course(instructor=instructor))
    client.force_login(staff)
    assert "INSTR" in client.get(COUPONS).content.decode()
    assert client.post(ADD_COUPON, coupon_form(code="all-10")).status_code == 302
    assert Coupon.objects.get(code="ALL-10").course is None


@pytest.mark.parametrize(
    "data, message",
    [
        ({"value": "150"}, "A percentage coupon takes at most 100 % off."),
        (
            {
                "starts_at_0": "2030-05-02",
                "starts_at_1": "10:00",
                "ends_at_0": "2030-05-01",
                "ends_at_1": "10:00",
            },
            "The end must come after the start.",
        ),
        ({"code": "two words"}, "Capital letters, digits, - and _ only."),
        ({"value": "0"}, "greater than or equal to 0.01"),
    ],
    ids=["percent-over-100", "ends-before-start", "bad-code", "zero"],
)
def test_the_coupon_form_explains_what_is_wrong(client, staff, data, message):
    client.force_login(staff)
    response = client.post(ADD_COUPON, coupon_form(**data))
    assert response.status_code == 200 and message in response.content.decode()
    assert not Coupon.objects.exists()


def test_a_fixed_coupon_may_exceed_100(client, staff):
    client.force_login(staff)
    assert client.post(ADD_COUPON, coupon_form(kind="fixed", value="150")).status_code == 302


def test_students_have_no_coupon_admin(client, student):
    client.force_login(student)
    assert client.get(ADD_COUPON).status_code == 302  # to the login page


# --- Orders ---------------------------------------------------------------------------------
def test_only_staff_see_orders(client, student, instructor, staff):
    course = paid_course(instructor=instructor)
    order = bought(student, course)
    change = reverse("admin:payments_order_change", args=[order.pk])
    client.force_login(instructor)  # even of their own course
    assert client.get(ORDERS).status_code == 403
    assert client.get(change).status_code in (403, 404)
    assert client.get(reverse("admin:payments_order_refund", args=[order.pk])).status_code == 404
    assert ORDERS not in client.get(reverse("admin:index")).content.decode()
    client.force_login(staff)
    assert order.buyer_email in client.get(ORDERS).content.decode()
    page = client.get(change).content.decode()
    assert order.provider_ref in page and 'name="_save"' not in page  # read-only
    assert client.get(reverse("admin:payments_order_add")).status_code == 403
    assert client.get(reverse("admin:payments_order_delete", args=[order.pk])).status_code == 403


def test_staff_refund_ends_access_emails_and_shows_in_the_history(
    client, student, staff, django_capture_on_commit_callbacks
):
    course = paid_course("49.00", title="Sailing")
    order = bought(student, course)
    lesson = Lesson.objects.filter(section__course=course).first()
    learning.set_completed(user=student, lesson=lesson, completed=True)
    client.force_login(staff)
    asked = client.post(ORDERS, {"action": "refund", "_selected_action": [order.pk]})
    page = asked.content.decode()
    assert "Refund orders" in page and 'name="reason"' in page and student.email in page
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            ORDERS,
            {
                "action": "refund",
                "_selected_action": [order.pk],
                "reason": "Bought by <b>mistake</b>\nsorry",
                "apply": "Refund orders",
            },
            follow=True,
        )
    assert "Refund orders: 1 changed." in done.content.decode()
    order.refresh_from_db()
    assert order.status == "refunded" and order.refunded_at
    assert order.refund_reason == "Bought by <b>mistake</b> sorry"
    assert not Enrollment.objects.filter(user=student, course=course).exists()
    assert LessonProgress.objects.filter(user=student, lesson=lesson).exists()  # kept
    (email,) = mail.outbox
    assert email.to == [student.email] and email.subject == "Your refund for “Sailing”"

    client.force_login(student)
    player = client.get(reverse("learning:lesson", args=[course.slug, lesson.pk]))
    assert player.status_code == 302 and player.url == course.get_absolute_url()
    history = client.get(reverse("payments:orders")).content.decode()
    assert "Refunded" in history
    receipt = client.get(order.get_absolute_url()).content.decode()
    assert "Bought by &lt;b&gt;mistake&lt;/b&gt; sorry" in receipt and "<b>mistake" not in receipt
    assert "The refund ended your access" in receipt
    assert "Buy for $49.00" in client.get(course.get_absolute_url()).content.decode()


def test_buying_again_after_a_refund_restores_the_progress(client, student, staff):
    course = paid_course("49.00")
    order = bought(student, course)
    lesson = Lesson.objects.filter(section__course=course).first()
    learning.set_completed(user=student, lesson=lesson, completed=True)
    services.refund(order=order, reason="Changed my mind.")
    client.force_login(student)
    client.post(reverse("payments:checkout", args=[course.slug]))
    again = Order.objects.filter(status="pending").get()
    client.post(reverse("payments:test_pay", args=[again.pk]), {"card": "succeed"})
    enrollment = Enrollment.objects.with_progress().get(user=student, course=course)
    assert enrollment.done == 1
    assert client.get(reverse("learning:lesson", args=[course.slug, lesson.pk])).status_code == 200


def test_the_change_page_refund_button_asks_for_a_reason(client, student, staff):
    order = bought(student, paid_course())
    change = reverse("admin:payments_order_change", args=[order.pk])
    refund = reverse("admin:payments_order_refund", args=[order.pk])
    client.force_login(staff)
    assert f'href="{refund}">Refund…</a>' in client.get(change).content.decode()
    form = client.get(refund).content.decode()
    assert 'name="reason"' in form and f'href="{change}" class="button cancel-link"' in form
    response = client.post(
        refund,
        {"action": "refund", "_selected_action": [order.pk], "reason": "", "apply": "Refund"},
    )
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    order.refresh_from_db()
    assert order.status == "paid"
    response = client.post(
        refund,
        {"action": "refund", "_selected_action": [order.pk], "reason": "Duplicate.", "apply": "1"},
    )
    assert response.status_code == 302 and response.url == change
    order.refresh_from_db()
    assert order.status == "refunded"
    assert "Refund…" not in client.get(change).content.decode()  # nothing left to refund


def test_a_provider_error_is_shown_and_changes_nothing(client, student, staff, monkeypatch):
    course = paid_course()
    order = bought(student, course)

    def refuse(self, order):
        raise ProviderError("The provider could not be reached.")

    monkeypatch.setattr(TestProvider, "refund", refuse)
    client.force_login(staff)
    done = client.post(
        ORDERS,
        {"action": "refund", "_selected_action": [order.pk], "reason": "x", "apply": "1"},
        follow=True,
    ).content.decode()
    assert "not refunded. The provider could not be reached." in done
    assert "Refund orders: 0 changed." in done
    order.refresh_from_db()
    assert order.status == "paid"
    assert Enrollment.objects.filter(user=student, course=course).exists()


def test_refunding_an_unpaid_order_changes_nothing(client, student, staff):
    pending = services.start_checkout(user=student, course=paid_course())
    client.force_login(staff)
    done = client.post(
        ORDERS,
        {"action": "refund", "_selected_action": [pending.pk], "reason": "x", "apply": "1"},
        follow=True,
    ).content.decode()
    assert "not refunded, it is awaiting payment." in done
    pending.refresh_from_db()
    assert pending.status == "pending"


def test_a_coupon_code_is_shown_escaped_in_the_admin(client, staff):
    # Codes are letters, digits, - and _ by their validator; the admin still escapes.
    Coupon.objects.create(code="X-1", value=Decimal("10"))
    Coupon.objects.filter(code="X-1").update(code="<i>X</i>")
    client.force_login(staff)
    page = client.get(COUPONS).content.decode()
    assert "&lt;i&gt;X&lt;/i&gt;" in page and "<i>X</i>" not in page


def test_a_coupon_that_ends_is_no_longer_offered(client, staff, student):
    course = paid_course("20.00")
    coupon = CouponFactory(code="SOON", course=course)
    client.force_login(student)
    assert (
        "Buy for $10.00" in client.get(course.get_absolute_url() + "?coupon=SOON").content.decode()
    )
    coupon.ends_at = timezone.now() - timedelta(seconds=1)
    coupon.save()
    page = client.get(course.get_absolute_url() + "?coupon=SOON").content.decode()
    assert "This coupon has expired." in page and "Buy for $20.00" in page
