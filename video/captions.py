"""Captions: checking an uploaded WebVTT file, storing it normalised, and what the player
and the API need from it (the ``<track>`` list and the transcript).

**What is accepted.** UTF-8 text (a byte order mark is dropped) of at most
``CAPTION_MAX_BYTES``, starting with the ``WEBVTT`` line, read by webvtt-py in strict mode,
with at least one cue. Every cue's times are written ``hh:mm:ss.ttt`` (or ``mm:ss.ttt``),
end after they start, within ``MAX_CUE_SECONDS``, and cues come in time order. Cue text may
hold only WebVTT's own markup: the tags ``c``, ``i``, ``b``, ``u``, ``v``, ``lang``,
``ruby``, ``rt`` and timestamps, and the character references ``&amp;`` ``&lt;`` ``&gt;``
``&lrm;`` ``&rlm;`` ``&nbsp;``. Anything else — ``<script>``, ``<img>``, ``<font>``,
``&copy;``, control characters — is refused with a message naming its line.

**What is stored.** Not the upload: the file re-written from what was checked —
``WEBVTT``, any REGION definitions, then each cue's timings, settings and text (its tags
re-written from their parsed form, its text re-escaped). Header text, metadata lines, cue
identifiers, NOTE comments and STYLE blocks are dropped: nothing shows them, and a STYLE
block's CSS could load ``url()``s; the site styles captions itself. Reading a stored file
again gives the same file, so what is served is exactly what was checked.
"""

import logging
import re
from dataclasses import dataclass
from typing import NamedTuple

import webvtt
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, prefetch_related_objects
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from webvtt.errors import MalformedCaptionError
from webvtt.models import Region
from webvtt.vtt import WebVTTCommentBlock, WebVTTRegionBlock, WebVTTStyleBlock, parse_item

from lms.lib.files import copy_field_file
from video.models import Caption

logger = logging.getLogger(__name__)

MAX_CUE_SECONDS = 24 * 60 * 60
# The cues of a stored file never change (a new upload gets a new name): cached for long.
CUES_CACHE_SECONDS = 7 * 24 * 60 * 60

STORED_TIMINGS = re.compile(r"(\d{2,}):(\d\d):(\d\d)\.(\d{3}) --> (\d{2,}):(\d\d):(\d\d)\.(\d{3})")
LINE_BREAK = re.compile(r"\r\n|\r|\n")
# Spec: "WEBVTT", then nothing, or a space or tab and any text.
HEADER = re.compile(r"WEBVTT(?:[ \t].*)?")
# A timings line: start, "-->", end, then the cue settings after whitespace.
TIMINGS = re.compile(r"[ \t\f]*([^ \t\f]+?)[ \t\f]*-->[ \t\f]*([^ \t\f]+)")
STRICT_TIMESTAMP = re.compile(r"(?:(\d{2,}):)?([0-5]\d):([0-5]\d)\.(\d{3})")
# C0 and C1 control characters, but tab and form feed (WebVTT whitespace); NUL is binary.
CONTROL = re.compile(r"[\x01-\x08\x0b\x0e-\x1f\x7f-\x9f]")

# Cue text markup (WebVTT § 4.2.2). Tag names, and which of them take an annotation.
TAGS_WITH_ANNOTATION = {"v", "lang"}
TAGS = {"c", "i", "b", "u", "ruby", "rt", *TAGS_WITH_ANNOTATION}
START_TAG = re.compile(r"([a-z]+)((?:\.[A-Za-z0-9_-]+)*)(?:[ \t\f]+(.*))?", re.DOTALL)
END_TAG = re.compile(r"/([a-z]+)")
LANGUAGE_TAG = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")
REFERENCES = {"amp": "&", "lt": "<", "gt": ">", "lrm": "\u200e", "rlm": "\u200f", "nbsp": "\xa0"}
# What looks like a character reference: "&name;" or "&#…;". A lone "&" is text.
REFERENCE = re.compile(r"&(#?[A-Za-z0-9]+);")


