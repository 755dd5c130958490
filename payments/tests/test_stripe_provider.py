"""The Stripe provider against localstripe: real PaymentIntents and refunds made by the
stripe library over HTTP; Stripe's refusals become sentences a person can act on."""

import http.server
import logging
import threading
import urllib.request
from decimal import Decimal

import pytest

from catalog.tests.factories import published_course
from payments import services
from payments.models import Order
from payments.providers import ProviderError, get_provider
from payments.providers.stripe import STRIPE_CSP, StripeProvider, csp_directives
from payments.tests.conftest import card, pay_at_stripe

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(instructor):
    return published_course(instructor=instructor, price=Decimal("49.99"))


def intents_of(stripe_api, order) -> list:
    """Every PaymentIntent localstripe holds for ``order`` (by its metadata)."""
    listed = stripe_api.v1.payment_intents.list(params={"limit": 100})
    return [i for i in listed.data if i.metadata.to_dict().get("order_id") == str(order.pk)]


def test_checkout_creates_a_payment_intent_at_stripe(stripe_settings, stripe_api, student, course):
    order = services.start_checkout(user=student, course=course)
    assert order.provider == Order.Provider.STRIPE
    assert order.status == Order.Status.PENDING
    assert order.provider_ref.startswith("pi_")
    intent = stripe_api.v1.payment_intents.retrieve(order.provider_ref)
    assert (intent.amount, intent.currency) == (4999, "usd")
    assert intent.metadata.to_dict() == {
        "order_id": str(order.pk),
        "buyer_id": str(student.pk),
        "course_id": str(course.pk),
    }
    assert intent.status == "requires_payment_method"  # the buyer's browser pays it


def test_a_zero_decimal_currency_is_sent_in_whole_units(
    stripe_settings, stripe_api, student, instructor
):
    stripe_settings.CURRENCY = "JPY"
    course = published_course(instructor=instructor, price=Decimal("1200"))
    order = services.start_checkout(user=student, course=course)
    intent = stripe_api.v1.payment_intents.retrieve(order.provider_ref)
    assert (intent.amount, intent.currency) == (1200, "jpy")


def test_a_second_checkout_makes_no_second_intent(stripe_settings, stripe_api, student, course):
    """A double click or a reload of checkout continues the same order and payment."""
    first = services.start_checkout(user=student, course=course)
    second = services.start_checkout(user=student, course=course)
    assert second.pk == first.pk and second.provider_ref == first.provider_ref
    assert [i.id for i in intents_of(stripe_api, first)] == [first.provider_ref]


