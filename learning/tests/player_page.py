"""What a lesson page gives its viewer's browser to play, read from the HTML they receive
(templates/learning/video_player.html): the tests check the page, not the template's
context — the player's page is mostly a shared copy whose holes are filled per viewer
(learning.content), so only its HTML says what this viewer got."""

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import NamedTuple


@dataclass(frozen=True)
class Track:
    """A ``<track>``: as video.captions.caption_tracks gives it to the template."""

    language: str
    label: str
    url: str
    default: bool


class Cue(NamedTuple):
    """A transcript line: from ``start`` to ``end`` seconds."""

    start: float
    end: float
    text: str


@dataclass
class Transcript:
    """The transcript list: its language and cues."""

    language: str
    cues: list[Cue] = field(default_factory=list)


@dataclass
class Player:
    """``video_url``: the original file's signed link ("" without one); ``hls_url`` and
    ``poster_url``: None until the adaptive set is ready; ``previous_url`` and
    ``next_url``: the lesson navigation's links (None at either end)."""

    video_url: str = ""
    hls_url: str | None = None
    poster_url: str | None = None
    captions: list[Track] = field(default_factory=list)
    transcript: Transcript | None = None
    previous_url: str | None = None
    next_url: str | None = None


class _PlayerReader(HTMLParser):
    def __init__(self):
        super().__init__()  # character references converted: the URLs as the browser uses them
        self.player = Player()
        self._in_video = False
        self._cue: list | None = None
        self._in_time = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        player = self.player
        if tag == "video" and attrs.get("id") == "lesson-video":
            self._in_video = True
            player.video_url = attrs.get("src") or ""
            player.hls_url = attrs.get("data-hls-url")
            player.poster_url = attrs.get("poster")
        elif tag == "source" and self._in_video:
            if attrs.get("type") != "application/vnd.apple.mpegurl":
                player.video_url = attrs["src"]
        elif tag == "track" and self._in_video:
            player.captions.append(
                Track(attrs["srclang"], attrs["label"], attrs["src"], "default" in attrs)
            )
        elif tag == "ol" and attrs.get("id") == "transcript-cues":
            player.transcript = Transcript(language=attrs["lang"])
        elif tag == "button" and "transcript-cue" in (attrs.get("class") or "").split():
            self._cue = [float(attrs["data-start"]), float(attrs["data-end"]), ""]
        elif tag == "span" and self._cue is not None:
            self._in_time = "transcript-time" in (attrs.get("class") or "").split()
        elif tag == "a" and attrs.get("rel") in ("prev", "next"):
            setattr(
                player, f"{'previous' if attrs['rel'] == 'prev' else 'next'}_url", attrs["href"]
            )

    def handle_endtag(self, tag):
        if tag == "video":
            self._in_video = False
        elif tag == "span":
            self._in_time = False
        elif tag == "button" and self._cue is not None:
            start, end, text = self._cue
            self.player.transcript.cues.append(Cue(start, end, text.strip()))
            self._cue = None

    def handle_data(self, data):
        if self._cue is not None and not self._in_time:
            self._cue[2] += data


def player_of(response_or_html) -> Player:
    """The player in a page (a test client response or its decoded HTML)."""
    html = response_or_html
    if not isinstance(html, str):
        assert response_or_html.status_code == 200, response_or_html.status_code
        html = response_or_html.content.decode()
    reader = _PlayerReader()
    reader.feed(html)
    reader.close()
    return reader.player
