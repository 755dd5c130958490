"""The player's markup for each kind of stream, its Content Security Policy, and the
vendored hls.js (the locked npm build, byte for byte).

The journey in a real browser (hls.js streaming, quality, speed, captions, transcript,
shortcuts, progress) is in test_browser_player.py.
"""

import json
import os
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
VENDORED = ROOT / "static" / "vendor" / "hls.js"
PACKAGE = ROOT / "node_modules" / "hls.js"
IN_CI = os.environ.get("CI", "").lower() == "true"


def vendored_files() -> list[str]:
    """The files `make vendor` copies (HLS_JS_FILES in the Makefile), relative to the
    package."""
    match = re.search(r"^HLS_JS_FILES := (.+)$", (ROOT / "Makefile").read_text(), re.M)
    return match.group(1).split()


def test_vendored_hls_js_is_the_locked_npm_build():
    """static/vendor/hls.js/ holds exactly what `make vendor` copies from the version
    package-lock.json pins, unchanged: an upgrade goes through npm, not a hand edit."""
    package_json = json.loads((ROOT / "package.json").read_text())
    lock = json.loads((ROOT / "package-lock.json").read_text())
    locked = lock["packages"]["node_modules/hls.js"]["version"]
    assert package_json["dependencies"]["hls.js"] == locked  # pinned exactly (npm i -E)
    names = vendored_files()
    assert sorted(p.name for p in VENDORED.iterdir()) == sorted(Path(n).name for n in names)
    assert f'"{locked}"' in (VENDORED / "hls.light.min.js").read_text()  # Hls.version
    if not PACKAGE.exists():
        reason = "node_modules/hls.js is missing: make test installs it (npm ci)"
        if IN_CI:
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    assert json.loads((PACKAGE / "package.json").read_text())["version"] == locked
    changed = [
        name
        for name in names
        if (PACKAGE / name).read_bytes() != (VENDORED / Path(name).name).read_bytes()
    ]
    assert changed == [], f"differ from node_modules/hls.js: {changed}; run `make vendor`"


def test_the_vendored_build_decrypts_aes_128_and_needs_no_eval():
    """The light build still has the AES-128 decrypter (it leaves out subtitles, DRM,
    alternate audio); neither file uses eval, which script-src 'self' forbids."""
    player = (VENDORED / "hls.light.min.js").read_text()
    worker = (VENDORED / "hls.worker.js").read_text()
    assert "AES-128" in player and "subtle" in player
    for source in (player, worker):
        assert "eval(" not in source and "new Function" not in source


@pytest.mark.django_db
def test_pages_may_play_media_source_blobs_but_run_no_blob_scripts(client):
    """MediaSource (hls.js) plays from a blob: URL, so media-src allows blob:; scripts and
    workers stay 'self' only (hls.js's worker is our static file, not a blob:)."""
    policy = client.get("/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["media-src"].split() == ["'self'", "blob:"]
    assert directives["script-src"] == "'self'"
    assert "worker-src" not in directives and "child-src" not in directives  # → script-src
    assert "blob:" not in directives["connect-src"]


# --- The markup, for the names the views give the template ---------------------------------
CAPTIONS = [
    SimpleNamespace(language="en", label="English", url="/c/en.vtt?t=1", default=True),
    SimpleNamespace(language="fr", label="Français", url="/c/fr.vtt?t=1", default=False),
]
TRANSCRIPT = SimpleNamespace(
    language="en",
    label="English",
    cues=[(0.5, 3.0, "Welcome."), (65.25, 68.0, "A minute in & more.")],
)


def render_player(**context) -> str:
    lesson = SimpleNamespace(pk=7, duration=90)
    request = RequestFactory().get("/learn/x/lessons/7/")
    base = {"lesson": lesson, "request": request, "video_url": "/video/7/?t=file"}
    return render_to_string("learning/video_player.html", {**base, **context}, request=request)


def video_tag(html: str) -> str:
    return re.search(r"<video[^>]*>", html).group(0)


def test_a_stream_is_left_to_the_script_with_sources_for_no_javascript():
    html = render_player(hls_url="/hls/7/master.m3u8?t=abc", poster_url="/hls/7/poster.jpg?t=abc")
    video = video_tag(html)
    assert 'data-hls-url="/hls/7/master.m3u8?t=abc"' in video
    assert " src=" not in video and 'preload="none"' in video  # nothing fetched before play
    assert 'poster="/hls/7/poster.jpg?t=abc"' in video
    assert re.search(r'data-hls-worker="/static/vendor/hls\.js/hls\.worker[^"]*\.js"', video)
    # Without JavaScript: the browser's own HLS, else the original file.
    sources = re.findall(r"<source [^>]*>", html)
    assert sources == [
        '<source src="/hls/7/master.m3u8?t=abc" type="application/vnd.apple.mpegurl">',
        '<source src="/video/7/?t=file">',
    ]
    assert 'aria-describedby="player-shortcuts"' in video and 'id="player-shortcuts"' in html


def test_while_the_first_transcode_runs_the_file_plays_as_before():
    video = video_tag(render_player(hls_url=None, poster_url=None))
    assert 'src="/video/7/?t=file"' in video and 'preload="metadata"' in video
    assert "data-hls-url" not in video and "poster" not in video


def test_captions_become_tracks_with_the_default_marked_and_a_caption_button():
    html = render_player(hls_url="/m.m3u8", captions=CAPTIONS)
    tracks = re.findall(r"<track [^>]*>", html)
    assert tracks == [
        '<track kind="captions" srclang="en" label="English" src="/c/en.vtt?t=1" default>',
        '<track kind="captions" srclang="fr" label="Français" src="/c/fr.vtt?t=1">',
    ]
    assert re.search(r'<button [^>]*id="player-captions" aria-pressed="false"', html)
    assert "<kbd>C</kbd>" in html
    bare = render_player(hls_url="/m.m3u8", captions=[])
    assert "<track" not in bare and "player-captions" not in bare and "<kbd>C</kbd>" not in bare


def test_the_transcript_lists_cue_buttons_with_their_times():
    html = render_player(hls_url="/m.m3u8", captions=CAPTIONS, transcript=TRANSCRIPT)
    assert '<section class="player-transcript" aria-labelledby="transcript-heading">' in html
    assert '<ol class="transcript-cues" id="transcript-cues" lang="en">' in html
    cues = re.findall(
        r'<button type="button" class="transcript-cue" data-start="([\d.]+)" '
        r'data-end="([\d.]+)"><span class="transcript-time">([\d:]+)</span> ([^<]*)</button>',
        html,
    )
    assert cues == [
        ("0.500", "3.000", "0:00", "Welcome."),
        ("65.250", "68.000", "1:05", "A minute in &amp; more."),
    ]
    assert "transcript" not in render_player(hls_url="/m.m3u8", captions=CAPTIONS)


def test_progress_attributes_only_for_a_learner():
    learner = video_tag(
        render_player(learning=True, progress=SimpleNamespace(position=42.5), hls_url="/m")
    )
    assert f'data-progress-url="{reverse("learning:progress", args=[7])}"' in learner
    assert 'data-start="42.5"' in learner
    assert 'data-duration="90"' in learner
    visitor = video_tag(render_player(hls_url="/m"))
    assert "data-progress-url" not in visitor and "data-start" not in visitor
