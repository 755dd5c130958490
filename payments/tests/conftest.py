"""Stripe against localstripe: a fake but stateful Stripe server the suite starts on a free
port (scripts/harness.py ``Localstripe``). The stripe library makes real HTTP calls to
it, and it POSTs real signed webhooks to the live server; nothing is patched.

Without localstripe the Stripe tests are skipped locally and fail under CI=true. Every
other payments test runs on the built-in test provider.
"""

import json
import os
import sys
import time
from pathlib import Path

import pytest
import stripe
from django.core import mail
from django.db import OperationalError
from django.urls import reverse

from payments.models import ProviderEvent

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from harness import Localstripe  # noqa: E402

IN_CI = os.environ.get("CI", "").lower() == "true"
WEBHOOK_SECRET = "whsec_lectern_suite"
# What the README tells an operator to register.
STRIPE_EVENTS = [
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "charge.refunded",
]


@pytest.fixture(autouse=True)
def _test_provider(settings):
    """The built-in test provider, whatever the environment says (CI's production-like
    settings tests set their own); ``stripe_settings`` switches to Stripe."""
    settings.PAYMENTS_PROVIDER = "test"
    settings.CURRENCY = "USD"
    settings.SITE_URL = "http://testserver"
    mail.outbox.clear()


@pytest.fixture(scope="session")
def localstripe(tmp_path_factory):
    if Localstripe.find() is None:
        message = "localstripe is not installed (pip install -r requirements-dev.txt)"
        if IN_CI:
            pytest.fail(f"CI=true: {message}; the Stripe tests must run in CI")
        pytest.skip(f"{message}; under CI=true this fails")
    server = Localstripe(log=tmp_path_factory.mktemp("localstripe") / "localstripe.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def stripe_settings(settings, localstripe):
    """The site sells with Stripe, and "Stripe" is localstripe, empty (the database's
    ids start again in each test; localstripe's objects must not outlive them)."""
    localstripe.flush()
    settings.PAYMENTS_PROVIDER = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_lectern_suite"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_lectern_suite"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = localstripe.url
    settings.STRIPE_JS_URL = localstripe.js_url
    return settings


# localstripe sends an event a second after what caused it, to the URL configured *then*.
DELIVERY_DELAY = 1.0
_last_payment_at = [0.0]  # time.monotonic() of the suite's last payment at localstripe


def _settle_in_flight_events() -> None:
    """Wait until events caused before now have been sent (to wherever they go)."""
    time.sleep(max(0.0, _last_payment_at[0] + DELIVERY_DELAY + 0.5 - time.monotonic()))


@pytest.fixture
def stripe_webhooks(stripe_settings, live_server, localstripe):
    """localstripe POSTs its signed events to this test's live server, and only this
    test's: events of earlier tests are sent (to nowhere) first, and afterwards the
    webhook points nowhere again, so a late event cannot reach another test's database."""
    _settle_in_flight_events()
    localstripe.configure_webhook(
        live_server.url + reverse("payments:stripe_webhook"), WEBHOOK_SECRET, STRIPE_EVENTS
    )
    yield live_server
    localstripe.configure_webhook(localstripe.url + "/_nowhere", WEBHOOK_SECRET, STRIPE_EVENTS)
    _last_payment_at[0] = time.monotonic()  # the browser may have paid too


@pytest.fixture
def stripe_api(stripe_settings):
    """The stripe library's client, talking to localstripe: what a test does "at Stripe"
    (a card, a confirmation) goes through the same API as Lectern's own calls."""
    return stripe.StripeClient(
        stripe_settings.STRIPE_SECRET_KEY, base_addresses={"api": stripe_settings.STRIPE_API_BASE}
    )


def card(stripe_api, number: str = "4242424242424242"):
    """A PaymentMethod for a test card (localstripe's decline numbers: 4000000000000341)."""
    return stripe_api.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"},
        }
    )


def pay_at_stripe(stripe_api, intent_id: str, number: str = "4242424242424242"):
    """What Stripe.js does in the buyer's browser: attach the card, confirm. (localstripe
    answers 500 to a card given with the confirmation, so it is attached first.)"""
    method = card(stripe_api, number)
    stripe_api.v1.payment_intents.update(intent_id, params={"payment_method": method.id})
    try:
        return stripe_api.v1.payment_intents.confirm(intent_id)
    except stripe.CardError as declined:
        return declined
    finally:
        _last_payment_at[0] = time.monotonic()


def wait_until(check, *, seconds: float = 15, what: str = "the webhook"):
    """Poll ``check`` until it is true (the webhook is asynchronous: localstripe sends it
    a second after the payment).

    On SQLite the live server shares the test's in-memory database connection, so a
    query may meet the webhook's transaction half-way ("table is locked"): that counts
    as "not yet".
    """
    deadline = time.monotonic() + seconds
    while True:
        try:
            value = check()
        except OperationalError:
            value = None
        if value:
            return value
        assert time.monotonic() < deadline, f"{what} did not arrive within {seconds} s"
        time.sleep(0.2)


def handled(event_type: str, order) -> ProviderEvent | None:
    """The ProviderEvent of ``event_type`` for ``order``, once its handling is over."""
    return (
        ProviderEvent.objects.filter(type=event_type, order=order)
        .exclude(outcome="processing")
        .first()
    )


def signed(event: dict, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None):
    """A payload and its Stripe-Signature header, made with the stripe library's own
    scheme (t=...,v1=HMAC-SHA256 of "t.payload"). Only for events localstripe cannot
    send (forged, replayed, mismatched); the happy path uses localstripe's own."""
    payload = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp)
    return payload, header


def intent_event(intent, event_type: str = "payment_intent.succeeded", **changes) -> dict:
    """An event of ``event_type`` about ``intent`` (as localstripe has it), with ``changes``
    applied to the intent: a tampered amount, another order's metadata."""
    data = intent.to_dict()
    data.update(changes)
    return {
        "id": f"evt_suite_{time.monotonic_ns()}",
        "object": "event",
        "type": event_type,
        "created": int(time.time()),
        "livemode": False,
        "data": {"object": data},
    }
