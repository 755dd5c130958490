"""Article lessons' Markdown (catalog.markdown): what an article may contain comes out as
readable HTML; anything that could run, restyle the page or call another site is inert."""

import re
from html.parser import HTMLParser

import pytest
from django.core.cache import cache
from django.test import override_settings

from catalog import markdown
from catalog.markdown import image_allowed, render_markdown


def html(text: str) -> str:
    return str(render_markdown(text))


class Elements(HTMLParser):
    """The elements and attributes a browser would build from the output."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict]] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


SAFE_TAGS = markdown.ALLOWED_TAGS


def assert_inert(output: str) -> None:
    """Only allowed elements; no event handler, no style, no URL but http(s), mailto or a
    path: anything else may only appear as escaped text."""
    for tag, attrs in Elements(output).found:
        assert tag in SAFE_TAGS, tag
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert name not in ("style", "id", "srcset", "formaction"), (tag, name)
            if name in ("href", "src"):
                url = (value or "").strip().lower()
                assert re.match(r"(https?:|mailto:|/|#)", url), (tag, name, value)


# --- What an article is made of -----------------------------------------------------------
def test_commonmark_renders_what_an_article_needs():
    output = html(
        "Intro with **bold**, *italic*, ~~old~~ and `code`.\n\n"
        "- one\n- two\n\n3. three\n4. four\n\n> a quote\n\n---\n\n"
        "```python\nprint('hi')\n```\n\n"
        "[Docs](https://docs.python.org/3/ 'The docs') and <https://example.com>\n"
    )
    assert "<strong>bold</strong>" in output and "<em>italic</em>" in output
    assert "<s>old</s>" in output and "<code>code</code>" in output
    assert "<ul>\n<li>one</li>" in output and '<ol start="3">' in output
    assert "<blockquote>" in output and "<hr>" in output
    assert "<pre tabindex=\"0\"><code>print('hi')\n</code></pre>" in output  # no class
    assert (
        '<a href="https://docs.python.org/3/" title="The docs" '
        'rel="noopener noreferrer nofollow">Docs</a>'
    ) in output
    assert '<a href="https://example.com" rel="noopener noreferrer nofollow">' in output


def test_headings_start_below_the_pages_h1():
    output = html("# One\n\n## Two\n\n##### Five\n\n###### Six\n\nSetext\n======\n")
    assert "<h1" not in output
    assert "<h2>One</h2>" in output and "<h3>Two</h3>" in output
    assert "<h6>Five</h6>" in output and "<h6>Six</h6>" in output  # h6 is the floor
    assert "<h2>Setext</h2>" in output


def test_tables_align_with_classes_and_scroll_in_their_own_box():
    output = html("| Left | Middle | Right |\n|:--|:-:|--:|\n| a | b | c |\n")
    assert output.startswith('<div class="article-scroll" tabindex="0"><table>')
    assert '<th class="align-left">Left</th>' in output
    assert '<td class="align-center">b</td>' in output
    assert '<td class="align-right">c</td>' in output
    assert "style" not in output


def test_empty_text_is_empty():
    assert html("") == "" and html("   \n\n ") == ""


# --- Inert payloads ------------------------------------------------------------------------
PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<img src="x" onerror="alert(1)"/>',
    "<svg onload=alert(1)>",
    "<iframe src=javascript:alert(1)></iframe>",
    "<a href='javascript:alert(1)'>click</a>",
    "<div style='position:fixed;inset:0'>cover</div>",
    "<style>body{display:none}</style>",
    "<!-- <script>alert(1)</script> -->",
    "<details open ontoggle=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java&#115;cript:alert(1))",
    "[click](&#x6A;avascript:alert(1))",
    "[click](  javascript:alert(1)  )",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](file:///etc/passwd)",
    "[ref][x]\n\n[x]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "![pic](javascript:alert(1))",
    "![pic](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![pic](data:image/png;base64,iVBORw0KGgo=)",
    '![x" onerror="alert(1)](/media/x.png)',
    '[x](https://example.com "a\\" onmouseover=\\"alert(1)")',
    "[<img src=x onerror=alert(1)>](https://example.com)",
    "**<img src=x onerror=alert(1)>**",
    "`<script>` and ```\n<script>alert(1)</script>\n```",
    "<scr<script>ipt>alert(1)</script>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    '<a href="https://example.com" onclick="alert(1)">x</a>',
    "<<script>script>alert(1)<</script>/script>",
    "\u0000<script>alert(1)</script>",
    "> <script>alert(1)</script>\n> - <img src=x onerror=alert(1)>",
    "- [x](javascript:alert(1))\n  - ![y](javascript:alert(1))",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_are_rendered_inert(payload):
    assert_inert(html(payload))


def test_raw_html_is_shown_as_text():
    output = html('<b>bold?</b> <img src="/media/x.png"> <script>alert(1)</script>')
    assert output == (
        '<p>&lt;b&gt;bold?&lt;/b&gt; &lt;img src="/media/x.png"&gt; '
        "&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"
    )


def test_refused_links_stay_as_text():
    assert html("[click](javascript:alert(1))") == "<p>[click](javascript:alert(1))</p>\n"
    assert "<a" not in html("[click](data:text/html,hi)")


def test_the_sanitizer_alone_removes_what_the_renderer_would_never_produce():
    """The second layer, fed HTML directly (as if the renderer had a bug)."""
    dirty = (
        '<h1>Title</h1><p style="color:red" onclick="x()" id="a" class="b">text</p>'
        '<a href="javascript:alert(1)" target="_blank">j</a><a href="https://e.example">e</a>'
        "<script>alert(1)</script><iframe src=https://e.example></iframe>"
        '<img src="https://evil.example/t.gif" onerror="x()"><img src="/media/ok.png" alt="ok">'
        '<div class="other" tabindex="5">d</div><pre tabindex="-1">p</pre>'
    )
    clean = markdown._cleaner().clean(dirty)
    assert_inert(clean)
    assert "<h1>" not in clean and "Title" in clean  # the page's own heading level
    assert "<p>text</p>" in clean
    assert '<a rel="noopener noreferrer nofollow">j</a>' in clean
    assert 'target="_blank"' not in clean
    assert "evil.example" not in clean and '<img src="/media/ok.png" alt="ok">' in clean
    assert "other" not in clean and 'tabindex="5"' not in clean and "<pre>p</pre>" in clean
    assert "alert" not in clean  # the script's content went with it


# --- Images --------------------------------------------------------------------------------
def test_images_from_this_site_show():
    assert html("![A cat](/media/cat.png)") == '<p><img src="/media/cat.png" alt="A cat"></p>\n'


def test_images_from_elsewhere_become_links_to_them():
    output = html("![A chart](https://charts.example/c.png)")
    assert "<img" not in output
    assert (
        '<a href="https://charts.example/c.png" rel="noopener noreferrer nofollow">'
        "Image: A chart</a>"
    ) in output
    assert html("![x](//cdn.example/x.png)") == "<p>Image: x</p>\n"  # no scheme: not linked
    assert html("![](data:image/png;base64,AAAA)") == "<p>Image: an image</p>\n"


@override_settings(
    CONTENT_SECURITY_POLICY={
        "DIRECTIVES": {"img-src": ["'self'", "data:", "https://media.lectern.example"]}
    }
)
def test_images_from_a_media_host_the_csp_allows_show():
    markdown._image_origins.cache_clear()
    try:
        assert image_allowed("https://media.lectern.example/a.png")
        assert not image_allowed("https://media.lectern.example.evil.example/a.png")
        assert not image_allowed("http://media.lectern.example/a.png")
        output = html("![Plan](https://media.lectern.example/plan.png)")
        assert '<img src="https://media.lectern.example/plan.png" alt="Plan">' in output
    finally:
        markdown._image_origins.cache_clear()


@pytest.mark.parametrize(
    "src", ["/\\evil.example/x.png", "//evil.example/x.png", "javascript:x", "x.png", ""]
)
def test_image_sources_refused(src):
    assert not image_allowed(src)


# --- Caching -------------------------------------------------------------------------------
def test_the_rendered_html_is_cached_by_the_texts_hash(monkeypatch):
    calls = []
    real = markdown._render
    monkeypatch.setattr(markdown, "_render", lambda text: calls.append(text) or real(text))
    text = "# Cached\n\nSome text."
    first = render_markdown(text)
    assert render_markdown(text) == first and len(calls) == 1
    assert cache.get(markdown.cache_key(text)) == str(first)
    render_markdown(text + " Edited.")  # an edit is another key: rendered afresh
    assert len(calls) == 2


def test_a_cache_that_fails_still_renders(monkeypatch):
    class Down:
        def get(self, key):
            return None

        def set(self, *args, **kwargs):
            return None

    monkeypatch.setattr(markdown, "django_cache", Down())
    assert html("**ok**") == "<p><strong>ok</strong></p>\n"


def test_word_count():
    assert markdown.word_count("") == 0
    assert markdown.word_count("# Title\n\n- one two\n- *three*\n\n---\n") == 4