class Cue(NamedTuple):
    """One cue as the transcript shows it: seconds, and plain text (never HTML; lines
    joined by a line feed)."""

    start: float
    end: float
    text: str


@dataclass(frozen=True)
class CheckedCaptions:
    """A checked upload: the file to store and its cues."""

    content: str
    cues: list[Cue]


def refuse(message: str, *, line: int | None = None, code: str = "invalid", **params):
    where = f"Line {line}: " if line is not None else ""
    raise ValidationError(where + message, code=code, params=params or None)


# --- Checking an upload --------------------------------------------------------------------
def check_captions(upload) -> CheckedCaptions:
    """Check an uploaded WebVTT file (a Django ``File``) and re-write it.

    Raises ``ValidationError`` with a message a person can act on, naming the line.
    """
    limit = settings.CAPTION_MAX_BYTES
    if upload.size > limit:
        refuse(
            "The file is %(size)s; a caption file may be at most %(limit)s.",
            code="too_large",
            size=filesizeformat(upload.size),
            limit=filesizeformat(limit),
        )
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:  # the declared size was wrong
        refuse("The file is larger than %(limit)s.", code="too_large", limit=filesizeformat(limit))
    return check_text(decode(data))


def decode(data: bytes) -> str:
    """UTF-8 text without its byte order mark, or a ValidationError saying what it is."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        refuse("The file is UTF-16 text. Save it as UTF-8 and upload it again.", code="encoding")
    if b"\x00" in data:
        refuse("This is a binary file, not WebVTT text.", code="binary")
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        refuse(
            "The file is not UTF-8 text. Save it as UTF-8 and upload it again.",
            line=line,
            code="encoding",
        )


def check_text(text: str) -> CheckedCaptions:
    """Check WebVTT ``text`` (already decoded) and re-write it; see the module's docstring."""
    lines = LINE_BREAK.split(text)
    if not HEADER.fullmatch(lines[0]):
        hint = (
            " It looks like a SubRip (.srt) file: convert it to WebVTT first."
            if lines[0].strip().isdigit()
            else ""
        )
        refuse(
            "A WebVTT file starts with a line saying “WEBVTT”." + hint,
            line=1,
            code="header",
        )
    for number, line in enumerate(lines, 1):
        if CONTROL.search(line):
            refuse("Control characters are not allowed in captions.", line=number)

    regions: list[Region] = []
    parsed: list[webvtt.Caption] = []
    plain: list[Cue] = []
    previous_start = 0
    for first, block in blocks(lines):
        if not parsed and WebVTTRegionBlock.is_valid(block):
            regions.append(parse(block, first, seen_cue=False))
            continue
        if WebVTTStyleBlock.is_valid(block) or WebVTTCommentBlock.is_valid(block):
            if "-->" in "".join(block):
                refuse("A comment or STYLE block may not contain “-->”.", line=first)
            continue  # dropped (see the module's docstring)
        timing = next((i for i, line in enumerate(block[:2]) if "-->" in line), None)
        if timing is None:
            refuse(
                "This is not a cue: a cue starts with its times, as in "
                "“00:01.000 --> 00:04.000”, and cues are separated by a blank line.",
                line=first,
            )
        at = first + timing  # the timings line
        check_timestamps(block[timing], at)
        cue = parse(block, first, seen_cue=bool(parsed))
        if not isinstance(cue, webvtt.Caption):  # pragma: no cover - caught above
            refuse("This is not a cue.", line=first)
        start, end = cue.start_time.in_milliseconds(), cue.end_time.in_milliseconds()
        if end <= start:
            refuse(
                "A cue must end after it starts; this one runs %(start)s --> %(end)s.",
                line=at,
                start=cue.start,
                end=cue.end,
            )
        if end > MAX_CUE_SECONDS * 1000:
            refuse("The cue ends after 24 hours (%(end)s).", line=at, end=cue.end)
        if start < previous_start:
            refuse(
                "The cue starts (%(start)s) before the one above it: cues must be in time order.",
                line=at,
                start=cue.start,
            )
        previous_start = start
        cue.identifier = None
        cue.comments = []
        cue.lines = [
            clean_cue_line(line, number) for number, line in enumerate(block[timing + 1 :], at + 1)
        ]
        parsed.append(cue)
        plain.append(Cue(start / 1000, end / 1000, plain_text(cue.lines)))
    if not parsed:
        refuse(
            "The file has no cues: add at least one, as in “00:01.000 --> 00:04.000” "
            "followed by its text.",
            code="empty",
        )
    for region in regions:
        region.comments = []
    content = webvtt.WebVTT(captions=parsed, regions=regions).content
    return CheckedCaptions(content=content, cues=[cue for cue in plain if cue.text])


