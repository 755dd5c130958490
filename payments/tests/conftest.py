import pytest
from django.core import mail


@pytest.fixture(autouse=True)
def _test_provider(settings):
    """The built-in test provider, whatever the environment says (CI's production-like
    settings tests set their own)."""
    settings.PAYMENTS_PROVIDER = "test"
    settings.CURRENCY = "USD"
    settings.SITE_URL = "http://testserver"
    mail.outbox.clear()
