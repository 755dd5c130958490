"""Stripe, through its official library: a PaymentIntent per order, confirmed in the
buyer's browser by Stripe.js on Lectern's own pay page (the card number goes from the
browser to Stripe, never to Lectern), and settled by Stripe's signed webhook
(payments.stripe_events), never by the browser.

Every call goes to ``STRIPE_API_BASE`` (empty: Stripe's real API; localstripe in the
suite) with ``STRIPE_SECRET_KEY``. Network calls happen outside database transactions
(payments.services calls ``start`` and ``refund`` that way); both carry an idempotency
key made from the order, so a retried call (by the library after a dropped connection,
or by a second checkout of the same order) never makes a second intent or refund.
"""

import logging
from functools import lru_cache, wraps
from urllib.parse import urlsplit

import stripe
from csp.decorators import csp_update
from django.conf import settings
from django.urls import reverse

from payments.models import Order
from payments.money import to_minor
from payments.providers import ProviderError

logger = logging.getLogger("payments")

# Stripe's documented Content Security Policy for Stripe.js and its card field
# (docs.stripe.com/security/guide, "Content Security Policy"), less the Google Maps
# origins only its address field uses.
STRIPE_CSP = {
    "script-src": ["https://js.stripe.com", "https://*.js.stripe.com"],
    "frame-src": ["https://js.stripe.com", "https://*.js.stripe.com", "https://hooks.stripe.com"],
    "connect-src": ["https://api.stripe.com"],
}
# The PaymentIntent states in which the buyer has done their part: the webhook follows.
PAID_OR_PAYING = ("succeeded", "processing", "requires_capture")
NETWORK_RETRIES = 2  # the library retries dropped connections and 5xx, same idempotency key
TIMEOUT_SECONDS = 20


@lru_cache(maxsize=4)
def _client(secret_key: str, api_base: str) -> stripe.StripeClient:
    return stripe.StripeClient(
        secret_key,
        base_addresses={"api": api_base} if api_base else None,
        max_network_retries=NETWORK_RETRIES,
        http_client=stripe.new_default_http_client(timeout=TIMEOUT_SECONDS),
    )


def client() -> stripe.StripeClient:
    """The library's client for the configured key and API (one per configuration, so
    connections are reused)."""
    if not settings.STRIPE_SECRET_KEY:
        logger.error("STRIPE_SECRET_KEY is not set: Stripe payments cannot start.")
        raise ProviderError("Card payments are not available right now. Please try later.")
    return _client(settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE)


def idempotency_key(order: Order, action: str) -> str:
    """The same for every attempt at ``action`` on ``order``; never the same for another
    order, even after the database starts again from order 1 (the creation time)."""
    return f"lectern-order-{order.pk}-{order.created_at.timestamp():.6f}-{action}"


def _refusal(error: stripe.StripeError, doing: str) -> ProviderError:
    """Log Stripe's error in full; give the buyer or staff a sentence they can act on."""
    logger.error(
        "Stripe refused to %s: %s (%s, HTTP %s, request %s)",
        doing,
        error.user_message or str(error),
        type(error).__name__,
        error.http_status,
        error.request_id,
    )
    if isinstance(error, stripe.APIConnectionError):
        return ProviderError("We could not reach our card processor. Please try again shortly.")
    if isinstance(error, (stripe.AuthenticationError, stripe.PermissionError)):
        return ProviderError("Card payments are not available right now. Please try later.")
    if isinstance(error, stripe.RateLimitError):
        return ProviderError("Our card processor is busy. Please try again in a minute.")
    return ProviderError(f"Our card processor could not {doing}. Please try again later.")


