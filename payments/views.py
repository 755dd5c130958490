"""Buying a course: checkout, the pay page, the return page, the order history.

Every page here belongs to the order's buyer (payments.access: anyone else gets a 404).
The views only ask: the price, the order and its fulfilment are payments.services'.
The pay page is provider-neutral: it includes the order's provider's form
(``payments/pay_<provider>.html``); the built-in test provider's answers come back to
``test_pay``, Stripe's by its webhook.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from catalog.access import get_visible_course
from learning.access import is_enrolled
from lms.lib.query_params import page_number
from payments import services
from payments.access import get_order_for_buyer
from payments.forms import CheckoutForm
from payments.models import Order
from payments.money import to_minor
from payments.providers import get_provider
from payments.providers.stripe import allow_stripe
from payments.providers.test import DECLINED_CARD, SUCCEEDING_CARD

ORDERS_PAGE_SIZE = 20


def checkout_url(course, coupon: str = "") -> str:
    url = reverse("payments:checkout", args=[course.slug])
    return f"{url}?coupon={coupon}" if coupon else url


# --- Checkout -----------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def checkout(request, course_slug: str):
    """The course, its price, a coupon field and "Pay": POST starts the order.

    Only the URL's course and the coupon code are read; the amount is the server's.
    """
    course = get_visible_course(request.user, course_slug)
    if is_enrolled(request.user, course):
        messages.info(request, "You are already enrolled in this course.")
        return redirect("learning:continue", course_slug=course.slug)
    if course.is_free or not course.is_published:
        messages.info(
            request,
            "This course is free: enrol on its page."
            if course.is_published
            else "This course is not open for enrolment.",
        )
        return redirect(course)
    form = CheckoutForm(request.POST if request.method == "POST" else request.GET or None)
    code = form.cleaned_data["coupon"] if form.is_valid() else ""
    if request.method == "POST" and form.is_valid():
        try:
            order = services.start_checkout(user=request.user, course=course, coupon_code=code)
        except services.CouponInvalid as error:
            form.add_error("coupon", str(error))
            code = ""
        except services.CheckoutRefused as refusal:
            messages.error(request, str(refusal))
            return redirect(course)
        else:
            if order.status == Order.Status.PAID:  # a 100 % coupon: nothing to pay
                messages.success(request, f"You are enrolled in “{course}”. Enjoy the course!")
                return redirect("learning:continue", course_slug=course.slug)
            return redirect("payments:pay", pk=order.pk)
    try:
        quote = services.quote(course=course, user=request.user, coupon_code=code)
    except services.CouponInvalid as error:
        form.add_error("coupon", str(error))
        quote = services.quote(course=course, user=request.user)
    return render(
        request, "payments/checkout.html", {"course": course, "form": form, "quote": quote}
    )


# --- Paying -------------------------------------------------------------------------------
@login_required
@require_safe
@allow_stripe  # Stripe.js and its frames, on this page only
def pay(request, pk: int):
    """The order's payment form: the provider's part comes from its own template."""
    order = get_order_for_buyer(request.user, pk)
    if order.status != Order.Status.PENDING:
        return redirect("payments:return", pk=order.pk)
    context = {"order": order, "course": order.course}
    if order.provider == Order.Provider.TEST:
        context.update(succeeding_card=SUCCEEDING_CARD, declined_card=DECLINED_CARD)
    else:  # a provider may give its form what it needs (a client secret, a key)
        page_context = getattr(get_provider(order.provider), "page_context", None)
        if page_context is not None:
            context.update(page_context(order))
    return render(request, "payments/pay.html", context)


def test_payments_allowed(order: Order) -> bool:
    """The built-in test provider answers only for its own orders, and only where it is
    the site's provider (never when PAYMENTS_PROVIDER is stripe; DEBUG=0 refuses "test")."""
    return order.provider == Order.Provider.TEST and settings.PAYMENTS_PROVIDER == "test"


@login_required
@require_POST
def test_pay(request, pk: int):
    """The test provider's two cards: "succeed" pays the order, "decline" fails it,
    through the same services as Stripe's webhook."""
    order = get_order_for_buyer(request.user, pk)
    if not test_payments_allowed(order):
        raise Http404("No test payments here.")
    card = request.POST.get("card")
    if card not in ("succeed", "decline"):
        return HttpResponseBadRequest("Choose a test card.")
    if order.status == Order.Status.PENDING:  # a second click finds it settled
        if card == "succeed":
            try:
                services.settle_paid(
                    order=order,
                    amount_minor=to_minor(order.amount, order.currency),
                    currency=order.currency,
                    reference=order.provider_ref,
                )
            except services.PaymentMismatch:
                messages.error(request, "This payment could not be matched to your order.")
        else:
            services.settle_failed(
                order=order, reason=f"The card was declined (test card {DECLINED_CARD})."
            )
    return redirect("payments:return", pk=order.pk)


# --- After paying -------------------------------------------------------------------------
@login_required
@require_safe
def order_return(request, pk: int):
    """Where the buyer lands after paying: "processing" until the provider's answer is in
    (HTMX asks again every 2 s; 204 while nothing changed), then enrolled or failed."""
    order = get_order_for_buyer(request.user, pk)
    if request.htmx and order.status == Order.Status.PENDING:
        return HttpResponse(status=204)  # no news: htmx keeps the page and asks again
    context = {"order": order, "course": order.course}
    if order.status in (Order.Status.FAILED, Order.Status.CANCELED):
        # "Try again": a new checkout, with the coupon this one had (its use was given back)
        context["retry_url"] = checkout_url(order.course, order.coupon.code if order.coupon else "")
    template = "payments/return.html"
    # The settled status replaces the polling element, which ends the polling.
    return render(request, f"{template}#order-status" if request.htmx else template, context)


@login_required
@require_safe
def order_list(request):
    orders = Order.objects.of(request.user).select_related("course")
    page = Paginator(orders, ORDERS_PAGE_SIZE).get_page(page_number(request.GET.get("page")))
    return render(request, "payments/order_list.html", {"page": page})


@login_required
@require_safe
def order_detail(request, pk: int):
    """The receipt: what was bought, at what price, paid and refunded when."""
    order = get_order_for_buyer(request.user, pk)
    return render(
        request,
        "payments/order_detail.html",
        {
            "order": order,
            "course": order.course,
            "enrolled": is_enrolled(request.user, order.course),
        },
    )
