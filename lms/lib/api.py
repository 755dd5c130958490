"""The JSON API's ground floor: one error shape, token auth, strict inputs and pages.

Errors are RFC 9457 problem details (``application/problem+json``): ``type``, ``title``,
``status``, ``detail`` (a sentence a client can show) and, for invalid input, ``errors``
naming each field. Apps authenticate with allauth's JWT access tokens in the
``Authorization: Bearer`` header only; the API ignores the session cookie, so a browser
session is never an API credential and no endpoint needs CSRF.
"""

from http import HTTPStatus
from typing import Annotated

from allauth.core.internal.sessionkit import get_session_user
from allauth.headless.contrib.ninja.security import JWTTokenAuth
from allauth.headless.tokens.strategies.jwt.internal import get_token_session
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.http import JsonResponse
from django.http.multipartparser import MultiPartParserError
from ninja import Field, Schema
from pydantic import AfterValidator, ConfigDict, ValidationInfo, model_validator

from lms.lib.query_params import MAX_PAGE
from lms.lib.validators import CONTROL_CHARACTER_PATTERN, no_control_characters

PROBLEM_CONTENT_TYPE = "application/problem+json"


class FieldError(Schema):
    field: str = Field(description="The input's name, e.g. `rating` or `query.page`.")
    message: str