class StripeProvider:
    name = Order.Provider.STRIPE

    def start(self, order: Order) -> str:
        """Create the order's PaymentIntent; return its id (the order's provider_ref)."""
        params = {
            "amount": to_minor(order.amount, order.currency),
            "currency": order.currency.lower(),
            # The pay page's card field (Stripe.js); a wallet or bank method would need
            # more than a card field to confirm.
            "payment_method_types": ["card"],
            # The webhook checks these against the order it finds by the intent's id.
            "metadata": {
                "order_id": str(order.pk),
                "buyer_id": str(order.buyer_id),
                "course_id": str(order.course_id),
            },
        }
        try:
            intent = client().v1.payment_intents.create(
                params=params, options={"idempotency_key": idempotency_key(order, "start")}
            )
        except stripe.StripeError as error:
            raise _refusal(error, "start the payment") from error
        logger.info("Order %s: Stripe PaymentIntent %s created", order.pk, intent.id)
        return intent.id

    def refund(self, order: Order) -> None:
        """Refund the whole payment (staff refunds; Stripe's own refunds come by webhook)."""
        if not order.provider_ref:
            raise ProviderError("This order has no Stripe payment to refund.")
        try:
            refund = client().v1.refunds.create(
                params={
                    "payment_intent": order.provider_ref,
                    "metadata": {"order_id": str(order.pk)},
                },
                options={"idempotency_key": idempotency_key(order, "refund")},
            )
        except stripe.StripeError as error:
            raise _refusal(error, "refund the payment") from error
        if refund.status in ("failed", "canceled"):
            logger.error("Order %s: Stripe refund %s is %s", order.pk, refund.id, refund.status)
            raise ProviderError(f"Stripe did not refund the payment (it is {refund.status}).")
        logger.info("Order %s: Stripe refund %s is %s", order.pk, refund.id, refund.status)

    def intent(self, order: Order):
        """The order's PaymentIntent as Stripe has it now (never stored: the client secret
        stays at Stripe until a pay page needs it)."""
        if not order.provider_ref:
            raise ProviderError("This order's payment has not started. Start the checkout again.")
        try:
            intent = client().v1.payment_intents.retrieve(order.provider_ref)
        except stripe.StripeError as error:
            raise _refusal(error, "load the payment") from error
        if intent.to_dict().get("metadata", {}).get("order_id") != str(order.pk):
            logger.error("Order %s: PaymentIntent %s names another order", order.pk, intent.id)
            raise ProviderError("This payment does not belong to this order.")
        return intent

    def client_secret(self, order: Order) -> str:
        return self.intent(order).client_secret

    def page_context(self, order: Order) -> dict:
        """What templates/payments/pay_stripe.html needs (the pay page includes it): the
        client secret, asked of Stripe for each page view; "stripe_paid" once the buyer
        has paid (the webhook is on its way); "stripe_error" if Stripe cannot be asked."""
        context = {
            "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
            "stripe_js_url": settings.STRIPE_JS_URL,
            "return_url": reverse("payments:return", args=[order.pk]),
        }
        try:
            intent = self.intent(order)
        except ProviderError as error:
            return {**context, "stripe_error": str(error)}
        if intent.status == "canceled":  # (at Stripe: the order is still pending here)
            return {
                **context,
                "stripe_error": "This payment was canceled. Start the checkout again.",
                "stripe_retry_url": reverse("payments:checkout", args=[order.course.slug]),
            }
        return {
            **context,
            "client_secret": intent.client_secret,
            "stripe_status": intent.status,
            "stripe_paid": intent.status in PAID_OR_PAYING,
        }


def pay_context(order: Order) -> dict:
    return StripeProvider().page_context(order)


# --- The pay page's Content Security Policy ----------------------------------------------------
def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def csp_directives() -> dict[str, list[str]]:
    """Stripe's origins, or, where STRIPE_JS_URL and STRIPE_API_BASE point elsewhere
    (localstripe in tests; DEBUG=0 refuses that, lms.E007), those origins instead."""
    if not settings.STRIPE_API_BASE and _origin(settings.STRIPE_JS_URL) == "https://js.stripe.com":
        return {name: list(origins) for name, origins in STRIPE_CSP.items()}
    js = _origin(settings.STRIPE_JS_URL)
    api = _origin(settings.STRIPE_API_BASE) if settings.STRIPE_API_BASE else js
    return {"script-src": [js], "frame-src": [js], "connect-src": sorted({js, api})}


def allow_stripe(view):
    """django-csp's ``csp_update`` with Stripe's origins, for the pay page only: every
    other page keeps the site's policy (no third-party script at all). The origins are
    read when the page is served, so settings changed in tests apply."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        return csp_update(csp_directives())(view)(request, *args, **kwargs)

    return wrapped
