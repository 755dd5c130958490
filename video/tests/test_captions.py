"""Checking WebVTT uploads: what is accepted, what is refused (naming the line), and what
is stored (re-written, so that what is served is what was checked); the transcript."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from video.captions import Cue, caption_cues, check_captions, check_text, read_cues
from video.tests.factories import GOOD_VTT, vtt


def upload(data: bytes, name="captions.vtt") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, "text/vtt")


def refusal(data) -> str:
    if isinstance(data, str):
        data = data.encode()
    with pytest.raises(ValidationError) as caught:
        check_captions(upload(data))
    (message,) = caught.value.messages
    return message


# --- Accepted ----------------------------------------------------------------------------
def test_a_good_file_is_stored_re_written_with_its_cues():
    checked = check_captions(upload(GOOD_VTT.encode()))
    assert checked.content == GOOD_VTT
    assert checked.cues == [
        Cue(1.0, 4.0, "Welcome to the first lesson."),
        Cue(4.5, 8.0, "Tom & Jerry say <hello>."),
    ]


def test_every_webvtt_tag_and_setting_is_kept():
    markup = (
        "<c.yellow.big>c</c> <i>i</i> <b>b</b> <u>u</u> <v.loud Ana Lima>v</v>\n"
        "<lang pt-BR>olá</lang> <ruby>漢<rt>kan</rt></ruby> <00:00:01.500>t"
    )
    timings = "00:00:01.000 --> 00:00:02.000 align:start line:0 position:10%"
    checked = check_text(vtt(timings + "\n" + markup))
    assert checked.content == vtt(timings + "\n" + markup)
    assert checked.cues == [Cue(1.0, 2.0, "c i b u v\nolá 漢(kan) t")]


def test_a_byte_order_mark_crlf_and_short_times_are_normalised():
    data = b"\xef\xbb\xbfWEBVTT\r\n\r\n01:02.500 --> 01:03.000\r\nHi\r\n"
    checked = check_captions(upload(data))
    assert checked.content == "WEBVTT\n\n00:01:02.500 --> 00:01:03.000\nHi\n"
    assert checked.cues == [Cue(62.5, 63.0, "Hi")]


def test_comments_styles_identifiers_and_header_text_are_dropped():
    text = (
        "WEBVTT - My lecture\nKind: captions\n\n"
        "NOTE written by hand\n\n"
        "STYLE\n::cue { background: url(https://tracker.example/p.png) }\n\n"
        "intro\n00:01.000 --> 00:02.000\nHello\n\n"
        "NOTE the end\n"
    )
    checked = check_text(text)
    assert checked.content == "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHello\n"


def test_a_lone_ampersand_and_a_greater_than_sign_are_escaped():
    checked = check_text(vtt("00:01.000 --> 00:02.000\nR&D > marketing"))
    assert "R&amp;D &gt; marketing" in checked.content
    assert checked.cues[0].text == "R&D > marketing"


@pytest.mark.parametrize(
    "text",
    [
        GOOD_VTT,
        vtt("00:01.000 --> 00:02.000\n&nbsp;&lrm;&rlm;x"),
        "WEBVTT\n\nREGION\nid:fred width:40%\n\n00:01.000 --> 00:02.000 region:fred\nx\n",
        vtt("00:01.000 --> 00:02.000\n<v Ana &amp; Bo>x", "00:01.000 --> 00:03.000"),
        vtt(
            "01:02:03.004 --> 01:02:03.100\n<ruby>漢<rt>kan</ruby>\n\xa0",
            "23:59:59.998 --> 24:00:00.000\ny",
        ),
    ],
)
def test_a_stored_file_checks_again_to_itself(text):
    """What is served is exactly what was checked: the re-written file passes unchanged;
    and the transcript read from it (fast, without the checks) is the checked one."""
    checked = check_text(text)
    assert check_text(checked.content).content == checked.content
    assert read_cues(checked.content) == checked.cues


def test_cues_without_text_stay_in_the_file_but_not_in_the_transcript():
    checked = check_text(vtt("00:01.000 --> 00:02.000", "00:02.000 --> 00:03.000\nSaid"))
    assert checked.content.count("-->") == 2
    assert checked.cues == [Cue(2.0, 3.0, "Said")]


# --- Refused -----------------------------------------------------------------------------
def test_a_file_over_the_limit_is_refused(settings):
    settings.CAPTION_MAX_BYTES = 1000
    big = vtt(*[f"00:00:{n:02}.000 --> 00:00:{n:02}.500\nWords" for n in range(60)])
    assert len(big) > 1000
    assert "a caption file may be at most 1000" in refusal(big)


def test_a_file_whose_size_was_misreported_is_refused(settings):
    settings.CAPTION_MAX_BYTES = 100
    file = upload(b"WEBVTT\n\n" + b"x" * 200)
    file.size = 10
    with pytest.raises(ValidationError, match="larger than 100"):
        check_captions(file)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
        ("WEBVTT\n\n00:01.000 --> 00:02.000\nolá".encode("utf-16"), "UTF-16"),
        (
            "WEBVTT\n\n00:01.000 --> 00:02.000\nolá".encode("latin-1"),
            "Line 4: The file is not UTF-8",
        ),
        (b"", "Line 1: A WebVTT file starts with a line saying"),
        (b"WEBVTTX\n\n00:01.000 --> 00:02.000\nx", "Line 1: A WebVTT file starts with"),
        (b"<html><body>hi</body></html>", "Line 1: A WebVTT file starts with"),
        (b"1\n00:00:01,000 --> 00:00:02,000\nx", "It looks like a SubRip (.srt) file"),
    ],
    ids=["binary", "utf-16", "latin-1", "empty", "bad-header", "html", "srt"],
)
def test_files_that_are_not_webvtt_text_are_refused(data, message):
    assert message in refusal(data)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("WEBVTT\n", "The file has no cues"),
        ("WEBVTT\n\nNOTE only a comment\n", "The file has no cues"),
        (
            vtt("00:03.000 --> 00:02.000\nx"),
            "Line 3: A cue must end after it starts; this one runs 00:00:03.000 --> 00:00:02.000",
        ),
        (vtt("00:02.000 --> 00:02.000\nx"), "Line 3: A cue must end after it starts"),
        (vtt("24:00:00.000 --> 24:00:01.000\nx"), "Line 3: The cue ends after 24 hours"),
        (vtt("00:01.5 --> 00:02.000\nx"), "Line 3: “00:01.5” is not a WebVTT time"),
        (vtt("00:01.000 --> 00:61.000\nx"), "Line 3: “00:61.000” is not a WebVTT time"),
        (vtt("00:01.000 --> 00:02.000 colour:red\nx"), "Line 3: This is not valid WebVTT"),
        (
            vtt("00:03.000 --> 00:04.000\nx", "00:01.000 --> 00:02.000\ny"),
            "Line 6: The cue starts (00:00:01.000) before the one above it",
        ),
        (
            vtt("00:01.000 --> 00:02.000\nx\n00:03.000 --> 00:04.000\ny"),
            "Line 5: A cue's times must be its first line",
        ),
        ("WEBVTT\n00:01.000 --> 00:02.000\nx\n", "Line 2: Leave a blank line after"),
        (vtt("Just some words"), "Line 3: This is not a cue"),
        (vtt("NOTE a --> b\nc"), "Line 3: A comment or STYLE block may not contain"),
    ],
    ids=[
        "no-cues",
        "only-a-comment",
        "end-before-start",
        "empty-duration",
        "over-24-hours",
        "short-fraction",
        "61-seconds",
        "unknown-setting",
        "out-of-order",
        "missing-blank-line",
        "cue-in-header",
        "text-without-times",
        "arrow-in-comment",
    ],
)
def test_bad_cues_are_refused_naming_the_line(text, message):
    assert message in refusal(text)


@pytest.mark.parametrize(
    ("cue_text", "shown"),
    [
        ("Hi <script>alert(1)</script>", "“<script>” is not WebVTT markup"),
        ('<img src="x" onerror="alert(1)">', '“<img src="x" onerror="alert(1)">”'),
        ("<font color=red>x</font>", "“<font color=red>”"),
        ("<a href=https://evil.example>x</a>", "“<a href=https://evil.example>”"),
        ("<I>shouting</I>", "“<I>”"),
        ("<b class=x>x</b>", "“<b class=x>”"),
        ("</script>", "“</script>”"),
        ("<lang>x</lang>", "<lang> needs a language"),
        ("<v>x</v>", "<v> needs the speaker's name"),
        ("a < b", "“<” starts a tag that is never closed"),
        ("a <b <i>x</i>", "“<” starts a tag that is never closed"),
        ("&copy; 2026", "“&copy;” is not one of WebVTT's character references"),
        ("&#60;script&#62;", "“&#60;” is not one of WebVTT's character references"),
        ("&quot;x&quot;", "“&quot;”"),
        ("bell \x07 ring", "Control characters are not allowed"),
    ],
)
def test_markup_beyond_webvtts_is_refused_naming_the_line(cue_text, shown):
    message = refusal(
        vtt("00:00:01.000 --> 00:00:02.000", "00:00:03.000 --> 00:00:04.000\n" + cue_text)
    )
    assert message.startswith("Line 6: ")
    assert shown in message


# --- The transcript of a stored file ------------------------------------------------------
def test_cues_are_read_once_then_cached(db, django_assert_num_queries, monkeypatch):
    from catalog.tests.factories import LessonFactory
    from video.tests.factories import add_caption

    caption = add_caption(LessonFactory())
    first = caption_cues(caption)
    assert first == [
        Cue(1.0, 4.0, "Welcome to the first lesson."),
        Cue(4.5, 8.0, "Tom & Jerry say <hello>."),
    ]

    def no_reading(*args, **kwargs):
        raise AssertionError("read from storage again")

    monkeypatch.setattr(caption.file.storage, "open", no_reading)
    assert caption_cues(caption) == first


def test_a_missing_file_gives_an_empty_transcript_not_an_error(db, caplog):
    from catalog.tests.factories import LessonFactory
    from video.tests.factories import add_caption

    caption = add_caption(LessonFactory())
    caption.file.storage.delete(caption.file.name)
    assert caption_cues(caption) == []
    assert "Could not read the cues" in caplog.text
