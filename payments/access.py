"""Who may open an order: its buyer, and no one else on the site (staff use the admin).

Anyone else asking for an order's pages gets a 404, the same as for an order that does
not exist, so order numbers tell a stranger nothing.
"""

from django.shortcuts import get_object_or_404

from payments.models import Order


def get_order_for_buyer(user, pk: int) -> Order:
    """``user``'s order ``pk`` with its course and coupon, else 404."""
    return get_object_or_404(Order.objects.of(user).select_related("course", "coupon"), pk=pk)
