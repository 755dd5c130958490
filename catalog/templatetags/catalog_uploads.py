"""What the upload drop zone tells its script (``admin/catalog/course/upload.html``)."""

from django import template
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from catalog import uploads

register = template.Library()


@register.simple_tag
def upload_settings() -> dict:
    """``mode``: "s3" (the browser posts to the bucket) or "local" (to Lectern)."""
    return {
        "mode": "s3" if uploads.direct_uploads() else "local",
        "max_bytes": settings.VIDEO_MAX_BYTES,
        "max_text": filesizeformat(settings.VIDEO_MAX_BYTES),
        "accept": ",".join([*uploads.ACCEPTED_TYPES, ".mp4", ".m4v", ".webm"]),
    }