def blocks(lines: list[str]):
    """The blocks after the header, each as (number of its first line, its lines).

    Blocks end at a blank line. A timings line inside a block is refused (a blank line
    is missing before it) instead of being read as the start of another cue.
    """
    block: list[str] = []
    first = 0
    in_header = True
    for number, line in enumerate(lines, 1):
        if not line:
            if block and not in_header:
                yield first, block
            block, in_header = [], False
            continue
        if in_header:
            if "-->" in line:
                refuse("Leave a blank line after the “WEBVTT” header.", line=number)
            continue
        if block and "-->" in line and (len(block) > 1 or "-->" in block[0]):
            refuse(
                "A cue's times must be its first line (or the second, after an identifier); "
                "leave a blank line between cues.",
                line=number,
            )
        if not block:
            first = number
        block.append(line)
    if block and not in_header:
        yield first, block


def check_timestamps(line: str, number: int) -> None:
    """Both times of a timings line written as WebVTT says, with a readable message."""
    match = TIMINGS.match(line)
    values = match.groups() if match else (line.strip(),)
    for value in values:
        if not STRICT_TIMESTAMP.fullmatch(value):
            refuse(
                "“%(value)s” is not a WebVTT time: write hh:mm:ss.ttt or mm:ss.ttt "
                "(minutes and seconds under 60, three digits after the point).",
                line=number,
                value=value[:40],
            )


def parse(block: list[str], first: int, *, seen_cue: bool):
    """webvtt-py's reading of one block (strict), its complaints naming the line."""
    try:
        return parse_item(block, strict=True, seen_cue=seen_cue)
    except MalformedCaptionError as error:
        refuse("This is not valid WebVTT: %(error)s.", line=first, error=str(error))


# --- Cue text ------------------------------------------------------------------------------
def cue_tokens(line: str, number: int):
    """The text and tags of one line of cue text: (text, None) or (None, tag).

    Every "<" must open a WebVTT tag closed on the same line.
    """
    position = 0
    while True:
        start = line.find("<", position)
        if start < 0:
            break
        end = line.find(">", start + 1)
        if end < 0 or "<" in line[start + 1 : end]:
            refuse(
                "“<” starts a tag that is never closed; write &lt; for a “<” in the text.",
                line=number,
            )
        if start > position:
            yield line[position:start], None
        yield None, line[start + 1 : end]
        position = end + 1
    if position < len(line):
        yield line[position:], None


