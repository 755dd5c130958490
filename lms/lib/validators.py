"""Validators every app's models and forms may use."""

import functools
import unicodedata
import zoneinfo

from django.core.exceptions import ValidationError

# Control characters (C0, DEL, C1: line feed, carriage return, tab, NUL, bell, ...) and
# the Unicode line and paragraph separators, which also end a line.
_NOT_ONE_LINE = {"Cc", "Zl", "Zp"}

# The characters the rule refuses as a regular expression, for the API's JSON Schemas
# (``"not": {"pattern": ...}``): a character class that Python's, JavaScript's and Rust's
# regex engines read alike (lms/tests/test_single_line_text.py checks every code point).
CONTROL_CHARACTER_PATTERN = r"[\x00-\x1f\x7f-\x9f\u2028\u2029]"


def no_control_characters(value: str) -> None:
    """Refuse line breaks and other control characters in a single-line field.

    Titles and names reach email subjects, where a line break would start a new header
    (Django then refuses to send the email at all), and one-line places on pages and
    certificates. Browsers' one-line inputs cannot send them; forged requests can.
    """
    if any(unicodedata.category(character) in _NOT_ONE_LINE for character in value):
        raise ValidationError(
            "Use one line of text: no line breaks, tabs or other control characters.",
            code="control_characters",
        )


def time_zone_validator(value: str) -> None:
    """An IANA time zone name this machine knows (e.g. Europe/Lisbon)."""
    if value and value not in available_time_zones():
        raise ValidationError("Choose a time zone from the list.", code="time_zone")


@functools.cache
def available_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())
