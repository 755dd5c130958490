"""Payments endpoints of the JSON API (lms/api.py mounts this router at /api/v1/): my
orders, one order, and a checkout.

They call what the web pages call (``payments.services.start_checkout``, the buyer-only
getter in ``payments.access``, the checkout page's form), so a forged price is never read
and an order is only its buyer's. Paying happens at the provider: with Stripe, the app
confirms the PaymentIntent with the client secret answered here (Stripe's mobile SDKs),
and Stripe's webhook settles the order as it does for the web; README, "API".
"""

from datetime import datetime
from decimal import Decimal
from typing import Literal

from django.conf import settings
from django.urls import reverse
from ninja import Field, Query, Router, Schema, Status

from catalog.access import get_visible_course
from learning.access import is_enrolled
from lms.lib.api import ApiError, Input, PageQuery, Problem, cleaned_or_422, paginate, token_auth
from payments import services
from payments.access import get_order_for_buyer
from payments.forms import CheckoutForm
from payments.models import Order
from payments.providers import ProviderError, get_provider

router = Router(tags=["Payments"], auth=token_auth)


# --- Schemas --------------------------------------------------------------------------------
class OrderCourseOut(Schema):
    slug: str
    title: str = Field(description="The course's title as it was sold.")


class OrderOut(Schema):
    id: int
    course: OrderCourseOut
    list_price: Decimal = Field(description="The course's price when the order was made.")
    discount: Decimal
    amount: Decimal = Field(description="What the order costs: list_price − discount.")
    currency: str = Field(description="ISO 4217, e.g. USD.")
    coupon: str | None = Field(description="The coupon's code, if one was used.")
    status: Literal["pending", "paid", "failed", "canceled", "refunded"]
    provider: Literal["stripe", "test", "free"] = Field(
        description="Who takes the payment; `free` for an order a coupon made 0."
    )
    failure_reason: str
    refund_reason: str
    created_at: datetime
    paid_at: datetime | None
    refunded_at: datetime | None
    receipt_url: str = Field(description="The order's page on the site (for its buyer).")


class OrderPage(Schema):
    count: int
    page: int
    pages: int
    results: list[OrderOut]


class CheckoutIn(Input):
    coupon: str = Field(
        "", max_length=32, description="A coupon code (any case). Nothing else is taken."
    )


class CheckoutOut(Schema):
    order: OrderOut
    provider: Literal["stripe", "test", "free"]
    client_secret: str | None = Field(
        description="Stripe: the PaymentIntent's client secret, to confirm the payment "
        "with Stripe's SDK; null for the test provider and for a paid (free) order."
    )
    publishable_key: str | None = Field(description="Stripe's publishable key; else null.")
    pay_url: str | None = Field(
        description="The site's pay page for a pending order (its buyer, signed in on the "
        "site); null once the order is settled."
    )


# --- Helpers --------------------------------------------------------------------------------
def _order(request, order: Order) -> dict:
    return {
        "id": order.pk,
        "course": {"slug": order.course.slug, "title": order.course_title},
        "list_price": order.list_price,
        "discount": order.discount,
        "amount": order.amount,
        "currency": order.currency,
        "coupon": order.coupon.code if order.coupon else None,
        "status": order.status,
        "provider": order.provider,
        "failure_reason": order.failure_reason,
        "refund_reason": order.refund_reason,
        "created_at": order.created_at,
        "paid_at": order.paid_at,
        "refunded_at": order.refunded_at,
        "receipt_url": request.build_absolute_uri(order.get_absolute_url()),
    }


def _payment(request, order: Order) -> dict:
    """What the app needs to pay ``order`` at its provider."""
    pending = order.status == Order.Status.PENDING
    secret = key = None
    if pending and order.provider == Order.Provider.STRIPE:
        try:
            secret = get_provider(order.provider).client_secret(order)
        except ProviderError as error:
            raise ApiError(502, str(error)) from error
        key = settings.STRIPE_PUBLISHABLE_KEY
    return {
        "order": _order(request, order),
        "provider": order.provider,
        "client_secret": secret,
        "publishable_key": key,
        "pay_url": request.build_absolute_uri(reverse("payments:pay", args=[order.pk]))
        if pending
        else None,
    }


UNAUTHORIZED = {401: Problem}


# --- Endpoints ------------------------------------------------------------------------------
@router.get(
    "/me/orders",
    response={200: OrderPage, **UNAUTHORIZED, 422: Problem},
    operation_id="list_my_orders",
)
def list_my_orders(request, query: Query[PageQuery]):
    """My orders, newest first (as the site's order history): every status."""
    orders = Order.objects.of(request.user).select_related("course", "coupon").order_by("-pk")
    return paginate(orders, query, lambda order: _order(request, order))


@router.get(
    "/me/orders/{order_id}",
    response={200: OrderOut, **UNAUTHORIZED, 404: Problem, 422: Problem},
    operation_id="get_my_order",
)
def get_my_order(request, order_id: int):
    """One of my orders; anyone else's is a 404, as for an order that does not exist."""
    return _order(request, get_order_for_buyer(request.user, order_id))


@router.post(
    "/courses/{slug}/checkout",
    response={
        200: CheckoutOut,
        201: CheckoutOut,
        **UNAUTHORIZED,
        403: Problem,
        404: Problem,
        409: Problem,
        422: Problem,
        502: Problem,
    },
    operation_id="start_checkout",
)
def start_checkout(request, slug: str, payload: CheckoutIn):
    """Buy a course: a pending order at the server's price (the course's, less the
    coupon's discount), 201, with what the app needs to pay it. Sending it again while
    that order is pending answers the same order (200); a different coupon starts a new
    one. A coupon that makes the course free answers the paid order (enrolled at once).
    409 if already enrolled; 403 with the reason for a free or unopened course; 422 for
    a coupon that does not apply (`errors` names `coupon`)."""
    course = get_visible_course(request.user, slug)
    if is_enrolled(request.user, course):
        raise ApiError(409, "You are already enrolled in this course.")
    code = cleaned_or_422(CheckoutForm({"coupon": payload.coupon}))["coupon"]
    open_before = set(
        Order.objects.of(request.user)
        .filter(course=course, status=Order.Status.PENDING)
        .values_list("pk", flat=True)
    )
    try:
        order = services.start_checkout(user=request.user, course=course, coupon_code=code)
    except services.CouponInvalid as error:
        message = str(error)
        raise ApiError(422, message, errors=[{"field": "coupon", "message": message}]) from None
    except services.CheckoutRefused as refusal:
        if isinstance(refusal.__cause__, ProviderError):
            raise ApiError(502, str(refusal)) from refusal
        raise ApiError(403, str(refusal)) from refusal
    order = Order.objects.select_related("course", "coupon").get(pk=order.pk)
    return Status(200 if order.pk in open_before else 201, _payment(request, order))
