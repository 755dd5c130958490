"""Stripe's webhook events: verified, handled once, checked against the order.

``verify()`` accepts only a payload signed with ``STRIPE_WEBHOOK_SECRET`` within Stripe's
timestamp tolerance (``stripe.Webhook.construct_event``). ``process()`` records the
event's id and handles it in one transaction: a redelivery (the same id) finds the row
and does nothing, two deliveries at once meet on the row's unique constraint, and a crash
half-way leaves nothing, so Stripe's retry runs it all again.

Events may come in any order and are checked before anything moves:
- ``payment_intent.succeeded``: the order is the one whose provider_ref is the intent's
  id AND whose id the intent's metadata names (with its buyer and course); then
  ``services.settle_paid`` checks amount, currency and reference. A mismatch is logged,
  recorded as the event's outcome and answered 200 (Stripe would only send it again);
  the order is not fulfilled.
- ``payment_intent.payment_failed``: ``settle_failed`` with Stripe's message (a paid
  order stays paid).
- ``charge.refunded``, ``refund.created``/``refund.updated`` (a full, succeeded refund):
  ``services.refund(from_provider=True)`` ends the access. A refund that arrives before
  the payment is recorded, and applied once the payment's event comes.
"""

import logging

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction

from payments import services
from payments.models import Order, ProviderEvent
from payments.money import to_minor

logger = logging.getLogger("payments")

REFUND_EVENTS = ("charge.refunded", "refund.created", "refund.updated")
EARLY_REFUND = "refund recorded before the payment"  # an outcome _paid() looks for


class BadEvent(Exception):
    """Not a genuine Stripe event: a missing or wrong signature, an old timestamp, no
    webhook secret configured, or a body that is not an event."""


def verify(payload: bytes, signature: str | None) -> dict:
    """The event in ``payload`` as a dict, if Stripe signed it; else BadEvent."""
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:  # an empty key would let anyone sign
        raise BadEvent("STRIPE_WEBHOOK_SECRET is not set")
    if not signature:
        raise BadEvent("no Stripe-Signature header")
    try:
        event = stripe.Webhook.construct_event(payload.decode("utf-8"), signature, secret)
    except stripe.SignatureVerificationError as error:
        raise BadEvent(f"signature refused: {error.user_message or error}") from None
    except (ValueError, UnicodeDecodeError) as error:  # signed, but not JSON
        raise BadEvent(f"not an event: {error}") from None
    event = event.to_dict()
    if not event.get("id") or not event.get("type") or "object" not in event.get("data", {}):
        raise BadEvent("not an event: no id, type or data.object")
    return event


def process(event: dict) -> str:
    """Handle ``event`` once; its outcome (also stored on its ProviderEvent row)."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = ProviderEvent.objects.create(
                    provider=Order.Provider.STRIPE,
                    event_id=event["id"][:255],
                    type=event["type"][:100],
                    outcome="processing",
                )
        except IntegrityError:  # delivered before (or being handled right now)
            return "already handled"
        handler = HANDLERS.get(event["type"])
        if handler is None:
            order, outcome = None, "ignored: Lectern does not handle this event type"
        else:
            order, outcome = handler(event["data"]["object"], event)
        record.order, record.outcome = order, outcome[:300]
        record.save(update_fields=["order", "outcome"])
    logger.info("Stripe %s %s: %s", event["type"], event["id"], outcome)
    return outcome


def _refuse(order: Order | None, event: dict, problem: str) -> tuple[Order | None, str]:
    logger.error("Stripe %s %s refused: %s", event["type"], event["id"], problem)
    return order, f"refused: {problem}"


def _order_of_intent(intent: dict, event: dict) -> tuple[Order | None, str]:
    """The order paid by ``intent``, or a problem: the intent's id and its metadata must
    name the same order, and that order's buyer and course."""
    order = Order.objects.filter(provider=Order.Provider.STRIPE, provider_ref=intent["id"]).first()
    if order is None:
        return None, f"no order is paid by {intent['id']}"
    metadata = intent.get("metadata") or {}
    expected = {
        "order_id": str(order.pk),
        "buyer_id": str(order.buyer_id),
        "course_id": str(order.course_id),
    }
    wrong = [
        f"{key} {metadata.get(key)!r} (the order's is {value})"
        for key, value in expected.items()
        if metadata.get(key) != value
    ]
    if wrong:
        return order, f"{intent['id']} is order {order.pk}'s, but its metadata has " + ", ".join(
            wrong
        )
    return order, ""


def _paid(intent: dict, event: dict) -> tuple[Order | None, str]:
    order, problem = _order_of_intent(intent, event)
    if problem:
        return _refuse(order, event, problem)
    received = intent.get("amount_received")
    try:
        fulfilled = services.settle_paid(
            order=order,
            amount_minor=received if received is not None else intent.get("amount"),
            currency=intent.get("currency") or "",
            reference=intent["id"],
        )
    except services.PaymentMismatch as mismatch:  # settle_paid logged it
        return order, f"refused: {mismatch}"
    if not fulfilled:
        return order, "already paid"
    early_refund = ProviderEvent.objects.filter(
        provider=Order.Provider.STRIPE, order=order, outcome__startswith=EARLY_REFUND
    ).exists()
    if early_refund:  # the refund's event overtook the payment's: apply it now
        order.refresh_from_db()
        services.refund(order=order, reason="Refunded at Stripe.", from_provider=True)
        return order, "paid, then refunded (its refund was reported first)"
    return order, "paid: the buyer is enrolled"


def _failed(intent: dict, event: dict) -> tuple[Order | None, str]:
    order, problem = _order_of_intent(intent, event)
    if problem:
        return _refuse(order, event, problem)
    error = intent.get("last_payment_error") or {}
    reason = error.get("message") or "The payment was declined."
    if services.settle_failed(order=order, reason=reason):
        return order, f"failed: {reason}"
    return order, f"ignored: the order is {order.status}"


def _refunded(obj: dict, event: dict) -> tuple[Order | None, str]:
    """A charge (charge.refunded) or a refund (refund.*) for one of our intents."""
    intent_id = obj.get("payment_intent")
    order = (
        Order.objects.filter(provider=Order.Provider.STRIPE, provider_ref=intent_id).first()
        if intent_id
        else None
    )
    if order is None:
        return None, f"ignored: no order is paid by {intent_id}"
    if event["type"] == "charge.refunded":
        whole = bool(obj.get("refunded"))  # true once the whole charge is refunded
        refunded = obj.get("amount_refunded")
    else:
        if obj.get("status") != "succeeded":
            return order, f"ignored: the refund is {obj.get('status')}"
        refunded = obj.get("amount")
        whole = refunded == to_minor(order.amount, order.currency)
    if not whole:
        logger.warning("Order %s: partial refund of %s at Stripe", order.pk, refunded)
        return order, (
            f"ignored: a partial refund ({refunded} minor units); refund the order in "
            "Lectern's admin to end the access"
        )
    if order.status == Order.Status.PAID:
        services.refund(order=order, reason="Refunded at Stripe.", from_provider=True)
        return order, "refunded: the access ended"
    if order.status in (Order.Status.PENDING, Order.Status.FAILED):
        return order, f"{EARLY_REFUND} (the order is {order.status})"
    return order, f"ignored: the order is {order.status}"


HANDLERS = {
    "payment_intent.succeeded": _paid,
    "payment_intent.payment_failed": _failed,
    **dict.fromkeys(REFUND_EVENTS, _refunded),
}
