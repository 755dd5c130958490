"""Article lessons' Markdown, rendered to safe HTML."""

from django.utils.html import linebreaks
from django.utils.safestring import SafeString


def render_markdown(text: str) -> SafeString:
    """``text`` as HTML (escaped paragraphs until the Markdown renderer lands)."""
    return linebreaks(text, autoescape=True)
