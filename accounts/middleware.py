"""Sign-in fails closed while the cache is down.

allauth keeps its rate limits (password guesses, codes, emails sent) in the cache. When
Redis is unreachable the cache degrades to misses (lms.lib.cache_backends), so every
limit would read as "nothing counted yet". Rather than trust that, a POST to a page that
takes a password or a code, or sends an email, is refused with a 503 page until the
cache answers again; pages that only show a form stay open. One list, one check, for
allauth's pages and Lectern's own.
"""

import logging

from django.shortcuts import render

from lms.lib.cache_backends import cache_is_up

logger = logging.getLogger(__name__)

# The URL names of every page that takes a credential or a code, or sends an email.
# A new allauth page must be added here or to the exemptions in lms/tests/test_cache_down.py.
SIGN_IN_VIEWS = frozenset(
    {
        "account_login",
        "account_signup",
        "account_reauthenticate",
        "account_request_login_code",
        "account_confirm_login_code",
        "account_email",  # add or change an address, resend verification
        "account_email_verification_sent",  # the verification code
        "account_change_password",
        "account_set_password",
        "account_reset_password",
        "account_confirm_password_reset_code",
        "account_complete_password_reset",
        "accounts:delete",  # asks for the password
    }
)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
RETRY_AFTER_SECONDS = 30


class SignInNeedsRateLimitsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method in SAFE_METHODS:
            return None
        if request.resolver_match.view_name not in SIGN_IN_VIEWS or cache_is_up():
            return None
        logger.warning("Refused %s: the rate limits' cache is unreachable", request.path)
        response = render(request, "accounts/sign_in_unavailable.html", status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
        return response