def clean_tag(tag: str, number: int) -> str:
    """A tag re-written from its parts, or a refusal naming it."""
    if end := END_TAG.fullmatch(tag):
        if end.group(1) in TAGS:
            return f"</{end.group(1)}>"
    elif STRICT_TIMESTAMP.fullmatch(tag):
        return f"<{tag}>"
    elif start := START_TAG.fullmatch(tag):
        name, classes, annotation = start.groups()
        annotation = (annotation or "").strip()
        if name in TAGS_WITH_ANNOTATION:
            if name == "lang" and not LANGUAGE_TAG.fullmatch(annotation):
                refuse(
                    "<lang> needs a language, as in <lang fr>; “%(tag)s” has none.",
                    line=number,
                    tag=f"<{tag}>",
                )
            if name == "v" and not annotation:
                refuse(
                    "<v> needs the speaker's name, as in <v Ana>.",
                    line=number,
                )
            if name == "v":
                annotation = escape(decode_references(annotation, number))
            return f"<{name}{classes} {annotation}>"
        if name in TAGS and not annotation:
            return f"<{name}{classes}>"
    refuse(
        "“%(tag)s” is not WebVTT markup. Captions may use only <b>, <i>, <u>, <c>, <v>, "
        "<lang>, <ruby>, <rt> and timestamps; write &lt; for a “<” in the text.",
        line=number,
        tag=f"<{tag}>"[:60],
    )


def decode_references(text: str, number: int) -> str:
    """Text with WebVTT's character references replaced by their characters; any other
    reference (HTML's &copy;, numeric ones) refused. A lone "&" stays an "&"."""

    def replace(match):
        name = match.group(1)
        if name not in REFERENCES:
            refuse(
                "“%(reference)s” is not one of WebVTT's character references "
                "(&amp; &lt; &gt; &lrm; &rlm; &nbsp;): type the character itself.",
                line=number,
                reference=match.group(0)[:40],
            )
        return REFERENCES[name]

    return REFERENCE.sub(replace, text)


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clean_cue_line(line: str, number: int) -> str:
    """One line of cue text re-written: tags from their parsed parts, text escaped."""
    return "".join(
        clean_tag(tag, number) if text is None else escape(decode_references(text, number))
        for text, tag in cue_tokens(line, number)
    )


def plain_text(lines: list[str]) -> str:
    """The words of cleaned cue lines: tags dropped, references decoded (not HTML)."""
    words = []
    for line in lines:
        parts, in_rt = [], False
        for text, tag in cue_tokens(line, 0):
            if text is not None:
                parts.append(decode_references(text, 0))
            elif tag == "rt" or tag.startswith("rt."):  # ruby text: 漢(kan)
                parts.append("(")
                in_rt = True
            elif in_rt and tag in ("/rt", "/ruby"):
                parts.append(")")
                in_rt = False
        words.append(" ".join("".join(parts).split()))
    return "\n".join(word for word in words if word)


# --- Reading stored captions ---------------------------------------------------------------
def caption_cues(caption) -> list[Cue]:
    """The transcript of a stored caption: its cues with text (plain text, never HTML).

    Cached by file name: a stored file never changes (a new upload is a new name).
    """
    name = caption.file.name
    key = f"video:caption-cues:{name}"
    cached = cache.get(key)
    if cached is not None:
        return [Cue(*cue) for cue in cached]
    try:
        with caption.file.storage.open(name, "rb") as handle:
            found = read_cues(handle.read().decode("utf-8"))
    except (OSError, UnicodeDecodeError):  # the player still plays; the integrity check tells
        logger.exception("Could not read the cues of %s", name)
        return []
    cache.set(key, [tuple(cue) for cue in found], CUES_CACHE_SECONDS)
    return found


def read_cues(content: str) -> list[Cue]:
    """The cues with text of a file as ``check_text`` writes it (``content``), read fast:
    a stored file was checked already (a full check of 1 MB takes about half a second)."""
    found = []
    for block in content.split("\n\n")[1:]:
        lines = block.split("\n")
        match = STORED_TIMINGS.match(lines[0])
        if match is None:  # a REGION
            continue
        h1, m1, s1, ms1, h2, m2, s2, ms2 = map(int, match.groups())
        start = (h1 * 3_600_000 + m1 * 60_000 + s1 * 1000 + ms1) / 1000
        end = (h2 * 3_600_000 + m2 * 60_000 + s2 * 1000 + ms2) / 1000
        text = plain_text(lines[1:])
        if text:
            found.append(Cue(start, end, text))
    return found


