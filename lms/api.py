"""Lectern's JSON API, /api/v1/: each app's router, one error shape, the schema and docs.

Sign-up, login, refresh and logout are allauth's headless endpoints under /api/v1/auth/
(README, API); everything here takes the access token they hand out.
"""

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from accounts.api import router as accounts_router
from catalog.api import router as catalog_router
from learning.api import lock_members
from learning.api import router as learning_router
from learning.api_quizzes import router as quizzes_router
from learning.pacing import LessonLocked
from lms.lib.api import PROBLEM_CONTENT_TYPE, ApiError, Problem, field_errors, problem
from lms.views import RETRY_AFTER_SECONDS, database_unreachable
from payments.api import router as payments_router
from reviews.api import router as reviews_router

logger = logging.getLogger("lms.api")


class LecternAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        """ninja's schema, told what ninja cannot say itself: public endpoints
        (``OptionalTokenAuth``) take a token or none, which OpenAPI writes as
        ``security: [{}, {TokenAuth: []}]``; errors are ``application/problem+json``; a
        body that cannot be parsed is a 400 and a bad token a 401 wherever they can occur."""
        schema = super().get_openapi_schema(*args, **kwargs)
        schemes = schema.get("components", {}).get("securitySchemes", {})
        optional = schemes.pop("OptionalTokenAuth", None)
        if optional is not None:
            schemes.setdefault("TokenAuth", optional)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                if operation.get("security") == [{"OptionalTokenAuth": []}]:
                    operation["security"] = [{}, {"TokenAuth": []}]
                responses = operation["responses"]
                # A body that cannot be parsed (not JSON, a broken multipart) is a 400.
                if "requestBody" in operation and not {400, "400"} & responses.keys():
                    responses[400] = {
                        "description": "Bad Request",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}
                        },
                    }
                # A bad or expired token is a 401, whether the token is optional or not.
                if operation.get("security") and 401 not in responses and "401" not in responses:
                    responses.setdefault(
                        401,
                        {
                            "description": "Unauthorized",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Problem"}
                                }
                            },
                        },
                    )
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if int(status) >= 400 and "application/json" in content:
                        content[PROBLEM_CONTENT_TYPE] = content.pop("application/json")
        return schema


api = LecternAPI(
    title="Lectern API",
    version="1",
    description=(
        "Courses, enrolment, playback progress, certificates, reviews, profiles and orders for "
        "Lectern's apps. Authenticate with `Authorization: Bearer <access token>` from "
        "the auth endpoints under `/api/v1/auth/app/v1/` (see the README's API section). "
        "Errors are RFC 9457 problem details."
    ),
    urls_namespace="api",
    docs_url="/docs/",
    openapi_url="/openapi.json",
)
api.add_router("/", catalog_router)
api.add_router("/", learning_router)
api.add_router("/", quizzes_router)
api.add_router("/", reviews_router)
api.add_router("/", accounts_router)
api.add_router("/", payments_router)


@api.exception_handler(ApiError)
def _api_error(request, exc: ApiError):
    return problem(exc.status, exc.detail, errors=exc.errors, headers=exc.headers)


@api.exception_handler(ValidationError)
def _invalid(request, exc: ValidationError):
    errors = field_errors(exc.errors)
    return problem(422, "Some of the input is not valid.", errors=errors)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return problem(
        401,
        "Sign in first: send a valid access token (Authorization: Bearer …).",
        headers={"WWW-Authenticate": 'Bearer realm="api"'},
    )


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return problem(403, str(exc) or "You may not do that.")


@api.exception_handler(LessonLocked)
def _locked(request, exc: LessonLocked):
    """A lesson of a paced course not open yet: why, and when or after which lesson."""
    return problem(403, str(exc), extra=lock_members(exc.lock))


@api.exception_handler(Http404)
def _not_found(request, exc):
    return problem(404, "Not found.")


@api.exception_handler(Throttled)
def _throttled(request, exc):
    return problem(429, "Too many requests: try again later.")


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    return problem(exc.status_code, str(exc))


@api.exception_handler(Exception)
def _unexpected(request, exc: Exception):
    if database_unreachable(exc):
        return problem(
            503,
            "The service is briefly unavailable: try again shortly.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    logger.exception("API error on %s %s", request.method, request.path, exc_info=exc)
    return problem(500, "Something went wrong on our side; it has been logged.")


@csrf_exempt  # a POST there is a 404 problem too, not the HTML "CSRF verification failed"
def not_found(request, rest=""):
    """Any /api/ path that names no endpoint: a problem, not the site's HTML 404."""
    return problem(404, "No such API endpoint.")


__all__ = ["Problem", "api", "not_found"]
