"""Redis databases for pytest-xdist's worker processes (the root conftest.py moves the
settings with this before anything connects)."""

from urllib.parse import urlsplit

import pytest

REDIS_DATABASES = 16  # Redis's default `databases`: numbers 0 to 15


def database(url: str) -> int:
    path = urlsplit(url).path.strip("/")
    return int(path) if path else 0


def worker_redis_urls(urls: dict[str, str], *, worker: str) -> dict[str, str]:
    """``urls`` (redis://host:port/N, or empty when unused) as xdist worker ``worker``
    (gw0, gw1, ...) uses them: worker number k moves each database number up by k × the
    number of distinct databases, so no two workers share one, and URLs that named the
    same database still do. CI's REDIS_URL=redis://127.0.0.1:6379/0 (RQ_URL defaulting to
    it): gw0 on 0, gw1 on 1. REDIS_URL=.../0 with RQ_URL=.../1: gw0 on 0 and 1, gw1 on 2
    and 3."""
    number = int(worker.removeprefix("gw"))
    used = {database(url) for url in urls.values() if url}
    moved = {}
    for name, url in urls.items():
        if not url:
            moved[name] = url
            continue
        target = database(url) + number * len(used)
        if target >= REDIS_DATABASES:
            raise pytest.UsageError(
                f"pytest-xdist worker {worker} would need Redis database {target} for {url}, "
                f"and Redis has {REDIS_DATABASES} (0 to {REDIS_DATABASES - 1}): run fewer "
                "workers (-n) or name lower database numbers."
            )
        moved[name] = urlsplit(url)._replace(path=f"/{target}").geturl()
    return moved
