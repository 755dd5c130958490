from decimal import Decimal
from functools import cache

from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}


@register.filter
def duration(seconds) -> str:
    """1:05:09 style is for players; listings say "2 h 5 min" / "4 min" / "45 s"."""
    seconds = int(seconds or 0)
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min"
    return f"{seconds} s"


@register.filter
def clock(seconds) -> str:
    """A lesson's length as a clock: 4:05, 1:02:03."""
    seconds = int(seconds or 0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def money(amount) -> str:
    amount = Decimal(amount or 0)
    if amount == 0:
        return "Free"
    symbol = SYMBOLS.get(settings.CURRENCY)
    return f"{symbol}{amount:,.2f}" if symbol else f"{amount:,.2f} {settings.CURRENCY}"


@register.filter
def stars(average) -> str:
    """A text star bar for a 0–5 average, e.g. ★★★★☆ (the number is shown beside it)."""
    full = round(float(average or 0))
    return "★" * full + "☆" * (5 - full)


@register.filter
def summary(text, limit: int = 160) -> str:
    """``text`` on one line and at most ``limit`` characters, cut at a word with "…": for a
    page's ``<meta name="description">``, which search results show as its snippet. The
    template escapes it like any other value."""
    words = " ".join(str(text or "").split())
    if len(words) <= limit:
        return words
    return words[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:.–—") + "…"


@cache
def _lesson_kind_html(kind: str) -> SafeString:
    return mark_safe(render_to_string("catalog/lesson_kind.html", {"kind": kind}).strip())  # noqa: S308 — our template's output


@register.simple_tag
def lesson_kind(kind) -> SafeString:
    """A lesson's kind as icon + hidden label (``catalog/lesson_kind.html``), rendered
    once per kind: a 600-lesson curriculum pays for three renders, not 600."""
    return _lesson_kind_html(str(kind))


@register.filter
def reading_time(seconds) -> str:
    """An article's duration as "4 min read"."""
    minutes = max(1, round(int(seconds or 0) / 60))
    return f"{minutes} min read"


@register.filter
def questions(count) -> str:
    """ "1 question" / "5 questions"."""
    count = int(count or 0)
    return f"{count} question{'s' if count != 1 else ''}"
