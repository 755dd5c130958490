"""Checkout, fulfilment and refunds: every change to an order goes through here.

The price is the server's: ``quote()`` computes it from the course's price and a coupon,
and ``start_checkout()`` freezes it on a pending order. A provider (Stripe, or the test
provider) then reports the outcome, and ``settle_paid()`` checks it against the order
(amount, currency, reference, buyer) before it moves the order to paid and enrols the
buyer, in one transaction, exactly once: the move is a guarded UPDATE under the order's
row lock, so redelivered or concurrent webhooks and double clicks find it done.
"""

import logging
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from catalog.models import Course
from learning import services as learning
from learning.models import Enrollment
from lms.lib.emails import absolute, queue_email
from payments.models import Coupon, CouponRedemption, Order
from payments.money import quantize, to_minor
from payments.providers import ProviderError, get_provider

logger = logging.getLogger("payments")


class CheckoutRefused(PermissionDenied):
    """This person cannot start a checkout for this course; the message says why."""


class CouponInvalid(Exception):
    """The coupon cannot be used here; the message says why."""


class PaymentMismatch(Exception):
    """A provider's report does not match the order: logged and refused, never fulfilled."""


@dataclass(frozen=True)
class Quote:
    list_price: Decimal
    discount: Decimal
    amount: Decimal
    currency: str
    coupon: Coupon | None


# --- Coupons and prices ---------------------------------------------------------------------
def find_coupon(code: str, *, course: Course, user, now=None) -> Coupon:
    """The usable coupon called ``code`` for ``course`` and ``user``, else CouponInvalid."""
    now = now or timezone.now()
    code = (code or "").strip().upper()
    coupon = Coupon.objects.filter(code=code, is_active=True).first() if code else None
    if coupon is None or (coupon.course_id is not None and coupon.course_id != course.pk):
        raise CouponInvalid("This coupon code is not valid for this course.")
    if coupon.starts_at and now < coupon.starts_at:
        raise CouponInvalid("This coupon is not valid yet.")
    if coupon.ends_at and now >= coupon.ends_at:
        raise CouponInvalid("This coupon has expired.")
    redemption = (
        CouponRedemption.objects.filter(coupon=coupon, user=user).select_related("order").first()
        if user.is_authenticated
        else None
    )
    # The buyer's own pending order for this course already holds a use of the coupon (a
    # reload, a double click, a second tab): it is theirs to go on with, not "used".
    held = (
        redemption is not None
        and redemption.order.status == Order.Status.PENDING
        and redemption.order.course_id == course.pk
    )
    if held:
        return coupon
    if coupon.max_uses is not None and coupon.used_count >= coupon.max_uses:
        raise CouponInvalid("This coupon has been used up.")
    if redemption is not None:
        raise CouponInvalid("You have already used this coupon.")
    return coupon


def quote(*, course: Course, user, coupon_code: str = "") -> Quote:
    """What ``user`` pays for ``course`` today, with ``coupon_code`` if it is valid."""
    currency = settings.CURRENCY.upper()
    price = quantize(course.price, currency)
    coupon = find_coupon(coupon_code, course=course, user=user) if coupon_code else None
    discount = quantize(coupon.discount_on(price), currency) if coupon else Decimal("0.00")
    return Quote(price, discount, price - discount, currency, coupon)


