from django.core.files.base import ContentFile

from video.captions import check_text
from video.models import Caption

GOOD_VTT = """WEBVTT

00:00:01.000 --> 00:00:04.000
<v Ana>Welcome to the <b>first</b> lesson.

00:00:04.500 --> 00:00:08.000
Tom &amp; Jerry say &lt;hello&gt;.
"""


def vtt(*cues: str, header: str = "WEBVTT") -> str:
    """A WebVTT text: ``header``, then each cue (timings line and text) after a blank line."""
    return header + "\n\n" + "\n\n".join(cues) + "\n"


def add_caption(lesson, language="en", text=GOOD_VTT) -> Caption:
    """A caption stored as an upload through the admin would be (checked, re-written)."""
    checked = check_text(text)
    return Caption.objects.create(
        lesson=lesson,
        language=language,
        file=ContentFile(checked.content.encode(), name="captions.vtt"),
    )
