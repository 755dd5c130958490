"""Numbers read from a query string, kept within what the database can hold.

An integer from the outside may be any length: past PostgreSQL's bigint it fails the
query (`bigint out of range`, a 500) instead of finding nothing. Every page number and id
read from ``request.GET`` goes through here. (Ids in URL paths are ``<int:...>``
converters; Django answers out-of-range ones with an empty result, so a 404.)
"""

# The deepest page a list serves: 10,000 pages are far more than anyone clicks through,
# and the OFFSET of the last (10,000 × page size rows) stays cheap and in range.
MAX_PAGE = 10_000

# The largest id a row can have: PostgreSQL's bigint, SQLite's INTEGER.
MAX_ID = 2**63 - 1


def _whole_number(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):  # missing, not digits, or too long for int()
        return None


def page_number(value, *, last: int = MAX_PAGE) -> int:
    """``?page=`` as a page from 1 to ``last``.

    Missing or not a whole positive number: the first page (a stale or mangled link still
    shows something); beyond ``last``: ``last``, which a list shows as "no more items".
    """
    number = _whole_number(value)
    if number is None or number < 1:
        return 1
    return min(number, last)


def object_id(value) -> int | None:
    """``?course=`` and the like: a positive id a row could have, else None (no such row)."""
    number = _whole_number(value)
    return number if number is not None and 1 <= number <= MAX_ID else None
