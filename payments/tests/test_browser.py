"""The demo student buys a paid demo course with the test provider: checkout with the
demo coupon, "processing" until the payment lands, then enrolled and the player; a
declined card leaves them unenrolled with a way to try again."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from learning.models import Enrollment
from payments.models import Order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STUDENT = "student@lectern.test"


def log_in(page, base: str) -> None:
    page.goto(base + "/accounts/login/")
    page.get_by_label("Email").fill(STUDENT)
    page.get_by_label("Password").fill("lectern-demo-2026")
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_buy_a_course_see_processing_then_the_player(live_server, page):
    call_command("load_demo")
    log_in(page, live_server.url)
    page.goto(live_server.url + "/courses/django-from-zero-to-deployed/")
    page.get_by_role("link", name="Buy for $49.00").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Checkout")
    page.get_by_label("Coupon code").fill("lectern50")
    page.get_by_role("button", name="Apply the coupon").click()
    expect(page.get_by_text("Coupon LECTERN50", exact=True)).to_be_visible()
    page.get_by_role("button", name="Pay $24.50").click()

    expect(page.get_by_role("heading", name="Test payment — no real money")).to_be_visible()
    order = Order.objects.get(buyer__email=STUDENT, status="pending")
    pay_url = page.url

    # The return page while the payment is under way: "processing", polling for news.
    page.goto(f"{live_server.url}/orders/{order.pk}/return/")
    status = page.locator(".order-status-region")
    expect(status).to_have_attribute("role", "status")
    expect(status).to_contain_text("Processing your payment…")

    # The payment lands from elsewhere (another tab here; Stripe's webhook in production):
    # the waiting page updates by itself.
    other = page.context.new_page()
    other.goto(pay_url)
    other.get_by_role("button", name="Pay $24.50 with the test card that succeeds").click()
    expect(other.get_by_role("heading", name="You are enrolled")).to_be_visible()
    other.close()
    expect(status.get_by_role("heading", name="You are enrolled")).to_be_visible(timeout=8_000)
    expect(status).not_to_contain_text("Processing")

    status.get_by_role("link", name="Start learning").click()
    expect(page).to_have_url(re.compile(r"/learn/django-from-zero-to-deployed/lessons/\d+/$"))
    expect(page.locator("#lesson-video")).to_be_visible()
    assert Enrollment.objects.filter(
        user__email=STUDENT, course__slug="django-from-zero-to-deployed"
    ).exists()

    page.get_by_role("link", name="Orders").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your orders")
    page.get_by_role("link", name=re.compile("^Django from Zero to Deployed")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Receipt for order {order.pk}")
    expect(page.get_by_role("button", name="Print this receipt")).to_be_visible()


def test_a_declined_card_stays_unenrolled_and_can_try_again(live_server, page):
    call_command("load_demo")
    log_in(page, live_server.url)
    page.goto(live_server.url + "/courses/machine-learning-foundations/")
    page.get_by_role("link", name="Buy for $89.00").click()
    page.get_by_role("button", name="Pay $89.00").click()
    page.get_by_role("button", name="Try the test card that is declined").click()

    status = page.locator(".order-status-region")
    expect(status.get_by_role("heading")).to_have_text("The payment did not go through")
    expect(status).to_contain_text("declined")
    assert not Enrollment.objects.filter(
        user__email=STUDENT, course__slug="machine-learning-foundations"
    ).exists()

    page.get_by_role("link", name="Try again").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Checkout")
    expect(page.get_by_role("button", name="Pay $89.00")).to_be_visible()