# --- Checkout ---------------------------------------------------------------------------------
def start_checkout(*, user, course: Course, coupon_code: str = "") -> Order:
    """A pending order for ``user`` and ``course`` at the server's price, with its payment
    started at the provider; an order of 0 (a 100 % coupon) is paid at once.

    A second call while an order at the same price is pending returns that order (a
    double click, a reload); a different price (a coupon, a changed course price) cancels
    it and starts anew. Raises CheckoutRefused or CouponInvalid with a message.
    """
    if not user.is_authenticated:
        raise CheckoutRefused("Log in to buy this course.")
    if not course.is_published:
        raise CheckoutRefused("This course is not open for enrolment.")
    if course.is_free:
        raise CheckoutRefused("This course is free: enrol without a checkout.")
    if Enrollment.objects.filter(user=user, course=course).exists():
        raise CheckoutRefused("You are already enrolled in this course.")
    price = quote(course=course, user=user, coupon_code=coupon_code)
    try:
        order, created = _open_order(user=user, course=course, price=price)
    except IntegrityError:  # a concurrent checkout created the open order first
        # (already paid, if it cost nothing: a double-clicked 100 % coupon)
        order = Order.objects.get(
            buyer=user, course=course, status__in=[Order.Status.PENDING, Order.Status.PAID]
        )
        created = False
    if order.status == Order.Status.PAID or (not created and order.provider_ref):
        return order
    provider = get_provider(order.provider)
    try:
        reference = provider.start(order)
    except ProviderError as error:
        settle_failed(order=order, reason=str(error))
        raise CheckoutRefused(str(error)) from error
    Order.objects.filter(pk=order.pk, provider_ref="").update(provider_ref=reference)
    order.refresh_from_db()
    return order


@transaction.atomic
def _open_order(*, user, course: Course, price: Quote) -> tuple[Order, bool]:
    current = (
        Order.objects.select_for_update()
        .filter(buyer=user, course=course, status__in=[Order.Status.PENDING, Order.Status.PAID])
        .first()
    )
    if current is not None and current.status == Order.Status.PAID:
        raise CheckoutRefused("You have already bought this course.")
    if current is not None:
        same = (current.amount, current.currency, current.coupon_id) == (
            price.amount,
            price.currency,
            price.coupon.pk if price.coupon else None,
        )
        if same:
            return current, False
        _close(current, Order.Status.CANCELED, "Replaced by a new checkout.")
    free = price.amount == 0
    order = Order.objects.create(
        buyer=user,
        buyer_email=user.email,
        course=course,
        course_title=course.title,
        list_price=price.list_price,
        discount=price.discount,
        amount=price.amount,
        currency=price.currency,
        coupon=price.coupon,
        provider=Order.Provider.FREE if free else settings.PAYMENTS_PROVIDER,
    )
    if price.coupon is not None:
        _take_coupon_use(order=order, coupon=price.coupon, user=user)
    if free:
        _fulfil(order)
    return order, True


def _take_coupon_use(*, order: Order, coupon: Coupon, user) -> None:
    """Hold one use of ``coupon`` for ``order``: within its limit and once per buyer, under
    concurrency too (a guarded UPDATE and a unique row)."""
    within_limit = Q(max_uses__isnull=True) | Q(used_count__lt=F("max_uses"))
    if not Coupon.objects.filter(within_limit, pk=coupon.pk).update(used_count=F("used_count") + 1):
        raise CouponInvalid("This coupon has been used up.")
    try:
        with transaction.atomic():
            CouponRedemption.objects.create(coupon=coupon, user=user, order=order)
    except IntegrityError:
        raise CouponInvalid("You have already used this coupon.") from None


def _close(order: Order, status: str, reason: str) -> bool:
    """pending (or failed) → ``status``, giving its coupon use back. False if already moved."""
    moved = Order.objects.filter(
        pk=order.pk, status__in=[Order.Status.PENDING, Order.Status.FAILED]
    ).update(status=status, failure_reason=reason[:300], updated_at=timezone.now())
    if moved and order.coupon_id and CouponRedemption.objects.filter(order=order).delete()[0]:
        Coupon.objects.filter(pk=order.coupon_id).update(used_count=F("used_count") - 1)
    return bool(moved)


