"""Article lessons' Markdown, rendered to safe HTML.

Two layers, so that neither alone has to be perfect:

1. **markdown-it-py** parses CommonMark (plus tables and ~~strikethrough~~) with raw
   HTML *off*: ``<script>`` or ``<img onerror=…>`` typed in an article is shown as text,
   and its link check already refuses ``javascript:``, ``vbscript:`` and ``file:`` URLs.
   Before rendering, the tokens are adjusted:

   - headings move one level down ("#" becomes ``<h2>``, "######" stays ``<h6>``): the
     player's ``<h1>`` is the lesson's title, and the article's outline sits under it;
   - a table column's alignment becomes a class (``align-right``), not a ``style``
     attribute (the site's CSP and the sanitizer below allow no ``style``);
   - an image that is not on this site (a path such as ``/media/…``, or a host in the
     CSP's ``img-src``) becomes a link to it, "Image: <alt text>": the browser's CSP
     would block it anyway, and an image from anywhere tells that host who reads what.

2. **nh3** (the Ammonia sanitizer) then keeps only an allow-list of tags and attributes
   (``ALLOWED_TAGS``/``ALLOWED_ATTRIBUTES``): no script, no event handler, no ``style``,
   no ``id`` or ``class`` beyond the table classes (and the box a wide table scrolls
   in), URLs only ``http``, ``https``,
   ``mailto`` or relative; every link gets ``rel="noopener noreferrer nofollow"``.

The result is cached by a hash of the text (the output depends on nothing else but this
module's rules, whose ``RULES_VERSION`` is in the key, and the CSP's image hosts, fixed
per deployment): an article is parsed once, then costs one cache round trip on every
page that shows it. Measured on a development machine: a 550-word article renders in
about 6 ms, a 2,200-word one in 25 ms, 67,000 characters of ordinary prose in 170 ms,
and pathological input at the field's 100,000-character limit (30,000 table rows,
100,000 brackets) in 1–2.5 s; a cache hit costs a fraction of a millisecond. The key is
the text's hash rather than the lesson's pk and ``updated_at``: an edit changes the key
by itself, identical texts (a duplicated course) share one entry, and the renderer needs
no lesson.
"""

import hashlib
from functools import cache
from urllib.parse import urlsplit

import nh3
from django.conf import settings
from django.core.cache import cache as django_cache
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from markdown_it.token import Token

# Bump when the rules below change what any text renders to: cached copies stop matching.
RULES_VERSION = 1
CACHE_SECONDS = 60 * 60 * 24 * 7

ALLOWED_TAGS = {
    # h1 is the page's (the lesson title): an article's headings start at h2.
    *("h2", "h3", "h4", "h5", "h6"),
    *("p", "br", "hr", "blockquote", "pre", "code", "em", "strong", "s"),
    *("ul", "ol", "li", "a", "img"),
    *("table", "thead", "tbody", "tr", "th", "td", "div"),
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
}
ALIGN_CLASSES = {"align-left", "align-center", "align-right"}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "noopener noreferrer nofollow"


@cache
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "typographer": False}).enable(
        ["table", "strikethrough"]
    )


@cache
def _image_origins() -> tuple[str, ...]:
    """The https origins the site's CSP lets images come from (besides the site itself)."""
    sources = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"].get("img-src", [])
    return tuple(source.rstrip("/") + "/" for source in sources if source.startswith("https://"))


def image_allowed(src: str) -> bool:
    """An image may show when it is on this site (a path, not ``//host/…``) or on a host
    the CSP allows; anything else (another site, ``data:``) does not."""
    if src.startswith("/") and not src.startswith("//") and "\\" not in src:
        return True
    parts = urlsplit(src)
    if parts.scheme == "https" and parts.netloc:
        origin = f"https://{parts.netloc}/"
        return origin in _image_origins()
    return False


def _shift_headings(tokens: list[Token]) -> None:
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + 1, 6)}"


def _align_as_class(tokens: list[Token]) -> None:
    for token in tokens:
        if token.type in ("th_open", "td_open"):
            style = token.attrs.pop("style", None)
            if isinstance(style, str) and style.startswith("text-align:"):
                token.attrSet("class", f"align-{style.split(':', 1)[1].strip()}")


def _image_as_link(image: Token) -> list[Token]:
    """An image that may not show: "Image: alt" linked to it (plain text if the URL is not
    a web address)."""
    src = str(image.attrGet("src") or "")
    alt = image.content or "an image"
    text = Token("text", "", 0, content=f"Image: {alt}")
    if urlsplit(src).scheme not in ("http", "https"):
        return [text]
    link_open = Token("link_open", "a", 1, attrs={"href": src})
    return [link_open, text, Token("link_close", "a", -1)]


def _outside_images(tokens: list[Token]) -> None:
    for token in tokens:
        if token.type != "inline" or not token.children:
            continue
        children = []
        for child in token.children:
            if child.type == "image" and not image_allowed(str(child.attrGet("src") or "")):
                children.extend(_image_as_link(child))
            else:
                children.append(child)
        token.children = children


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    """The sanitizer's own check of image sources (the tokens' rule, once more)."""
    if tag == "img" and attribute == "src" and not image_allowed(value):
        return None
    return value


@cache
def _cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_keep_attribute,
        allowed_classes={"th": ALIGN_CLASSES, "td": ALIGN_CLASSES, "div": {"article-scroll"}},
        tag_attribute_values={"pre": {"tabindex": {"0"}}, "div": {"tabindex": {"0"}}},
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    )


def _render(text: str) -> str:
    parser = _parser()
    env: dict = {}
    tokens = parser.parse(text, env)
    _shift_headings(tokens)
    _align_as_class(tokens)
    _outside_images(tokens)
    html = parser.renderer.render(tokens, parser.options, env)
    # Code blocks and tables scroll sideways on a narrow screen: the keyboard reaches
    # them (tabindex), and a table scrolls in a box of its own. (The author's own "<pre>"
    # or "<table>" is text by now, "&lt;pre&gt;": only the renderer's tags match.)
    html = html.replace("<pre>", '<pre tabindex="0">')
    html = html.replace("<table>", '<div class="article-scroll" tabindex="0"><table>')
    html = html.replace("</table>", "</table></div>")
    return _cleaner().clean(html)


def cache_key(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return f"lectern:markdown:{RULES_VERSION}:{digest}"


def render_markdown(text: str) -> SafeString:
    """``text`` (Markdown) as sanitised HTML, safe to put in a page as it is.

    Cached by the text's hash; a cache that is down only costs the rendering.
    """
    text = text or ""
    if not text.strip():
        return mark_safe("")
    key = cache_key(text)
    html = django_cache.get(key)
    if html is None:
        html = _render(text)
        django_cache.set(key, html, CACHE_SECONDS)
    return mark_safe(html)  # noqa: S308 — rendered and sanitised by _render


def word_count(text: str) -> int:
    """Words a reader reads: the Markdown's words, links' and code's included (close
    enough for a reading time; markup characters alone are not words)."""
    return sum(1 for word in (text or "").split() if any(ch.isalnum() for ch in word))
