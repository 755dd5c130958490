"""The course page's "Buy" box and checkout: the price is the server's, coupons apply by
their rules, a 100 % coupon enrols at once, and nothing the client sends sets a price."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.models import Course
from catalog.tests.factories import CourseFactory, published_course
from learning.models import Enrollment
from payments.models import Coupon, CouponRedemption, Order
from payments.tests.factories import CouponFactory, paid_course

pytestmark = pytest.mark.django_db


def checkout_url(course, coupon=""):
    url = reverse("payments:checkout", args=[course.slug])
    return f"{url}?coupon={coupon}" if coupon else url


# --- The course page ------------------------------------------------------------------------
def test_a_paid_course_page_offers_to_buy_it_for_its_price(client, student):
    course = paid_course("49.00")
    page = client.get(course.get_absolute_url()).content.decode()
    login = reverse("account_login") + "?next=" + course.get_absolute_url()
    assert "Log in to buy for $49.00" in page and login in page  # back to the course after
    client.force_login(student)
    page = client.get(course.get_absolute_url()).content.decode()
    assert "Buy for $49.00" in page and f'href="{checkout_url(course)}"' in page
    assert "disabled" not in page.split('aria-label="Enrolment"')[1].split("</aside>")[0]


def test_an_enrolled_buyer_sees_continue_learning(client, student):
    course = paid_course()
    client.force_login(student)
    client.post(checkout_url(course))
    order = Order.objects.get()
    client.post(reverse("payments:test_pay", args=[order.pk]), {"card": "succeed"})
    page = client.get(course.get_absolute_url()).content.decode()
    assert "Continue learning" in page and "Buy for" not in page
    assert "Leave this course" not in page  # paid enrolments end by refund, not here


def test_the_course_page_shows_a_coupons_price(client, student):
    course = paid_course("49.00")
    CouponFactory(code="HALF", course=course, value=Decimal("50"))
    page = client.get(course.get_absolute_url() + "?coupon=half").content.decode()
    assert 'With coupon <span class="coupon-code">HALF</span>: <strong>$24.50</strong>' in page
    assert "(you save $24.50)" in page and "Log in to buy for $24.50" in page
    client.force_login(student)
    page = client.get(course.get_absolute_url() + "?coupon=HALF").content.decode()
    assert "Buy for $24.50" in page and checkout_url(course, "HALF") in page


def test_the_course_page_says_why_a_coupon_does_not_apply(client):
    course = paid_course("49.00")
    CouponFactory(code="OLD", course=course, ends_at=timezone.now() - timedelta(days=1))
    page = client.get(course.get_absolute_url() + "?coupon=OLD").content.decode()
    assert "Coupon OLD: This coupon has expired." in page
    assert "Log in to buy for $49.00" in page


def test_a_coupon_code_in_the_url_is_shown_escaped(client):
    course = paid_course()
    page = client.get(course.get_absolute_url() + "?coupon=<script>x</script>").content.decode()
    assert "<script>x" not in page and "&lt;SCRIPT&gt;X" in page


# --- Checkout --------------------------------------------------------------------------------
def test_checkout_shows_the_course_and_its_price(client, student):
    course = paid_course("49.00", title="Knots at Sea")
    client.force_login(student)
    response = client.get(checkout_url(course))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Knots at Sea" in page and "Pay $49.00" in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert '<label for="id_coupon">Coupon code</label>' in page


def test_checkout_needs_login_and_then_comes_back(client):
    course = paid_course()
    response = client.get(checkout_url(course))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert response.url.endswith("?next=" + checkout_url(course))


def test_paying_starts_an_order_at_the_servers_price_and_opens_the_pay_page(client, student):
    course = paid_course("49.00")
    client.force_login(student)
    response = client.post(checkout_url(course))
    order = Order.objects.get()
    assert response.status_code == 302 and response.url == reverse("payments:pay", args=[order.pk])
    assert (order.buyer, order.course, order.status) == (student, course, Order.Status.PENDING)
    assert (order.list_price, order.discount, order.amount) == (
        Decimal("49.00"),
        Decimal("0.00"),
        Decimal("49.00"),
    )
    assert order.currency == "USD" and order.provider == "test" and order.provider_ref
    assert not Enrollment.objects.exists()


def test_a_forged_price_or_course_is_ignored(client, student):
    course = paid_course("49.00")
    cheap = paid_course("1.00")
    client.force_login(student)
    client.post(
        checkout_url(course),
        {"price": "0.01", "amount": "0", "list_price": "1", "course": cheap.pk, "currency": "JPY"},
    )
    order = Order.objects.get()
    assert order.course == course and order.amount == Decimal("49.00") and order.currency == "USD"


def test_double_submit_of_pay_makes_one_order(client, student):
    course = paid_course()
    client.force_login(student)
    first = client.post(checkout_url(course))
    second = client.post(checkout_url(course))
    assert first.url == second.url
    assert Order.objects.count() == 1


def test_checkout_refuses_what_cannot_be_bought(client, student, instructor):
    free = published_course()
    draft = CourseFactory(instructor=instructor, price=Decimal("10"))
    client.force_login(student)
    response = client.post(checkout_url(free), follow=True)
    assert response.redirect_chain[-1][0] == free.get_absolute_url()
    assert "This course is free: enrol on its page." in response.content.decode()
    assert client.get(checkout_url(draft)).status_code == 404  # a draft is not there at all
    client.force_login(instructor)  # its own instructor sees the draft, cannot buy it
    response = client.post(checkout_url(draft), follow=True)
    assert "not open for enrolment" in response.content.decode()
    assert not Order.objects.exists()


def test_checkout_sends_an_enrolled_student_to_the_course(client, student):
    course = paid_course()
    client.force_login(student)
    client.post(checkout_url(course))
    client.post(reverse("payments:test_pay", args=[Order.objects.get().pk]), {"card": "succeed"})
    response = client.post(checkout_url(course))
    assert response.url == reverse("learning:continue", args=[course.slug])
    assert Order.objects.count() == 1  # a course bought once is never charged again


# --- Coupons ------------------------------------------------------------------------------------
def test_applying_a_coupon_recomputes_the_total(client, student):
    course = paid_course("49.00")
    CouponFactory(code="HALF", course=course, value=Decimal("50"))
    client.force_login(student)
    page = client.get(checkout_url(course, "half")).content.decode()
    assert "Coupon HALF" in page and "−$24.50" in page and "Pay $24.50" in page
    assert '<input type="hidden" name="coupon" value="HALF">' in page
    client.post(checkout_url(course), {"coupon": "HALF"})
    order = Order.objects.get()
    assert (order.discount, order.amount, order.coupon.code) == (
        Decimal("24.50"),
        Decimal("24.50"),
        "HALF",
    )
    assert Coupon.objects.get().used_count == 1


@pytest.mark.parametrize(
    "coupon, message",
    [
        ({"ends_at": timezone.now() - timedelta(minutes=1)}, "This coupon has expired."),
        ({"starts_at": timezone.now() + timedelta(days=1)}, "This coupon is not valid yet."),
        ({"course": "other"}, "This coupon code is not valid for this course."),
        ({"max_uses": 2, "used_count": 2}, "This coupon has been used up."),
        ({"is_active": False}, "This coupon code is not valid for this course."),
    ],
    ids=["expired", "not-started", "wrong-course", "used-up", "inactive"],
)
def test_an_unusable_coupon_is_refused_with_a_reason(client, student, coupon, message):
    course = paid_course("49.00")
    if coupon.get("course") == "other":
        coupon["course"] = paid_course()
    CouponFactory(code="NOPE", **coupon)
    client.force_login(student)
    page = client.get(checkout_url(course, "NOPE")).content.decode()
    assert message in page and "Pay $49.00" in page
    assert 'aria-invalid="true"' in page
    response = client.post(checkout_url(course), {"coupon": "NOPE"})  # straight to Pay
    assert response.status_code == 200 and message in response.content.decode()
    assert not Order.objects.exists()


def test_a_coupon_is_used_once_per_buyer(client, student):
    first, second = paid_course("49.00"), paid_course("30.00")
    CouponFactory(code="ONCE")  # every course
    client.force_login(student)
    client.post(checkout_url(first), {"coupon": "ONCE"})
    client.post(reverse("payments:test_pay", args=[Order.objects.get().pk]), {"card": "succeed"})
    page = client.post(checkout_url(second), {"coupon": "ONCE"}).content.decode()
    assert "You have already used this coupon." in page
    assert Order.objects.count() == 1


def test_going_back_to_pay_again_with_a_coupon_continues_the_same_order(client, student):
    course = paid_course("49.00")
    CouponFactory(code="LAST", course=course, max_uses=1)
    client.force_login(student)
    first = client.post(checkout_url(course), {"coupon": "LAST"})
    # The buyer's own pending order holds the last use: it is not "used up" for them.
    page = client.get(checkout_url(course, "LAST")).content.decode()
    assert "Pay $24.50" in page and "used up" not in page
    second = client.post(checkout_url(course), {"coupon": "LAST"})
    assert first.url == second.url and Order.objects.count() == 1
    assert Coupon.objects.get().used_count == 1


def test_a_declined_payment_gives_the_coupon_use_back(client, student, other_student):
    course = paid_course("49.00")
    CouponFactory(code="LAST", course=course, max_uses=1)
    client.force_login(student)
    client.post(checkout_url(course), {"coupon": "LAST"})
    client.post(reverse("payments:test_pay", args=[Order.objects.get().pk]), {"card": "decline"})
    assert Coupon.objects.get().used_count == 0 and not CouponRedemption.objects.exists()
    client.force_login(other_student)
    client.post(checkout_url(course), {"coupon": "LAST"})
    assert Order.objects.filter(buyer=other_student, coupon__code="LAST").exists()
    client.force_login(student)
    page = client.post(checkout_url(course), {"coupon": "LAST"}).content.decode()
    assert "This coupon has been used up." in page


def test_a_100_percent_coupon_enrols_at_once(client, student, django_capture_on_commit_callbacks):
    from django.core import mail

    course = paid_course("49.00")
    CouponFactory(code="FREE", course=course, value=Decimal("100"))
    client.force_login(student)
    page = client.get(checkout_url(course, "FREE")).content.decode()
    assert "Enrol for $0.00 with coupon FREE" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(checkout_url(course), {"coupon": "FREE"})
    assert response.url == reverse("learning:continue", args=[course.slug])
    order = Order.objects.get()
    assert (order.status, order.provider, order.amount) == ("paid", "free", Decimal("0.00"))
    assert Enrollment.objects.get(user=student, course=course).price_paid == Decimal("0.00")
    assert sorted(m.subject.split("“")[0] for m in mail.outbox) == [
        "You are enrolled in ",
        "Your Lectern receipt for ",
    ]


def test_a_fixed_coupon_larger_than_the_price_makes_it_free_not_negative(client, student):
    course = paid_course("19.00")
    CouponFactory(code="BIG", course=course, kind=Coupon.Kind.FIXED, value=Decimal("50"))
    client.force_login(student)
    page = client.get(checkout_url(course, "BIG")).content.decode()
    assert "−$19.00" in page and "Enrol for $0.00" in page
    client.post(checkout_url(course), {"coupon": "BIG"})
    order = Order.objects.get()
    assert (order.discount, order.amount, order.status) == (Decimal("19.00"), 0, "paid")
    assert Enrollment.objects.filter(user=student, course=course).exists()


def test_a_changed_price_applies_to_new_checkouts_not_to_a_started_order(client, student):
    course = paid_course("49.00")
    client.force_login(student)
    client.post(checkout_url(course))
    order = Order.objects.get()
    Course.objects.filter(pk=course.pk).update(price=Decimal("99.00"))
    page = client.get(reverse("payments:pay", args=[order.pk])).content.decode()
    assert "Pay $49.00 with the test card that succeeds" in page  # the order keeps its price
    client.post(reverse("payments:test_pay", args=[order.pk]), {"card": "succeed"})
    order.refresh_from_db()
    assert order.status == "paid" and order.amount == Decimal("49.00")

    other = paid_course("49.00")
    client.post(checkout_url(other))
    Course.objects.filter(pk=other.pk).update(price=Decimal("59.00"))
    client.post(checkout_url(other))  # a new checkout after the change: the new price
    orders = Order.objects.filter(course=other).order_by("pk")
    assert [(o.amount, o.status) for o in orders] == [
        (Decimal("49.00"), "canceled"),
        (Decimal("59.00"), "pending"),
    ]
