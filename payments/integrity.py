"""Integrity checks for payments' summary fields (see lms.lib.integrity)."""

from django.db.models import Count, F

from lms.lib.integrity import Drift, integrity_check
from payments.models import Coupon


@integrity_check("coupon uses")
def check_coupon_uses(*, fix: bool, **options) -> list[Drift]:
    """Each coupon's used count against its redemptions (held by pending orders, kept by
    paid and refunded ones; a failed or canceled order's is deleted with the use)."""
    drifted = list(
        Coupon.objects.annotate(n=Count("redemptions")).exclude(used_count=F("n")).order_by("pk")
    )
    if fix:
        for coupon in drifted:
            Coupon.objects.filter(pk=coupon.pk).update(used_count=coupon.n)
    return [Drift("coupon uses", f"coupon {c.pk} ({c.code})", c.used_count, c.n) for c in drifted]
