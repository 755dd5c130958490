"""Payment providers: Stripe in production, a built-in test provider for `make run` and
the suite's fast tests. Both go through the same orders and fulfilment
(payments.services); a provider only starts a payment and refunds one.

A provider is an object with:
- ``name``: an ``Order.Provider`` value;
- ``start(order) -> str``: create the payment for ``order.amount`` in ``order.currency``
  and return its reference (e.g. a PaymentIntent id). Network calls happen outside any
  database transaction;
- ``refund(order) -> None``: refund the whole payment (staff refunds from the admin);
- optionally ``page_context(order) -> dict``: what its part of the pay page
  (``payments/pay_<name>.html``) needs (Stripe: the client secret, the publishable key).
``start`` and ``refund`` raise ``ProviderError`` with a sentence a person can read when
the provider fails.
"""

from django.conf import settings
from django.utils.module_loading import import_string


class ProviderError(Exception):
    """The provider refused or could not be reached; the message can be shown."""


PROVIDERS = {
    "test": "payments.providers.test.TestProvider",
    "stripe": "payments.providers.stripe.StripeProvider",
}


def get_provider(name: str | None = None):
    """The provider called ``name`` (default: ``PAYMENTS_PROVIDER``)."""
    return import_string(PROVIDERS[name or settings.PAYMENTS_PROVIDER])()
