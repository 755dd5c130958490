"""Stripe's webhook endpoint, /payments/stripe/webhook/ (the URL to register at Stripe).

Stripe signs each delivery; an unsigned, forged or stale one gets a 400 and changes
nothing. A genuine event always gets a 200 once handled or refused (the outcome is in
the body and on its ProviderEvent row), so Stripe stops sending it; an error while
handling it rolls everything back and answers 500, and Stripe sends it again.
"""

import logging

from django.http import HttpResponse, HttpResponseBadRequest
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from payments import stripe_events

logger = logging.getLogger("payments")


@csrf_exempt  # Stripe's signature, not a cookie, authenticates this POST
@require_POST
def webhook(request):
    try:
        event = stripe_events.verify(request.body, request.headers.get("Stripe-Signature"))
    except stripe_events.BadEvent as refusal:
        logger.warning(
            "Stripe webhook refused (400) from %s: %s", request.META.get("REMOTE_ADDR"), refusal
        )
        return HttpResponseBadRequest("Not a verified Stripe event.", content_type="text/plain")
    outcome = stripe_events.process(event)
    return HttpResponse(outcome, content_type="text/plain")


# Included by payments/urls.py under "stripe/".
stripe_urlpatterns = [
    path("webhook/", webhook, name="stripe_webhook"),
]
urlpatterns = stripe_urlpatterns  # so that include("payments.stripe_views") finds them
