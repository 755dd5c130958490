"""The pay page of a Stripe order, through the real views, with localstripe as Stripe: the
client secret is asked of Stripe for each view, Stripe.js and its origins are allowed on
this page and no other, and Stripe's troubles show as a sentence."""

import re

import pytest
from django.urls import reverse

from payments import services
from payments.tests.conftest import pay_at_stripe
from payments.tests.factories import paid_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(stripe_settings, client, student):
    client.force_login(student)
    course = paid_course("49.00", title="Sailing")
    client.post(reverse("payments:checkout", args=[course.slug]))
    order = student.orders.get()
    assert order.provider == "stripe" and order.provider_ref.startswith("pi_")
    return order


def pay_page(client, order):
    return client.get(reverse("payments:pay", args=[order.pk]))


def directive(response, name: str) -> list[str]:
    """The sources of one directive of the response's Content-Security-Policy."""
    for part in response["Content-Security-Policy"].split(";"):
        words = part.split()
        if words and words[0] == name:
            return words[1:]
    return []


def test_the_pay_page_mounts_stripes_card_field(client, order, stripe_api, localstripe):
    response = pay_page(client, order)
    page = response.content.decode()
    secret = stripe_api.v1.payment_intents.retrieve(order.provider_ref).client_secret
    assert f'data-client-secret="{secret}"' in page
    assert 'data-publishable-key="pk_test_lectern_suite"' in page
    assert f'data-return-url="{reverse("payments:return", args=[order.pk])}"' in page
    assert f'<script src="{localstripe.js_url}" defer></script>' in page
    assert re.search(r'<script src="/static/js/stripe-checkout[^"]*\.js" defer></script>', page)
    assert "<legend>Card details</legend>" in page and 'id="stripe-card"' in page
    assert 'role="alert"' in page
    assert re.search(r'<button type="submit" class="button button-wide" disabled>Pay \$49.00', page)
    form = page[page.index('<form id="stripe-payment-form"') :]
    form = form[: form.index("</form>")]
    assert "action=" not in form and "name=" not in form  # nothing is posted to Lectern


def test_stripes_origins_are_allowed_on_the_pay_page_only(client, order, localstripe):
    response = pay_page(client, order)
    for name in ("script-src", "frame-src", "connect-src"):
        assert localstripe.url in directive(response, name), name
    assert directive(response, "script-src")[0] == "'self'"  # still no inline script
    assert "'unsafe-inline'" not in directive(response, "script-src")

    course = order.course
    for url in (
        course.get_absolute_url(),
        reverse("payments:checkout", args=[course.slug]),
        reverse("payments:return", args=[order.pk]),
        reverse("payments:order", args=[order.pk]),
        reverse("payments:orders"),
    ):
        other = client.get(url)
        assert localstripe.url not in other["Content-Security-Policy"], url
        assert "stripe" not in other["Content-Security-Policy"], url


def test_the_client_secret_is_shown_to_the_buyer_only(client, order, other_student):
    client.force_login(other_student)
    response = pay_page(client, order)
    assert response.status_code == 404
    assert b"secret" not in response.content


def test_a_payment_made_but_not_yet_reported_shows_no_card_field(
    client, order, stripe_api, student
):
    """Paid at Stripe, the webhook still on its way: a second payment is not offered."""
    pay_at_stripe(stripe_api, order.provider_ref)
    page = pay_page(client, order).content.decode()
    assert "We have your payment and are confirming it." in page
    assert "stripe-payment-form" not in page and "data-client-secret" not in page
    assert reverse("payments:return", args=[order.pk]) in page


def test_stripe_unreachable_shows_a_sentence_not_an_error_page(client, order, stripe_settings):
    stripe_settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    response = pay_page(client, order)
    assert response.status_code == 200
    page = response.content.decode()
    assert re.search(r'role="alert">We could not reach our card processor', page)
    assert "stripe-payment-form" not in page


def test_a_payment_canceled_at_stripe_sends_the_buyer_back_to_checkout(client, order, stripe_api):
    stripe_api.v1.payment_intents.cancel(order.provider_ref)
    page = pay_page(client, order).content.decode()
    assert "This payment was canceled. Start the checkout again." in page
    assert reverse("payments:checkout", args=[order.course.slug]) in page


def test_the_pay_page_has_a_query_budget(client, order, django_assert_max_num_queries):
    services.start_checkout(user=order.buyer, course=paid_course("5.00"))  # more data
    with django_assert_max_num_queries(8):
        assert pay_page(client, order).status_code == 200
