"""Certificate PDFs: one landscape A4 page drawn with ReportLab, a QR code from segno.

Names may be in any script: Latin with accents and Cyrillic/Greek use DejaVu Sans,
Chinese/Japanese/Korean use Droid Sans Fallback (fonts shipped in learning/fonts), and
right-to-left text (Hebrew, Arabic) is shaped and reordered (arabic-reshaper,
python-bidi) before drawing, since PDF text is laid out left to right.

A certificate's PDF is drawn once and kept (``Certificate.pdf``, private storage): by a
task when the certificate is issued (learning.tasks), or by its first download if the
queue has not got to it (or failed), so nobody waits on the queue for their certificate.
"""

import io
import logging
import secrets
import unicodedata
from functools import cache
from pathlib import Path

import segno
from arabic_reshaper import ArabicReshaper
from bidi import get_display
from django.core.files.base import ContentFile
from django.db import transaction
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from learning.models import Certificate
from lms.lib.emails import absolute
from lms.lib.files import delete_file_on_commit, delete_file_on_rollback

logger = logging.getLogger(__name__)

FONTS = Path(__file__).resolve().parent / "fonts"
INK = colors.HexColor("#1d2233")
BRAND = colors.HexColor("#2f4fd8")
# Contextual letter forms, without the ligature glyphs (e.g. U+FDF2) DejaVu does not have.
RESHAPER = ArabicReshaper(configuration={"support_ligatures": False})
MUTED = colors.HexColor("#5b6275")


@cache
def register_fonts() -> None:
    pdfmetrics.registerFont(TTFont("Lectern", FONTS / "DejaVuSans.ttf"))
    pdfmetrics.registerFont(TTFont("Lectern-Bold", FONTS / "DejaVuSans-Bold.ttf"))
    pdfmetrics.registerFont(TTFont("Lectern-CJK", FONTS / "DroidSansFallbackFull.ttf"))


def _is_cjk(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def _is_rtl(text: str) -> bool:
    return any(unicodedata.bidirectional(c) in ("R", "AL") for c in text)


def prepare(text: str, *, bold: bool = False) -> tuple[str, str]:
    """(text as drawn, font name) for one line of any script."""
    if _is_rtl(text):
        text = get_display(RESHAPER.reshape(text))
    if any(_is_cjk(c) for c in text):
        return text, "Lectern-CJK"
    return text, "Lectern-Bold" if bold else "Lectern"


def draw_centred(pdf, text: str, y: float, size: float, *, bold=False, color=INK, max_width=None):
    """Draw a centred line, shrinking the font until it fits ``max_width``."""
    drawn, font = prepare(text, bold=bold)
    width = pdf._pagesize[0]
    limit = max_width or width - 60 * mm
    while size > 10 and pdfmetrics.stringWidth(drawn, font, size) > limit:
        size -= 1
    pdf.setFont(font, size)
    pdf.setFillColor(color)
    pdf.drawCentredString(width / 2, y, drawn)


def score_text(score) -> str:
    """A percentage as people write it: 85, 83.5, 83.33 (no trailing zeros)."""
    text = f"{score:.2f}".rstrip("0").rstrip(".")
    return text or "0"


def render_pdf(certificate: Certificate, *, verify_url: str) -> bytes:
    register_fonts()
    buffer = io.BytesIO()
    size = landscape(A4)
    pdf = canvas.Canvas(buffer, pagesize=size, pageCompression=1)
    pdf.setTitle(f"Certificate of completion — {certificate.course_title}")
    pdf.setAuthor("Lectern")
    pdf.setSubject(f"Certificate {certificate.code}")
    width, height = size

    # Frame
    pdf.setStrokeColor(BRAND)
    pdf.setLineWidth(3)
    pdf.roundRect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm, 6 * mm)
    pdf.setLineWidth(0.8)
    pdf.roundRect(16 * mm, 16 * mm, width - 32 * mm, height - 32 * mm, 4 * mm)

    draw_centred(pdf, "LECTERN", height - 42 * mm, 16, bold=True, color=BRAND)
    draw_centred(pdf, "Certificate of completion", height - 62 * mm, 34, bold=True)
    draw_centred(pdf, "This certifies that", height - 80 * mm, 14, color=MUTED)
    draw_centred(pdf, certificate.student_name, height - 100 * mm, 32, bold=True)
    draw_centred(pdf, "has completed the course", height - 116 * mm, 14, color=MUTED)
    draw_centred(pdf, certificate.course_title, height - 134 * mm, 24, bold=True)
    draw_centred(
        pdf, f"taught by {certificate.instructor_name}", height - 148 * mm, 14, color=MUTED
    )
    if certificate.quiz_score is not None:
        draw_centred(
            pdf, f"Final quiz score: {score_text(certificate.quiz_score)} %", height - 160 * mm, 13
        )

    issued = certificate.issued_at.strftime("%-d %B %Y")
    pdf.setFont("Lectern", 11)
    pdf.setFillColor(INK)
    pdf.drawString(30 * mm, 34 * mm, f"Issued on {issued}")
    pdf.drawString(30 * mm, 28 * mm, f"Certificate code: {certificate.code}")
    pdf.setFillColor(MUTED)
    pdf.drawString(30 * mm, 22 * mm, f"Verify at {verify_url}")

    qr = io.BytesIO()
    segno.make(verify_url, error="m").save(qr, kind="png", scale=8, border=2)
    qr.seek(0)
    side = 34 * mm
    pdf.drawImage(ImageReader(qr), width - 30 * mm - side, 20 * mm, side, side)

    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def draw(certificate: Certificate) -> bytes:
    """The certificate's PDF, with its public verification address in the QR code."""
    return render_pdf(certificate, verify_url=absolute(certificate.get_absolute_url()))


def keep(certificate: Certificate, pdf: bytes) -> bool:
    """Store ``pdf`` as the certificate's file, unless it has one already.

    The task and a first download may draw the same certificate at once: each writes a
    file under a name of its own (random: S3 storage overwrites a name that exists), and
    a conditional UPDATE lets one name into the row; the other file is deleted, as is this
    one if the row is gone. True if this one was kept.
    """
    storage = Certificate._meta.get_field("pdf").storage
    name = f"certificates/{certificate.code}-{secrets.token_hex(4)}.pdf"
    with transaction.atomic():  # a failed UPDATE takes the file with it
        name = storage.save(name, ContentFile(pdf))
        delete_file_on_rollback(storage, name)
        kept = Certificate.objects.filter(pk=certificate.pk, pdf="").update(pdf=name)
        if not kept:
            delete_file_on_commit(storage, name)
            return False
    certificate.pdf.name = name
    certificate._stored_files = certificate._current_files()
    return True


def pdf_of(certificate: Certificate) -> bytes:
    """The stored PDF; else one drawn now, and kept for next time if storing works (a
    full disk or an S3 outage must not cost the person their download)."""
    if certificate.pdf:
        try:
            with certificate.pdf.open("rb") as stored:
                return stored.read()
        except Exception:  # a lost file, an S3 outage
            logger.exception(
                "Certificate %s: stored PDF %s unreadable; drawing it again",
                certificate.code,
                certificate.pdf.name,
            )
            return draw(certificate)
    pdf = draw(certificate)
    try:
        keep(certificate, pdf)
    except Exception:
        logger.exception("Certificate %s: PDF drawn but not stored", certificate.code)
    return pdf