class Problem(Schema):
    """RFC 9457 problem details: every error the API answers has this shape."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None


class ApiError(Exception):
    """Raise inside an endpoint to answer with a problem (the API's handler renders it)."""

    def __init__(self, status: int, detail: str, *, errors=None, headers=None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}


def problem(status: int, detail: str, *, errors=None, headers=None, extra=None) -> JsonResponse:
    """``extra``: the problem type's own members (RFC 9457's extensions), e.g. a locked
    lesson's ``opens_at``."""
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    body.update(extra or {})
    response = JsonResponse(body, status=status, content_type=PROBLEM_CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    response["Cache-Control"] = "no-store"
    return response


def field_errors(pydantic_errors) -> list[dict]:
    """ninja's validation errors as ``{"field", "message"}``: the location without the
    ``body``/``query``/``payload`` wrapper a client never wrote."""
    out = []
    for error in pydantic_errors:
        loc = [str(part) for part in error.get("loc", ()) if part not in ("body", "payload")]
        if loc and loc[0] in ("query", "path", "form", "file"):
            loc = loc[1:] or loc
        # A validator's own sentence (a ValueError's) without pydantic's "Value error, ".
        message = error.get("msg", "").removeprefix("Value error, ")
        out.append({"field": ".".join(loc) or "request", "message": message})
    return out


def cleaned_or_422(form, *, fields: dict[str, str] | None = None) -> dict:
    """The form's ``cleaned_data``, or an ``ApiError`` 422 naming each field.

    Endpoints validate input with the same Django forms as the web pages, so both refuse
    the same things with the same sentences; ``fields`` renames a form field to the
    API's name for it (``{"avatar_upload": "avatar"}``).
    """
    if form.is_valid():
        return form.cleaned_data
    fields = fields or {}
    errors = [
        {"field": "request" if name == "__all__" else fields.get(name, name), "message": message}
        for name, messages in form.errors.items()
        for message in messages
    ]
    raise ApiError(422, " ".join(error["message"] for error in errors), errors=errors)


# --- Multipart bodies on PUT -------------------------------------------------------------
def put_files_middleware(get_response):
    """Parse ``multipart/form-data`` PUT bodies under ``/api/`` (the avatar upload).

    Django parses form bodies only for POST (ticket #12635); this does for the API what
    ninja's ``fix_request_files_middleware`` does, but a body that cannot be parsed (no
    boundary, too many parts) is a 400 problem, not Django's HTML error page, and no other
    path is touched. ``NINJA_FIX_REQUEST_FILES_METHODS`` is empty so ninja asks for no
    middleware of its own.
    """

    def middleware(request):
        if (
            request.method == "PUT"
            and request.path.startswith("/api/")
            and request.content_type == "multipart/form-data"
        ):
            request.method = request.META["REQUEST_METHOD"] = "POST"
            try:
                request._load_post_and_files()
            except (MultiPartParserError, SuspiciousOperation):
                return problem(400, "The multipart/form-data body cannot be parsed.")
            finally:
                request.method = request.META["REQUEST_METHOD"] = "PUT"
        return get_response(request)

    return middleware


# --- Authentication ---------------------------------------------------------------------
class TokenAuth(JWTTokenAuth):
    """A valid, unrevoked access token for an active account, or 401."""

    openapi_type = "http"
    openapi_scheme = "bearer"
    openapi_bearerFormat = "JWT"

    def __call__(self, request):
        request.user = AnonymousUser()  # never the session's user
        payload = super().__call__(request)
        if payload is None or not request.user.is_active:
            request.user = AnonymousUser()
            return None
        return payload


class OptionalTokenAuth(TokenAuth):
    """Public endpoints: anonymous without an ``Authorization`` header; a header with a bad
    or expired token is still a 401 (the app should refresh), never silently anonymous."""

    ANONYMOUS = {"sub": None}

    def __call__(self, request):
        if "HTTP_AUTHORIZATION" not in request.META:
            request.user = AnonymousUser()
            return self.ANONYMOUS
        return super().__call__(request)


token_auth = TokenAuth()
optional_token_auth = OptionalTokenAuth()


def token_session_id(request) -> str | None:
    """The signed-in API session behind the request's access token (its ``sid`` claim,
    which allauth encrypts), to bind something handed out to that sign-in; None when
    anonymous."""
    payload = getattr(request, "auth", None) or {}
    sid = payload.get("sid")
    return sid if isinstance(sid, str) else None


def token_session_user(sid: str):
    """The user still signed in to the API session ``sid`` names, else None: after a
    logout, a password change or the session's end (allauth's stateful token check)."""
    session = get_token_session({"sid": sid})
    return get_session_user(session) if session is not None else None


def token_session_user_id(sid: str) -> str | None:
    """The id (as the session stores it) of the user signed in to the API session
    ``sid``, else None — without loading the user: no query while the session is cached.
    Unlike ``token_session_user`` it does not check the session's password hash or that
    the user is still active: only for answers that give nothing away on their own."""
    session = get_token_session({"sid": sid})
    return session.get(SESSION_KEY) if session is not None else None


# --- Inputs and pages ---------------------------------------------------------------------
def _refused_by(validator, pattern: str):
    """A text type that ``validator`` (a Django validator: the web forms' rule and
    sentence) checks as it is sent, its refusal stated in the schema as ``pattern``."""

    def check(value: str) -> str:
        try:
            validator(value)
        except DjangoValidationError as error:
            raise ValueError(" ".join(error.messages)) from None
        return value

    return Annotated[
        str, AfterValidator(check), Field(json_schema_extra={"not": {"pattern": pattern}})
    ]


# One line: no line breaks, tabs or other control characters (names, report details).
OneLineText = _refused_by(no_control_characters, CONTROL_CHARACTER_PATTERN)
# Any text but NUL, which Django's form fields refuse and PostgreSQL cannot store.
PlainText = _refused_by(ProhibitNullCharactersValidator(), r"\x00")


class Input(Schema):
    """Request bodies: an unknown field is refused (422), never silently dropped, so a
    client sending ``role`` or ``user_id`` learns the API does not take it."""

    model_config = ConfigDict(extra="forbid")


class PageQuery(Schema):
    """``?page=&page_size=`` (and, in subclasses, filters); an unknown parameter is a 422.

    ninja hands the model only the parameters it declares, so the request itself (in the
    validation context) is asked what else came."""

    page: int = Field(1, ge=1, le=MAX_PAGE, description="1-based page number.")
    page_size: int = Field(20, ge=1, le=100, description="Items per page (at most 100).")

    @model_validator(mode="after")
    def _no_unknown_parameters(self, info: ValidationInfo):
        request = (info.context or {}).get("request")
        unknown = sorted(set(request.GET) - set(type(self).model_fields)) if request else []
        if unknown:
            names = ", ".join(f"“{name}”" for name in unknown)
            raise ValueError(f"Unknown query parameter {names}: this endpoint does not take it.")
        return self


def paginate(queryset, query: PageQuery, serialize=None) -> dict:
    """One COUNT and one slice: ``{"count", "page", "pages", "results"}``."""
    count = queryset.count()
    pages = max(1, -(-count // query.page_size))
    start = (query.page - 1) * query.page_size
    items = list(queryset[start : start + query.page_size]) if start < count else []
    return {
        "count": count,
        "page": query.page,
        "pages": pages,
        "results": [serialize(item) for item in items] if serialize else items,
    }