# --- Outcomes reported by a provider ------------------------------------------------------------
def settle_paid(*, order: Order, amount_minor: int, currency: str, reference: str = "") -> bool:
    """The provider says ``order`` was paid ``amount_minor`` in ``currency``.

    Checks the report against the order; a mismatch raises PaymentMismatch (logged, the
    order unchanged). Returns True if this call fulfilled the order, False if it was
    already paid (a redelivery). Enrolment, the order's move and the receipt email
    commit together.
    """
    with transaction.atomic():
        # Lock the order's row only: the buyer is an outer join (kept orders outlive
        # accounts), and PostgreSQL refuses FOR UPDATE on the nullable side of one.
        order = (
            Order.objects.select_for_update(of=("self",))
            .select_related("course", "buyer")
            .get(pk=order.pk)
        )
        if order.status == Order.Status.PAID:
            return False
        problems = []
        if order.status not in (Order.Status.PENDING, Order.Status.FAILED):
            problems.append(f"the order is {order.status}")
        if reference and order.provider_ref and reference != order.provider_ref:
            problems.append(f"reference {reference} is not the order's {order.provider_ref}")
        if currency.upper() != order.currency:
            problems.append(f"currency {currency.upper()} is not the order's {order.currency}")
        if amount_minor != to_minor(order.amount, order.currency):
            problems.append(f"{amount_minor} minor units is not the order's {order.amount}")
        if order.buyer is None:
            problems.append("the buyer's account no longer exists")
        if problems:
            logger.error("Payment for order %s refused: %s", order.pk, "; ".join(problems))
            raise PaymentMismatch("; ".join(problems))
        return _fulfil(order)


def _fulfil(order: Order) -> bool:
    """Move ``order`` to paid and enrol its buyer (inside the caller's transaction)."""
    now = timezone.now()
    moved = Order.objects.filter(
        pk=order.pk, status__in=[Order.Status.PENDING, Order.Status.FAILED]
    ).update(status=Order.Status.PAID, paid_at=now, failure_reason="", updated_at=now)
    if not moved:
        return False
    order.status, order.paid_at = Order.Status.PAID, now
    learning.enroll_paid(user=order.buyer, course=order.course, price_paid=order.amount)
    queue_email(
        template="receipt",
        to=order.buyer_email,
        context=receipt_context(order),
    )
    return True


def settle_failed(*, order: Order, reason: str) -> bool:
    """The payment was declined or abandoned: pending → failed, the coupon use given back."""
    with transaction.atomic():
        return _close(order, Order.Status.FAILED, reason or "The payment was declined.")


def cancel(*, order: Order) -> bool:
    """The buyer gave up on a pending order."""
    with transaction.atomic():
        return _close(order, Order.Status.CANCELED, "Canceled by the buyer.")


# --- Refunds ----------------------------------------------------------------------------------
def refund(*, order: Order, reason: str = "", from_provider: bool = False) -> bool:
    """Refund a paid order: the provider gives the money back (unless it told us of the
    refund itself), then the order moves to refunded and the buyer's access ends (their
    progress is kept). False if it was not paid (already refunded: a redelivery)."""
    if order.status != Order.Status.PAID:
        return False
    if not from_provider:
        get_provider(order.provider).refund(order)  # ProviderError: nothing changed
    with transaction.atomic():
        now = timezone.now()
        moved = Order.objects.filter(pk=order.pk, status=Order.Status.PAID).update(
            status=Order.Status.REFUNDED,
            refunded_at=now,
            refund_reason=reason[:300],
            updated_at=now,
        )
        if not moved:
            return False
        enrollment = Enrollment.objects.filter(user=order.buyer, course=order.course).first()
        if enrollment is not None:
            learning.remove_enrollment(enrollment=enrollment)
        queue_email(template="refund", to=order.buyer_email, context=receipt_context(order))
    return True


def receipt_context(order: Order) -> dict:
    return {
        "order_id": order.pk,
        "course": order.course_title,
        "list_price": str(order.list_price),
        "discount": str(order.discount),
        "amount": str(order.amount),
        "currency": order.currency,
        "coupon": order.coupon.code if order.coupon_id else "",
        "paid_at": order.paid_at.isoformat() if order.paid_at else "",
        "order_url": absolute(order.get_absolute_url()),
    }
