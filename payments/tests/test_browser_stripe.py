"""A student buys a course with Stripe on Lectern's real pay page: localstripe stands in
for Stripe (its API, its signed webhook) and for Stripe.js (STRIPE_JS_URL points at its
stand-in), so the page's own script runs against it.

The stand-in is partial: its ``confirmCardPayment`` performs only the 3-D Secure step of
a payment that needs one ("Complete authentication" or "Fail authentication"), and does
not turn the typed card into a payment method. That part of Stripe.js is played here
through the API, with a test card that asks for 3-D Secure, before "Pay" is pressed;
everything after it (the confirmation from the browser, the redirect, Stripe's webhook,
"processing", the enrolment) is the real thing.
"""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.tests.factories import PASSWORD, UserFactory
from learning.models import Enrollment
from payments.models import Order
from payments.tests.conftest import handled, pay_at_stripe, wait_until
from payments.tests.factories import paid_course

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

THREE_D_SECURE = "4000002500003155"  # localstripe: asks for 3-D Secure, then pays
THREE_D_SECURE_DECLINED = "4000008260003178"  # asks for 3-D Secure, then is declined


def log_in(page, base: str, user) -> None:
    page.goto(base + "/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def open_the_pay_page(page, base: str, course, buyer) -> Order:
    """From the course page to Stripe's card field: Buy, checkout, Pay."""
    page.goto(base + course.get_absolute_url())
    page.get_by_role("link", name="Buy for $49.00").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Checkout")
    page.get_by_role("button", name="Pay $49.00").click()
    expect(page.get_by_role("heading", name="Pay by card")).to_be_visible()
    card = page.locator("#stripe-card")
    expect(card.get_by_placeholder("number")).to_be_visible()  # the stand-in's card field
    expect(page.get_by_role("button", name="Pay $49.00")).to_be_enabled()  # Stripe.js ready
    return Order.objects.get(buyer=buyer, status="pending")


def type_card(page, number: str) -> None:
    card = page.locator("#stripe-card")
    card.get_by_placeholder("number").fill(number)
    card.get_by_placeholder("exp_month").fill("12")
    card.get_by_placeholder("exp_year").fill("34")
    card.get_by_placeholder("cvc").fill("123")


@pytest.fixture
def buyer():
    return UserFactory(first_name="Bea", last_name="Buyer")


def test_buy_with_stripe_see_processing_then_the_player(stripe_webhooks, stripe_api, page, buyer):
    base = stripe_webhooks.url
    course = paid_course("49.00", title="Sailing")
    log_in(page, base, buyer)
    order = open_the_pay_page(page, base, course, buyer)
    # SHOT pay
    type_card(page, THREE_D_SECURE)
    pay_at_stripe(stripe_api, order.provider_ref, THREE_D_SECURE)  # (see the docstring)

    return_url = base + reverse("payments:return", args=[order.pk])
    with page.expect_response(return_url) as first_view:
        page.get_by_role("button", name="Pay $49.00").click()
        expect(page.get_by_role("button", name="Pay $49.00")).to_be_disabled()
        expect(page.locator("#stripe-status")).to_have_text("Confirming your payment…")
        page.get_by_role("button", name="Complete authentication").click()
    # Stripe has the money; Lectern waits for Stripe's word (its webhook, a second later).
    assert "Processing your payment…" in first_view.value.text()

    status = page.locator(".order-status-region")
    expect(status.get_by_role("heading", name="You are enrolled")).to_be_visible(timeout=10_000)
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert handled("payment_intent.succeeded", order).outcome.startswith("paid")

    status.get_by_role("link", name="Start learning").click()
    expect(page).to_have_url(re.compile(rf"/learn/{course.slug}/lessons/\d+/$"))
    assert Enrollment.objects.filter(user=buyer, course=course).exists()


def test_a_declined_card_stays_unenrolled(stripe_webhooks, stripe_api, page, buyer):
    base = stripe_webhooks.url
    course = paid_course("49.00", title="Sailing")
    log_in(page, base, buyer)
    order = open_the_pay_page(page, base, course, buyer)
    type_card(page, THREE_D_SECURE_DECLINED)
    pay_at_stripe(stripe_api, order.provider_ref, THREE_D_SECURE_DECLINED)

    page.get_by_role("button", name="Pay $49.00").click()
    page.get_by_role("button", name="Complete authentication").click()
    expect(page.get_by_role("alert")).to_have_text("Your card was declined.")
    expect(page.get_by_role("button", name="Pay $49.00")).to_be_enabled()  # may try again
    assert page.url.endswith(reverse("payments:pay", args=[order.pk]))
    # SHOT declined

    wait_until(lambda: handled("payment_intent.payment_failed", order))
    order.refresh_from_db()
    assert order.status == Order.Status.FAILED
    assert order.failure_reason == "Your card was declined."
    assert not Enrollment.objects.filter(user=buyer, course=course).exists()
    page.goto(base + reverse("payments:return", args=[order.pk]))
    expect(page.get_by_role("heading", name="The payment did not go through")).to_be_visible()
