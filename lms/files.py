"""File handling shared by the apps: image uploads and deleting files with their rows."""

import io
import logging

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from PIL import Image, ImageOps, UnidentifiedImageError

logger = logging.getLogger(__name__)

ACCEPTED_IMAGE_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
# Refused before decoding: a small file can declare an enormous canvas.
MAX_IMAGE_PIXELS = 25_000_000


def delete_file_on_commit(storage: Storage, name: str) -> None:
    """Delete ``name`` once the surrounding transaction commits (at once outside one).

    A rolled-back transaction keeps the row pointing at its file, so the file must
    outlive it; only a committed change may remove it.
    """
    if not name:
        return

    def _delete():
        try:
            storage.delete(name)
        except OSError:  # pragma: no cover - logged, a later sweep can retry
            logger.exception("Could not delete %s", name)

    transaction.on_commit(_delete)


def process_image(upload, *, max_bytes: int, max_side: int, box: tuple[int, int], crop: bool):
    """Validate an uploaded image by its content and re-encode it as WebP.

    Returns a ``ContentFile``. Raises ``ValidationError`` with a message a person can
    act on for: files over ``max_bytes``, content that is not an image of an accepted
    type (whatever the extension says), sides over ``max_side`` pixels and
    decompression bombs. Re-encoding drops metadata (EXIF location) and anything
    hidden after the image data.
    """
    if upload.size > max_bytes:
        raise ValidationError(
            "The image is %(size)s; the limit is %(limit)s.",
            code="too_large",
            params={"size": filesizeformat(upload.size), "limit": filesizeformat(max_bytes)},
        )
    upload.seek(0)
    try:
        # Image.open reads only the header; Pillow itself raises DecompressionBombError
        # far above our limits, the checks below refuse everything above them first.
        image = Image.open(upload)
        if image.format not in ACCEPTED_IMAGE_FORMATS:
            raise ValidationError("Upload a JPEG, PNG, WebP or GIF image.", code="bad_type")
        width, height = image.size
        if width > max_side or height > max_side:
            raise ValidationError(
                "The image is %(w)s×%(h)s pixels; each side must be at most %(max)s.",
                code="too_big_dimensions",
                params={"w": width, "h": height, "max": max_side},
            )
        if width * height > MAX_IMAGE_PIXELS:
            raise ValidationError("The image has too many pixels.", code="bomb")
        image.load()
    except Image.DecompressionBombError:
        raise ValidationError("The image has too many pixels.", code="bomb") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError(
            "The file is not a valid image. Upload a JPEG, PNG, WebP or GIF image.",
            code="bad_type",
        ) from None

    image = ImageOps.exif_transpose(image)
    image = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
    if crop:
        image = ImageOps.fit(image, box, Image.Resampling.LANCZOS)
    else:
        image.thumbnail(box, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="WEBP", quality=85, method=4)
    return ContentFile(out.getvalue())
