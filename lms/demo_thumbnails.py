"""Course thumbnails for the demo, drawn with Pillow when load_demo runs (no image files
in the repository): a diagonal gradient and a motif per category, the category's name
and the course title, as a WebP of the size uploaded thumbnails are stored at
(settings.THUMBNAIL_SIZE, 16:9)."""

import io
import math
import random

from django.conf import settings
from django.core.files.base import ContentFile
from PIL import Image, ImageDraw, ImageFont

from learning.certificates import FONTS

# Category name -> (gradient from, gradient to, motif). Unknown categories get DEFAULT.
STYLES = {
    "Programming": ((30, 58, 138), (14, 116, 144), "brackets"),
    "Data Science": ((76, 29, 149), (37, 99, 235), "bars"),
    "Design": ((157, 23, 77), (234, 88, 12), "circles"),
    "Business": ((20, 83, 45), (13, 148, 136), "line"),
    "Photography": ((30, 41, 59), (180, 83, 9), "aperture"),
    "Music": ((127, 29, 29), (126, 34, 206), "staff"),
}
DEFAULT = ((47, 79, 216), (123, 92, 214), "circles")
INK = (255, 255, 255)


def course_thumbnail(*, title: str, category: str) -> ContentFile:
    """The thumbnail of a course, as WebP bytes ready for ``course.thumbnail.save``."""
    width, height = settings.THUMBNAIL_SIZE
    start, end, motif = STYLES.get(category, DEFAULT)
    image = _gradient(width, height, start, end)
    overlay = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    # Seeded by the title: the same course always gets the same picture (no secret here).
    rng = random.Random(title)  # noqa: S311
    MOTIFS[motif](ImageDraw.Draw(overlay), width, height, rng)
    image = Image.alpha_composite(image, overlay)
    _write(ImageDraw.Draw(image), width, height, title=title, category=category)
    out = io.BytesIO()
    image.convert("RGB").save(out, format="WEBP", quality=82, method=6)
    return ContentFile(out.getvalue())


def _gradient(width: int, height: int, start, end) -> Image.Image:
    """A diagonal gradient from the top left (``start``) to the bottom right (``end``)."""
    # A small gradient scaled up is smooth and far quicker than per-pixel drawing.
    small = Image.new("RGBA", (64, 36))
    for x in range(64):
        for y in range(36):
            t = (x / 63 + y / 35) / 2
            small.putpixel(
                (x, y), (*(round(a + (b - a) * t) for a, b in zip(start, end, strict=True)), 255)
            )
    return small.resize((width, height), Image.Resampling.BICUBIC)


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONTS / "DejaVuSans-Bold.ttf"), size)


def _write(draw: ImageDraw.ImageDraw, width: int, height: int, *, title: str, category: str):
    """The category in small capitals at the top left, the title large at the bottom left
    (at most three lines, the font shrinking until it fits)."""
    margin = width // 16
    label = _font(height // 18)
    draw.text((margin, margin), category.upper(), font=label, fill=(*INK, 220))
    for size in range(height // 7, height // 14, -4):
        font = _font(size)
        lines = _wrap(draw, title, font, width - 2 * margin)
        if len(lines) <= 3:
            break
    line_height = round(size * 1.18)
    y = height - margin - line_height * len(lines)
    for line in lines:
        draw.text((margin, y), line, font=font, fill=INK)
        y += line_height


def _wrap(draw, text: str, font, max_width: int) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if line and draw.textlength(candidate, font=font) > max_width:
            lines.append(line)
            line = word
        else:
            line = candidate
    return [*lines, line] if line else lines


# --- Motifs: light shapes on the right half, behind the text --------------------------
FAINT = (255, 255, 255, 40)
FAINTER = (255, 255, 255, 22)


def _brackets(draw, width, height, rng):
    size = height // 2
    font = _font(size)
    draw.text((width * 0.58, height * 0.08), "{ }", font=font, fill=FAINT)
    for _ in range(7):
        x, y = rng.uniform(width * 0.5, width * 0.95), rng.uniform(0, height * 0.55)
        draw.rounded_rectangle((x, y, x + rng.uniform(60, 200), y + 14), radius=7, fill=FAINTER)


def _bars(draw, width, height, rng):
    base, bar = height * 0.62, width // 22
    for i in range(8):
        x = width * 0.52 + i * bar * 1.5
        top = base - rng.uniform(0.15, 0.5) * height
        draw.rectangle((x, top, x + bar, base), fill=FAINT)
    for _ in range(18):
        x, y = rng.uniform(width * 0.5, width), rng.uniform(0, height * 0.6)
        draw.ellipse((x - 6, y - 6, x + 6, y + 6), fill=FAINTER)


def _circles(draw, width, height, rng):
    for _ in range(6):
        r = rng.uniform(height * 0.12, height * 0.4)
        x, y = rng.uniform(width * 0.55, width), rng.uniform(0, height * 0.6)
        draw.ellipse((x - r, y - r, x + r, y + r), outline=FAINT, width=10)


def _line(draw, width, height, rng):
    points, y = [], height * 0.6
    for i in range(9):
        points.append((width * 0.45 + i * width * 0.07, y))
        y -= rng.uniform(-0.02, 0.09) * height
    draw.line(points, fill=FAINT, width=14, joint="curve")
    for x, y in points[1:]:
        draw.ellipse((x - 12, y - 12, x + 12, y + 12), fill=FAINT)


def _aperture(draw, width, height, rng):
    cx, cy, r = width * 0.78, height * 0.36, height * 0.3
    for k in range(3):
        draw.ellipse(
            (cx - r - k * 40, cy - r - k * 40, cx + r + k * 40, cy + r + k * 40),
            outline=FAINT if k == 0 else FAINTER,
            width=10,
        )
    turn = rng.uniform(0, math.pi / 3)
    for i in range(6):
        angle = turn + i * math.pi / 3
        x, y = cx + r * math.cos(angle), cy + r * math.sin(angle)
        draw.line(
            (x, y, cx + r * 0.4 * math.cos(angle + 2), cy + r * 0.4 * math.sin(angle + 2)),
            fill=FAINT,
            width=8,
        )


def _staff(draw, width, height, rng):
    top, gap = height * 0.14, height * 0.07
    for i in range(5):
        y = top + i * gap
        draw.line((width * 0.45, y, width, y), fill=FAINT, width=5)
    for i in range(6):
        x = width * 0.52 + i * width * 0.08
        y = top + rng.randrange(0, 9) * gap / 2
        draw.ellipse((x - 22, y - 16, x + 22, y + 16), fill=FAINT)
        draw.line((x + 20, y, x + 20, y - gap * 3), fill=FAINT, width=6)


MOTIFS = {
    "brackets": _brackets,
    "bars": _bars,
    "circles": _circles,
    "line": _line,
    "aperture": _aperture,
    "staff": _staff,
}
