"""The buyer's order history and receipts, and what each of the buying pages costs in
queries at two data sizes."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from payments import services
from payments.models import Order
from payments.money import to_minor
from payments.tests.factories import CouponFactory, paid_course

pytestmark = pytest.mark.django_db


def bought(user, course, *, coupon="") -> Order:
    order = services.start_checkout(user=user, course=course, coupon_code=coupon)
    services.settle_paid(
        order=order,
        amount_minor=to_minor(order.amount, order.currency),
        currency=order.currency,
        reference=order.provider_ref,
    )
    order.refresh_from_db()
    return order


def test_the_order_history_lists_the_buyers_orders_newest_first(client, student, other_student):
    old = bought(student, paid_course("19.00", title="Old Course"))
    Order.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    failed = services.start_checkout(user=student, course=paid_course("29.00", title="Declined"))
    services.settle_failed(order=failed, reason="The card was declined.")
    pending = services.start_checkout(user=student, course=paid_course("39.00", title="Waiting"))
    bought(other_student, paid_course(title="Not Yours"))
    client.force_login(student)
    page = client.get(reverse("payments:orders")).content.decode()
    assert "Not Yours" not in page
    positions = [page.index(title) for title in ("Waiting", "Declined", "Old Course")]
    assert positions == sorted(positions)
    assert "$19.00" in page and "$29.00" in page and "$39.00" in page
    assert "Paid" in page and "Payment failed" in page and "Awaiting payment" in page
    assert reverse("payments:pay", args=[pending.pk]) in page  # continue to payment
    assert old.get_absolute_url() in page
    assert old.created_at.strftime("%-d %B %Y") in page


def test_an_empty_history_points_to_the_catalog(client, student):
    client.force_login(student)
    page = client.get(reverse("payments:orders")).content.decode()
    assert "You have not bought a course yet." in page


def test_the_account_menu_links_to_orders_for_signed_in_users(client, student):
    assert "Orders</a>" not in client.get("/").content.decode()
    client.force_login(student)
    assert f'<a href="{reverse("payments:orders")}">Orders</a>' in client.get("/").content.decode()


def test_a_receipt_shows_prices_coupon_and_payment(client, student):
    course = paid_course("49.00", title="Sailing")
    CouponFactory(code="HALF", course=course)
    order = bought(student, course, coupon="HALF")
    client.force_login(student)
    page = client.get(order.get_absolute_url()).content.decode()
    assert f"Receipt for order {order.pk}" in page
    for text in ("Sailing", "$49.00", "Coupon HALF", "−$24.50", "$24.50</strong> (USD)"):
        assert text in page, text
    assert student.email in page and "Test payments" in page and order.provider_ref in page
    assert "data-print-button hidden" in page and "print-button.js" in page
    assert reverse("learning:continue", args=[course.slug]) in page


def test_the_receipts_print_stylesheet_hides_the_site_around_it():
    from pathlib import Path

    css = (Path(__file__).resolve().parents[2] / "static/css/lectern.css").read_text()
    printed = css.split("@media print {", 1)[1]
    assert ".site-header" in printed and ".no-print" in printed


@pytest.mark.parametrize("rows", [1, 15], ids=["few-orders", "many-orders"])
def test_the_order_history_costs_the_same_queries_at_any_size(
    client, student, django_assert_max_num_queries, rows
):
    for n in range(rows):
        bought(student, paid_course(f"{10 + n}.00"))
    client.force_login(student)
    client.get(reverse("payments:orders"))  # the session and user are read once warm
    with django_assert_max_num_queries(3):  # user (the session is cached), count, the page
        page = client.get(reverse("payments:orders")).content.decode()
    assert page.count('class="card order-item"') == rows


@pytest.mark.parametrize("rows", [1, 15], ids=["few-orders", "many-orders"])
def test_the_receipt_and_return_page_cost_a_few_queries(
    client, student, other_student, django_assert_max_num_queries, rows
):
    for n in range(rows):  # other orders, the buyer's and others', cost nothing here
        bought(other_student, paid_course(f"{10 + n}.00"))
    CouponFactory(code="HALF")
    order = bought(student, paid_course(), coupon="HALF")
    client.force_login(student)
    client.get(reverse("payments:orders"))  # the session is read (then cached) once
    with django_assert_max_num_queries(3):  # user, the order with course and coupon, enrolled?
        assert "Coupon HALF" in client.get(order.get_absolute_url()).content.decode()
    with django_assert_max_num_queries(2):  # user, the order with course and coupon
        assert (
            "You are enrolled"
            in client.get(reverse("payments:return", args=[order.pk])).content.decode()
        )


@pytest.mark.parametrize("rows", [1, 15], ids=["few-courses", "many-courses"])
def test_checkout_costs_a_few_queries(client, student, django_assert_max_num_queries, rows):
    for n in range(rows):
        paid_course(f"{10 + n}.00")
        CouponFactory(course=paid_course())
    course = paid_course("49.00")
    CouponFactory(code="HALF", course=course)
    client.force_login(student)
    url = reverse("payments:checkout", args=[course.slug])
    client.get(url)  # the session is read (then cached) once
    # user, course, enrolled?, the coupon, the buyer's use of it
    with django_assert_max_num_queries(5):
        assert "Pay $24.50" in client.get(url + "?coupon=HALF").content.decode()
    with django_assert_max_num_queries(3):
        assert "Pay $49.00" in client.get(url).content.decode()
    # The course page: a ?coupon= costs the same two queries more.
    client.get(course.get_absolute_url())
    with django_assert_max_num_queries(9):
        assert (
            "Buy for $24.50"
            in client.get(course.get_absolute_url() + "?coupon=HALF").content.decode()
        )


def test_a_pending_orders_page_shows_what_is_left_to_do(client, student):
    order = services.start_checkout(user=student, course=paid_course("12.00"))
    client.force_login(student)
    page = client.get(order.get_absolute_url()).content.decode()
    assert f"Order {order.pk}" in page and "Awaiting payment" in page
    assert reverse("payments:pay", args=[order.pk]) in page


def test_amounts_show_their_currency(client, student, settings):
    settings.CURRENCY = "CHF"
    order = bought(student, paid_course("12.50"))
    client.force_login(student)
    page = client.get(order.get_absolute_url()).content.decode()
    assert "12.50 CHF" in page
    assert Decimal(order.amount) == Decimal("12.50") and order.currency == "CHF"
