"""Sign-in fails closed while the cache is down; allauth's API errors as problem details.

allauth keeps its rate limits (password guesses, codes, emails sent) in the cache. When
Redis is unreachable the cache degrades to misses (lms.lib.cache_backends), so every
limit would read as "nothing counted yet". Rather than trust that, a request to a page or
API endpoint that takes a password or a code, or sends an email, is refused with a 503
(a page on the site, a problem for the API) until the cache answers again; pages that
only show a form stay open. One list, one check, for allauth's pages, its endpoints for
apps and Lectern's own.
"""

import json
import logging
from http import HTTPStatus

from django.shortcuts import render

from lms.lib.api import PROBLEM_CONTENT_TYPE, problem
from lms.lib.cache_backends import cache_is_up

logger = logging.getLogger(__name__)

# allauth's endpoints for apps (/api/v1/auth/app/v1/...), by their URL names.
_HEADLESS = "headless:app:account:"

# The URL names of every page or endpoint that takes a credential or a code, or sends an
# email. A new allauth page or endpoint must be added here or to the exemptions in
# lms/tests/test_cache_down.py.
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
        # The same for apps:
        f"{_HEADLESS}login",
        f"{_HEADLESS}signup",
        "api_auth_signup",  # Lectern's stand-ins for two of them (lms/urls.py)
        "api_auth_change_password",
        f"{_HEADLESS}reauthenticate",
        f"{_HEADLESS}request_login_code",
        f"{_HEADLESS}resend_login_code",
        f"{_HEADLESS}confirm_login_code",
        f"{_HEADLESS}verify_email",
        f"{_HEADLESS}resend_email_verification_code",
        f"{_HEADLESS}verify_phone",
        f"{_HEADLESS}resend_phone_verification_code",
        f"{_HEADLESS}request_password_reset",
        f"{_HEADLESS}reset_password",
        f"{_HEADLESS}change_password",
        f"{_HEADLESS}manage_email",  # add an address, resend its code
        f"{_HEADLESS}manage_phone",
    }
)
# Of those, the endpoints whose GET checks a code (sent in a header): refused on GET too.
CODE_ON_GET_VIEWS = frozenset({f"{_HEADLESS}verify_email", f"{_HEADLESS}reset_password"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
RETRY_AFTER_SECONDS = 30


def takes_a_credential(view_name: str, method: str) -> bool:
    if view_name not in SIGN_IN_VIEWS:
        return False
    return method not in SAFE_METHODS or (view_name in CODE_ON_GET_VIEWS and method != "OPTIONS")


class SignInNeedsRateLimitsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not takes_a_credential(request.resolver_match.view_name, request.method):
            return None
        if cache_is_up():
            return None
        logger.warning("Refused %s: the rate limits' cache is unreachable", request.path)
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        if request.path.startswith("/api/"):
            return problem(
                503,
                "Signing in is briefly unavailable: nothing was accepted and no email was "
                "sent. Try again in a few minutes.",
                headers=headers,
            )
        response = render(request, "accounts/sign_in_unavailable.html", status=503)
        response["Retry-After"] = headers["Retry-After"]
        response["Cache-Control"] = "no-store"
        return response


# --- allauth's API errors in the API's shape -------------------------------------------------
AUTH_API_PREFIX = "/api/v1/auth/"

# What a 401 means when allauth's body names a pending step (its "flows").
PENDING_STEP_DETAIL = {
    "verify_email": "Enter the code we emailed you to confirm your address "
    "(POST auth/email/verify with the X-Session-Token).",
    "login_by_code": "Enter the code we emailed you to sign in "
    "(POST auth/code/confirm with the X-Session-Token).",
    "password_reset_by_code": "Enter the code we emailed you and a new password "
    "(POST auth/password/reset with the X-Session-Token).",
}
STATUS_DETAIL = {
    400: "The request is not valid: send a JSON object.",
    401: "Not signed in: log in, sign up, or send a valid access token.",
    403: "That is not allowed.",
    404: "Not found.",
    405: "That method is not allowed here.",
    409: "That step does not apply now: the flow it belongs to was not started here (or "
    "has ended), or you are already signed in.",
    410: "This sign-in attempt has ended: start again without the X-Session-Token.",
    429: "Too many attempts: try again later.",
    500: "Something went wrong on our side; it has been logged.",
    503: "The service is briefly unavailable: try again shortly.",
}
# allauth answers some successes with an error status: logging out and finishing a
# password reset leave the app signed out (401); a refused refresh token is a bare 400.
ENDPOINT_DETAIL = {
    ("DELETE", "/auth/session", 401): "Signed out: this session and its tokens have ended.",
    ("POST", "/auth/password/reset", 401): "Your password was reset: log in with it.",
    ("POST", "/tokens/refresh", 400): "That refresh token cannot be used: it has expired, "
    "was used already (each works once), or its session has ended. Sign in again.",
}
KEPT_HEADERS = ("Retry-After", "Allow", "WWW-Authenticate")


def _detail(request, body: dict, status: int) -> str:
    """allauth's first error message; for its 401s, what the pending step asks for."""
    for error in body.get("errors") or []:
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
    for (method, suffix, code), detail in ENDPOINT_DETAIL.items():
        if request.method == method and status == code and request.path.endswith(suffix):
            return detail
    if status == 401:
        flows = (body.get("data") or {}).get("flows") or []
        pending = [flow.get("id") for flow in flows if flow.get("is_pending")]
        for step in pending:
            if step in PENDING_STEP_DETAIL:
                return PENDING_STEP_DETAIL[step]
        if (body.get("meta") or {}).get("is_authenticated"):
            return "Confirm it is you: reauthenticate with your password first."
    return STATUS_DETAIL.get(status) or HTTPStatus(status).description


class AuthApiProblemsMiddleware:
    """allauth's error answers under /api/v1/auth/ in the API's error shape (RFC 9457).

    allauth's JSON is kept whole (``status``, ``errors``, ``data`` with its ``flows``,
    ``meta`` with a ``session_token``): its clients read those. ``type``, ``title`` and
    ``detail`` are added in front, each of allauth's ``errors`` gets the API's ``field``
    (its ``param``, or ``request``) and the media type becomes ``application/problem+json``
    (still JSON: the ``+json`` suffix). An error that is not allauth's JSON (a body that
    is not JSON, a 405, a 500 page) becomes a plain problem.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not request.path.startswith(AUTH_API_PREFIX)
            or response.streaming
            or response.get("Content-Type", "").startswith(PROBLEM_CONTENT_TYPE)
        ):
            return response
        status = response.status_code
        body = None
        if response.get("Content-Type", "").startswith("application/json"):
            try:
                body = json.loads(response.content)
            except ValueError:
                body = None
        if not isinstance(body, dict):
            kept = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
            return problem(status, STATUS_DETAIL.get(status, "Error."), headers=kept)
        members = {
            "type": "about:blank",
            "title": HTTPStatus(status).phrase,
            "status": status,
            "detail": _detail(request, body, status),
        }
        members.update((k, v) for k, v in body.items() if k not in members)
        for error in members.get("errors") or []:
            if isinstance(error, dict):  # the API's {"field", "message"} beside allauth's
                error.setdefault("field", error.get("param", "request"))
        response.content = json.dumps(members).encode()
        response["Content-Type"] = PROBLEM_CONTENT_TYPE
        if response.has_header("Content-Length"):
            response["Content-Length"] = str(len(response.content))
        return response
