"""Amounts: ``Decimal`` everywhere in Lectern, whole minor units (cents) at the provider."""

from decimal import ROUND_HALF_UP, Decimal

# ISO 4217 currencies without a minor unit (Stripe's list of zero-decimal currencies).
ZERO_DECIMAL = {
    "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA",
    "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF",
}  # fmt: skip


def exponent(currency: str) -> int:
    return 0 if currency.upper() in ZERO_DECIMAL else 2


def quantize(amount: Decimal, currency: str) -> Decimal:
    """``amount`` rounded to what ``currency`` can charge (half up, as receipts round)."""
    return Decimal(amount).quantize(Decimal(1).scaleb(-exponent(currency)), ROUND_HALF_UP)


def to_minor(amount: Decimal, currency: str) -> int:
    """12.34 USD → 1234; 500 JPY → 500."""
    return int(quantize(amount, currency).scaleb(exponent(currency)))


def from_minor(units: int, currency: str) -> Decimal:
    return quantize(Decimal(units).scaleb(-exponent(currency)), currency)
