"""The payments API: my orders, one order, a checkout — as each caller, against what the
checkout page does in the same situation; forged prices, coupons, double submits, Stripe's
client secret, and the order list's queries at two sizes."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.tests.api_client import ApiClient
from accounts.tests.factories import UserFactory
from catalog.tests.factories import CourseFactory, published_course
from learning.models import Enrollment
from payments import services
from payments.models import Order
from payments.tests.factories import CouponFactory, paid_course
from payments.tests.test_orders import bought

pytestmark = pytest.mark.django_db

API = "/api/v1"


def checkout_url(course) -> str:
    return f"{API}/courses/{course.slug}/checkout"


@pytest.fixture
def course(instructor):
    return paid_course("49.00", instructor=instructor, title="Paid Course")


# --- Checkout -------------------------------------------------------------------------------
def test_checkout_makes_a_pending_order_at_the_servers_price(student, course):
    response = ApiClient(student).post(checkout_url(course), {})
    assert response.status_code == 201, response.content
    body = response.json()
    order = Order.objects.get(buyer=student, course=course)
    assert body["order"]["id"] == order.pk and order.status == Order.Status.PENDING
    assert body["order"]["amount"] == "49.00" and body["order"]["currency"] == "USD"
    assert body["order"]["course"] == {"slug": course.slug, "title": "Paid Course"}
    assert body["provider"] == body["order"]["provider"] == "test"
    assert body["client_secret"] is None and body["publishable_key"] is None
    assert body["pay_url"] == "http://testserver" + reverse("payments:pay", args=[order.pk])
    assert not Enrollment.objects.filter(user=student, course=course).exists()  # not paid yet


@pytest.mark.parametrize(
    "forged",
    [{"amount": "0.01"}, {"price": 1}, {"course_id": 1}, {"course": "other"}, {"discount": 49}],
)
def test_a_client_sent_price_amount_or_course_is_refused(student, course, forged):
    response = ApiClient(student).post(checkout_url(course), {"coupon": "", **forged})
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert [error["field"] for error in response.json()["errors"]] == list(forged)
    assert not Order.objects.exists()


def test_a_double_post_answers_the_same_order(student, course):
    client = ApiClient(student)
    first = client.post(checkout_url(course), {})
    second = client.post(checkout_url(course), {})
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["order"]["id"] == second.json()["order"]["id"]
    assert Order.objects.filter(buyer=student).count() == 1


def test_a_coupon_lowers_the_amount_and_another_starts_a_new_order(student, course):
    CouponFactory(code="HALF", course=course)
    CouponFactory(code="QUARTER", value=Decimal("25"))
    client = ApiClient(student)
    half = client.post(checkout_url(course), {"coupon": "half"})  # any case
    assert half.status_code == 201
    assert (
        half.json()["order"] | {"amount": "24.50", "discount": "24.50", "coupon": "HALF"}
        == (half.json()["order"])
    )
    quarter = client.post(checkout_url(course), {"coupon": "QUARTER"})
    assert quarter.status_code == 201 and quarter.json()["order"]["amount"] == "36.75"
    assert Order.objects.get(pk=half.json()["order"]["id"]).status == Order.Status.CANCELED


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda course: None, "This coupon code is not valid for this course."),
        (
            lambda course: CouponFactory(code="NOPE", course=CourseFactory()),
            "This coupon code is not valid for this course.",
        ),
        (
            lambda course: CouponFactory(code="NOPE", ends_at=timezone.now() - timedelta(days=1)),
            "This coupon has expired.",
        ),
        (
            lambda course: CouponFactory(code="NOPE", max_uses=1, used_count=1),
            "This coupon has been used up.",
        ),
    ],
)
def test_a_coupon_that_does_not_apply_is_a_422_naming_coupon_as_the_page_says(
    client, student, course, make, message
):
    make(course)
    response = ApiClient(student).post(checkout_url(course), {"coupon": "NOPE"})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "coupon", "message": message}]
    assert response.json()["detail"] == message
    assert not Order.objects.exists()
    client.force_login(student)  # the checkout page refuses it with the same sentence
    page = client.post(reverse("payments:checkout", args=[course.slug]), {"coupon": "NOPE"})
    assert message in page.content.decode()


def test_a_coupon_code_longer_than_the_form_takes_is_a_422(student, course):
    response = ApiClient(student).post(checkout_url(course), {"coupon": "X" * 33})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "coupon"


def test_a_100_percent_coupon_answers_the_paid_order_and_enrols(student, course):
    CouponFactory(code="FREE", value=Decimal("100"))
    response = ApiClient(student).post(checkout_url(course), {"coupon": "FREE"})
    assert response.status_code == 201
    body = response.json()
    assert body["order"]["status"] == "paid" and body["order"]["amount"] == "0.00"
    assert body["provider"] == "free" and body["client_secret"] is None
    assert body["pay_url"] is None and body["order"]["paid_at"]
    assert Enrollment.objects.filter(user=student, course=course).exists()


def test_refusals_say_why(student, course, instructor):
    client = ApiClient(student)
    free = published_course(instructor=instructor)
    refused = client.post(checkout_url(free), {})
    assert refused.status_code == 403
    assert refused.json()["detail"] == "This course is free: enrol without a checkout."
    bought(student, course)
    again = client.post(checkout_url(course), {})
    assert again.status_code == 409
    assert again.json()["detail"] == "You are already enrolled in this course."
    assert ApiClient().post(checkout_url(course), {}).status_code == 401
    draft = CourseFactory(instructor=instructor, price=Decimal("10"))
    assert client.post(checkout_url(draft), {}).status_code == 404
    assert Order.objects.filter(buyer=student).count() == 1


def test_a_body_that_is_not_json_is_a_400(student, course):
    response = ApiClient(student).post(checkout_url(course), "coupon=X", content_type="text/plain")
    assert response.status_code == 400
    assert not Order.objects.exists()


# --- Stripe ---------------------------------------------------------------------------------
def test_with_stripe_the_checkout_answers_the_intents_client_secret(
    stripe_settings, stripe_api, student, course
):
    client = ApiClient(student)
    response = client.post(checkout_url(course), {})
    assert response.status_code == 201, response.content
    order = Order.objects.get(buyer=student)
    intent = stripe_api.v1.payment_intents.retrieve(order.provider_ref)
    body = response.json()
    assert body["provider"] == "stripe"
    assert body["client_secret"] == intent.client_secret
    assert body["publishable_key"] == "pk_test_lectern_suite"
    assert intent.amount == 4900  # the server's price, in cents
    again = client.post(checkout_url(course), {})  # the same order, the same intent
    assert again.status_code == 200 and again.json()["client_secret"] == intent.client_secret


def test_an_unreachable_stripe_is_a_502_with_a_sentence(stripe_settings, student, course):
    stripe_settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    response = ApiClient(student).post(checkout_url(course), {})
    assert response.status_code == 502
    assert "could not reach our card processor" in response.json()["detail"]


# --- My orders ------------------------------------------------------------------------------
def test_my_orders_are_mine_newest_first_with_their_dates(student, other_student, course):
    paid = bought(student, course)
    services.refund(order=paid, reason="Asked")
    declined = services.start_checkout(user=student, course=paid_course("19.00"))
    services.settle_failed(order=declined, reason="The card was declined.")
    theirs = bought(other_student, course)
    response = ApiClient(student).get(f"{API}/me/orders")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [o["id"] for o in body["results"]] == [declined.pk, paid.pk]
    refunded = body["results"][1]
    assert refunded["status"] == "refunded" and refunded["refund_reason"] == "Asked"
    assert refunded["paid_at"] and refunded["refunded_at"]
    assert refunded["receipt_url"] == "http://testserver" + paid.get_absolute_url()
    assert body["results"][0]["failure_reason"] == "The card was declined."
    assert theirs.pk not in [o["id"] for o in body["results"]]


def test_an_order_is_its_buyers_only(student, other_student, instructor, staff, course):
    order = bought(student, course)
    url = f"{API}/me/orders/{order.pk}"
    mine = ApiClient(student).get(url)
    assert mine.status_code == 200 and mine.json()["amount"] == "49.00"
    for someone in (other_student, instructor, staff):  # staff use the admin
        response = ApiClient(someone).get(url)
        assert response.status_code == 404, someone
        assert response.json()["detail"] == "Not found."
    assert ApiClient(student).get(f"{API}/me/orders/{order.pk + 1000}").status_code == 404
    assert ApiClient().get(url).status_code == 401


def test_my_orders_take_no_unknown_parameters(student):
    response = ApiClient(student).get(f"{API}/me/orders", {"status": "paid"})
    assert response.status_code == 422


@pytest.mark.parametrize("size", [2, 30])
def test_my_orders_cost_the_same_queries_at_two_sizes(student, size):
    coupon = CouponFactory(code="LIST")
    for n in range(size):
        order = bought(student, paid_course(title=f"Course {n}"), coupon="LIST" if n == 0 else "")
        if n % 3 == 1:
            services.refund(order=order, reason="Asked")
    coupon.refresh_from_db()
    client = ApiClient(student)
    client.get(f"{API}/me/orders")  # warm up
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{API}/me/orders", {"page_size": 100})
    assert response.json()["count"] == size
    assert len(queries) <= 3, [q["sql"] for q in queries]  # the user, the count, the page


def test_a_deleted_buyers_orders_stay_out_of_everyones_list(student, course):
    order = bought(student, course)
    student.delete()
    stranger = UserFactory()
    assert ApiClient(stranger).get(f"{API}/me/orders").json()["count"] == 0
    assert ApiClient(stranger).get(f"{API}/me/orders/{order.pk}").status_code == 404
