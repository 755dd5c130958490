"""Whole-page caching of the public catalog for anonymous visitors.

Keys carry a *catalog version* that every change to courses, sections, lessons,
categories, tags and reviews bumps (after commit), so a published change shows at
once; the timeout only bounds how stale enrolment counts may get. Anything personal
is never cached: logged-in users, visitors with a session or pending messages, and
responses that set cookies. When the cache is down the pages are simply rendered.
"""

import functools
import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse

logger = logging.getLogger(__name__)
VERSION_KEY = "lectern:catalog-version"


def catalog_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, time.time_ns(), None)
        version = cache.get(VERSION_KEY)
    return version


def bump_catalog_version(**kwargs) -> None:
    """post_save/post_delete receiver for catalog models: old pages stop matching.

    Bumped at once and again after commit: a visitor who rendered the page between the
    two (seeing the old rows) cannot leave a stale copy behind.
    """

    def bump():
        try:
            cache.set(VERSION_KEY, time.time_ns(), None)
        except Exception:
            logger.warning("Could not bump the catalog version", exc_info=True)

    bump()
    transaction.on_commit(bump)


def _cacheable_request(request) -> bool:
    return (
        request.method == "GET"
        and not request.user.is_authenticated
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
    )


def public_page(view):
    """Cache ``view``'s page for anonymous visitors (PUBLIC_PAGE_CACHE_SECONDS)."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        timeout = settings.PUBLIC_PAGE_CACHE_SECONDS
        if not timeout or not _cacheable_request(request):
            return view(request, *args, **kwargs)
        # A full page and an HTMX fragment of the same URL are different responses.
        variant = f"htmx:{request.headers.get('HX-Target', '')}" if request.htmx else "page"
        try:
            digest = hashlib.sha256(f"{request.get_full_path()}|{variant}".encode()).hexdigest()
            key = f"lectern:page:{catalog_version()}:{digest}"
            cached = cache.get(key)
        except Exception:
            logger.warning("Page cache unavailable", exc_info=True)
            return view(request, *args, **kwargs)
        if cached is not None:
            content, content_type = cached
            response = HttpResponse(content, content_type=content_type)
            response["Vary"] = "Cookie, HX-Request"
            response["X-Page-Cache"] = "hit"
            return response
        response = view(request, *args, **kwargs)
        if hasattr(response, "render"):
            response = response.render()
        if response.status_code == 200 and not response.cookies and not response.streaming:
            try:
                cache.set(key, (response.content, response["Content-Type"]), timeout)
            except Exception:
                logger.warning("Could not store a page in the cache", exc_info=True)
        return response

    return wrapped
