"""Whole-page caching of the public catalog for anonymous visitors.

Keys carry a *catalog version* that every change to courses, sections, lessons,
categories, tags and reviews bumps (after commit), so a published change shows at
once; the timeout bounds how stale what changes without a bump may get (enrolment
counts, helpful votes). Anything personal
is never cached: logged-in users, visitors with a session or pending messages, and
responses that set cookies. When the cache is down the pages are simply rendered.

A hit costs one cache round trip: the page is stored with the version it was rendered
at and the time it expires, and the version and the page are fetched together. Each
process also keeps the pages it served last (LOCAL_PAGES of them) until that same
expiry, and then asks the cache only for the version, which decides whether a copy
may be served. Either way no copy outlives PUBLIC_PAGE_CACHE_SECONDS from rendering.
"""

import functools
import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpResponse

logger = logging.getLogger(__name__)
VERSION_KEY = "lectern:catalog-version"
LOCAL_PAGES = 256
# key -> (version, content, content type, expires at: time.time())
_local_pages: dict[str, tuple[int, bytes, str, float]] = {}


def start_catalog_version() -> int | None:
    """For callers that just found no version: start one (or take a concurrent one's).

    None when the cache is down; callers then neither serve nor store copies.
    """
    fresh = time.time_ns()
    if cache.add(VERSION_KEY, fresh, None):
        return fresh
    return cache.get(VERSION_KEY)


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


def bump_catalog_version_unless_new(created=False, **kwargs) -> None:
    """For rows no public page shows until they change (a signup's new profile)."""
    if not created:
        bump_catalog_version(**kwargs)


def shown_on_public_pages(*models, new_rows_shown: bool = True) -> None:
    """Bump the catalog version whenever a row of these models is saved or deleted.

    Each app calls this in its ``ready()`` for the models its public pages show. A
    receiver, not a call in each service, because every write path must invalidate:
    the admin's forms, inlines and bulk deletes, cascades and the shell. Writes that skip
    signals (``QuerySet.update()``) call ``bump_catalog_version()`` themselves.
    ``new_rows_shown=False``: a new row shows nowhere until it changes (a signup's profile).
    """
    receiver = bump_catalog_version if new_rows_shown else bump_catalog_version_unless_new
    for model in models:
        for signal in (post_save, post_delete):
            signal.connect(
                receiver,
                sender=model,
                dispatch_uid=f"lms.lib.page_cache.{model._meta.label}.{signal}",
            )


def _cacheable_request(request) -> bool:
    return (
        request.method in ("GET", "HEAD")  # a HEAD is the same page without the body
        and not request.user.is_authenticated
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
        # An API call with a token is answered for that caller (or refused): never cached.
        and "HTTP_AUTHORIZATION" not in request.META
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
        digest = hashlib.sha256(f"{request.get_full_path()}|{variant}".encode()).hexdigest()
        key = f"lectern:page:{digest}"
        try:
            version, stored = _current_version_and_copy(key)
        except Exception:
            logger.warning("Page cache unavailable", exc_info=True)
            return view(request, *args, **kwargs)
        if version is not None and stored is not None and stored[0] == version:
            _, content, content_type, _ = stored
            response = HttpResponse(content, content_type=content_type)
            response["Vary"] = "Cookie, HX-Request, Authorization"
            response["X-Page-Cache"] = "hit"
            return response
        response = view(request, *args, **kwargs)
        if hasattr(response, "render"):
            response = response.render()
        cacheable = response.status_code == 200 and not response.cookies
        if version is not None and cacheable and not response.streaming:
            copy = (version, response.content, response["Content-Type"], time.time() + timeout)
            _remember(key, copy)
            try:
                cache.set(key, copy, timeout)
            except Exception:
                logger.warning("Could not store a page in the cache", exc_info=True)
        return response

    return wrapped


def _current_version_and_copy(key: str):
    """The catalog version and the copy of the page at ``key`` (of any version) if one
    has not expired."""
    local = _local_pages.get(key)
    if local is not None and local[3] <= time.time():
        _local_pages.pop(key, None)
        local = None
    if local is not None:
        version = cache.get(VERSION_KEY)
        if version is not None:
            return version, local
        return start_catalog_version(), None
    found = cache.get_many([VERSION_KEY, key])
    version = found.get(VERSION_KEY)
    if version is None:
        return start_catalog_version(), None
    stored = found.get(key)
    if stored is not None:
        _remember(key, stored)
    return version, stored


def _remember(key: str, copy: tuple) -> None:
    if len(_local_pages) >= LOCAL_PAGES:
        _local_pages.clear()  # crude but safe: the next hits refill it
    _local_pages[key] = copy