class Recorder(http.server.ThreadingHTTPServer):
    """A pass-through between the stripe library and localstripe that notes each
    request's Idempotency-Key (localstripe ignores the header; Stripe honours it)."""

    def __init__(self, upstream: str):
        self.upstream, self.seen = upstream, []
        super().__init__(("127.0.0.1", 0), RecordingHandler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"


class RecordingHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.relay(None)

    def do_POST(self):
        self.relay(self.rfile.read(int(self.headers.get("Content-Length", 0))))

    def relay(self, body):
        self.server.seen.append((self.command, self.path, self.headers.get("Idempotency-Key")))
        forwarded = urllib.request.Request(  # noqa: S310 (localstripe, on loopback)
            self.server.upstream + self.path,
            data=body,
            method=self.command,
            headers={k: v for k, v in self.headers.items() if k.lower() != "host"},
        )
        with urllib.request.urlopen(forwarded, timeout=10) as answer:  # noqa: S310 (loopback)
            data = answer.read()
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def recorder(stripe_settings, localstripe):
    server = Recorder(localstripe.url)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stripe_settings.STRIPE_API_BASE = server.url
    yield server
    server.shutdown()
    server.server_close()


def test_a_retried_start_or_refund_sends_the_same_idempotency_key(
    recorder, stripe_api, student, course
):
    """Should Lectern ask twice (a lost answer, a crash before the intent's id was
    stored), Stripe answers the second request with the first one's intent or refund."""
    order = services.start_checkout(user=student, course=course)
    provider = StripeProvider()
    provider.start(order)  # the retry
    pay_at_stripe(stripe_api, order.provider_ref)
    provider.refund(order)
    provider.refund(order)  # the retry
    other = services.start_checkout(user=student, course=published_course(price=Decimal("5")))

    def keys(path):
        return [key for method, seen, key in recorder.seen if method == "POST" and seen == path]

    starts, refunds = keys("/v1/payment_intents"), keys("/v1/refunds")
    assert len(starts) == 3 and starts[0] == starts[1] != starts[2]  # the third: `other`
    assert f"order-{order.pk}-" in starts[0] and f"order-{other.pk}-" in starts[2]
    assert len(refunds) == 2 and refunds[0] == refunds[1] != starts[0]


def test_an_unreachable_stripe_refuses_the_checkout_with_a_sentence(
    stripe_settings, student, course, caplog
):
    stripe_settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    with pytest.raises(services.CheckoutRefused, match="could not reach our card processor"):
        services.start_checkout(user=student, course=course)
    order = Order.objects.get(buyer=student, course=course)
    assert order.status == Order.Status.FAILED  # the coupon use, if any, given back
    assert "Stripe refused to start the payment" in caplog.text


def test_a_key_stripe_refuses_is_logged_and_not_shown(stripe_settings, student, course, caplog):
    stripe_settings.STRIPE_SECRET_KEY = "pk_test_a_publishable_key_by_mistake"
    with (
        caplog.at_level(logging.ERROR, logger="payments"),
        pytest.raises(services.CheckoutRefused) as refusal,
    ):
        services.start_checkout(user=student, course=course)
    assert str(refusal.value) == "Card payments are not available right now. Please try later."
    assert "AuthenticationError" in caplog.text


def test_without_a_secret_key_no_checkout_starts(stripe_settings, student, course):
    stripe_settings.STRIPE_SECRET_KEY = ""
    with pytest.raises(services.CheckoutRefused, match="not available right now"):
        services.start_checkout(user=student, course=course)


def test_a_refund_stripe_refuses_changes_nothing(stripe_settings, student, course):
    """An intent that was never paid cannot be refunded: the order stays paid and the
    buyer keeps the course (staff see the sentence)."""
    order = services.start_checkout(user=student, course=course)
    services.settle_paid(order=order, amount_minor=4999, currency="USD", reference="")
    order.refresh_from_db()
    with pytest.raises(ProviderError, match="could not refund the payment"):
        services.refund(order=order, reason="Asked for it")
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert student.enrollments.filter(course=course).exists()


def test_the_client_secret_is_asked_for_never_stored(stripe_settings, stripe_api, student, course):
    order = services.start_checkout(user=student, course=course)
    secret = StripeProvider().client_secret(order)
    assert secret == stripe_api.v1.payment_intents.retrieve(order.provider_ref).client_secret
    stored = Order.objects.filter(pk=order.pk).values().get()
    assert all(secret not in str(value) for value in stored.values())


def test_an_intent_of_another_order_gives_no_client_secret(stripe_settings, student, course):
    order = services.start_checkout(user=student, course=course)
    other = services.start_checkout(user=student, course=published_course(price=Decimal("9")))
    Order.objects.filter(pk=other.pk).update(provider_ref="")
    Order.objects.filter(pk=order.pk).update(provider_ref=other.provider_ref)
    order.refresh_from_db()
    with pytest.raises(ProviderError, match="does not belong to this order"):
        StripeProvider().client_secret(order)


def test_the_provider_is_found_by_name(stripe_settings):
    assert isinstance(get_provider("stripe"), StripeProvider)
    assert get_provider().name == "stripe"


def test_stripes_own_origins_in_production(settings):
    settings.STRIPE_API_BASE = ""
    settings.STRIPE_JS_URL = "https://js.stripe.com/v3/"
    assert csp_directives() == STRIPE_CSP
    assert "https://js.stripe.com" in csp_directives()["script-src"]
    assert csp_directives()["connect-src"] == ["https://api.stripe.com"]


def test_localstripes_origin_in_tests(stripe_settings, localstripe):
    assert csp_directives() == {
        "script-src": [localstripe.url],
        "frame-src": [localstripe.url],
        "connect-src": [localstripe.url],
    }


def test_a_payment_method_is_made_by_stripe_not_lectern(stripe_api):
    """The suite's cards are PaymentMethods at (local)Stripe: Lectern never sees a number."""
    method = card(stripe_api)
    assert method.id.startswith("pm_") and method.card.last4 == "4242"