def load_captions(lesson) -> None:
    """Fetch ``lesson.captions`` (by language) in one query, unless already there."""
    prefetch_related_objects(
        [lesson], Prefetch("captions", queryset=Caption.objects.order_by("language"))
    )


@dataclass(frozen=True)
class CaptionTrack:
    """A ``<track>`` for the player, or a caption in the API."""

    language: str
    label: str
    url: str
    default: bool

    def as_dict(self) -> dict:
        return {
            "language": self.language,
            "label": self.label,
            "url": self.url,
            "default": self.default,
        }


@dataclass(frozen=True)
class Transcript:
    """The cues of one caption track, for the transcript panel."""

    language: str
    label: str
    cues: list[Cue]


def primary_subtag(language: str) -> str:
    return language.split("-", 1)[0].lower()


def default_caption(lesson):
    """The caption in the course's language (exact match first, then by primary subtag:
    a course in "en" shows "en-gb"), or None."""
    captions = list(lesson.captions.all())
    wanted = lesson.section.course.language
    exact = next((c for c in captions if c.language == wanted), None)
    return exact or next(
        (c for c in captions if primary_subtag(c.language) == primary_subtag(wanted)), None
    )


def caption_url(caption, *, query: str) -> str:
    return reverse("video:caption", args=[caption.lesson_id, caption.language]) + "?" + query


def caption_tracks(lesson, *, query: str, absolute=None) -> list[CaptionTrack]:
    """The lesson's captions as tracks: language, label (its name), URL (with ``query``,
    the viewer's signed token: ``learning.streaming.signed_query`` or
    ``app_signed_query``) and ``default`` (the one in the course's language).

    One query (the lesson's captions, unless prefetched); the lesson's section and course
    must be loaded already. ``absolute``: makes each URL absolute
    (``request.build_absolute_uri``, for the API).
    """
    load_captions(lesson)
    default = default_caption(lesson)
    tracks = []
    for caption in lesson.captions.all():
        url = caption_url(caption, query=query)
        tracks.append(
            CaptionTrack(
                language=caption.language,
                label=caption.get_language_display(),
                url=absolute(url) if absolute else url,
                default=default is not None and caption.pk == default.pk,
            )
        )
    return tracks


def transcript(lesson) -> Transcript | None:
    """The transcript of the default track (else of the first one), or None without
    captions. Reads the prefetched ``lesson.captions`` and the cues cache."""
    load_captions(lesson)
    caption = default_caption(lesson) or next(iter(lesson.captions.all()), None)
    if caption is None:
        return None
    return Transcript(
        language=caption.language, label=caption.get_language_display(), cues=caption_cues(caption)
    )


def player_media(lesson, *, query: str, absolute=None) -> dict:
    """What the player shows of a lesson's captions (registered with
    ``learning.player.add_player_media``): ``captions`` (``caption_tracks``) and, for
    the page (no ``absolute``), ``transcript``. One query (the lesson's captions), none
    when the lesson has no video; the transcript's cues come from the cache."""
    if not lesson.video:
        return {"captions": [], "transcript": None}
    tracks = caption_tracks(lesson, query=query, absolute=absolute)
    return {"captions": tracks, "transcript": None if absolute else transcript(lesson)}


# --- Duplicating a course ------------------------------------------------------------------
def copy_captions(sender, lesson_pairs, **kwargs) -> None:
    """``catalog.signals.course_duplicated`` receiver: each copied lesson gets copies of the
    original's caption files (new names: deleting one course leaves the other's captions),
    inside the copy's transaction, so a failure rolls the copy back with its files."""
    copies = {old.pk: new for old, new in lesson_pairs}
    for caption in Caption.objects.filter(lesson__in=list(copies)).order_by("lesson", "language"):
        copy = Caption(lesson=copies[caption.lesson_id], language=caption.language)
        copy.file = copy_field_file(caption.file, copy)
        copy.save()
