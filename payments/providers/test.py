"""The built-in test provider: `make run` sells courses with no keys and no network.

Its pay page (payments.views) offers a card that succeeds and one that is declined; both
answers go through payments.services exactly as Stripe's webhooks do. ``DEBUG=0`` refuses
to start with it (system check lms.E005), so it cannot take orders in production.
"""

import secrets

from payments.models import Order

SUCCEEDING_CARD = "4242 4242 4242 4242"
DECLINED_CARD = "4000 0000 0000 0002"


class TestProvider:
    name = Order.Provider.TEST

    def start(self, order) -> str:
        return f"test_{secrets.token_urlsafe(12)}"

    def refund(self, order) -> None:
        """Nothing to give back: no money moved."""
