"""Money as people read it, and the course page's "Buy" box (payments' part of it)."""

from decimal import Decimal

from django import template
from django.conf import settings

from catalog.templatetags.catalog_tags import SYMBOLS
from payments import services
from payments.money import exponent, quantize

register = template.Library()


@register.filter
def price(amount, currency: str = "") -> str:
    """``amount`` in ``currency`` (default: CURRENCY): "$24.50", "¥500", "24.50 CHF".

    Unlike catalog's ``money``, zero is "$0.00", not "Free": it is what an order cost.
    """
    currency = (currency or settings.CURRENCY).upper()
    text = f"{quantize(Decimal(amount or 0), currency):,.{exponent(currency)}f}"
    symbol = SYMBOLS.get(currency)
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


@register.inclusion_tag("payments/buy_box.html", takes_context=True)
def buy_box(context, course):
    """ "Buy for <price>" for a paid course the viewer is not enrolled in; with a
    ``?coupon=`` in the URL, the price that coupon gives (or why it does not apply)."""
    request = context["request"]
    code = request.GET.get("coupon", "").strip()[:32]
    quote, coupon_error = None, ""
    if code:
        try:
            quote = services.quote(course=course, user=request.user, coupon_code=code)
        except services.CouponInvalid as error:
            coupon_error = str(error)
    return {
        "course": course,
        "user": request.user,
        "quote": quote,
        "code": code.upper(),
        "coupon_error": coupon_error,
        "next": request.get_full_path(),
    }
