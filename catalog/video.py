"""Checking uploaded lesson videos by their content, with PyAV (FFmpeg's demuxers).

The extension and the browser's content type are only claims; the container and the
codecs inside decide. Accepted: MP4/M4V (H.264, H.265, AV1) and WebM (VP8, VP9, AV1),
which HTML5 video plays in current browsers.
"""

from dataclasses import dataclass

import av
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat

# FFmpeg's names for the containers we accept (MP4 and M4V share the first).
ACCEPTED_CONTAINERS = {"mov,mp4,m4a,3gp,3g2,mj2": "mp4", "matroska,webm": "webm"}
ACCEPTED_CODECS = {
    "mp4": {"h264", "hevc", "av1"},
    "webm": {"vp8", "vp9", "av1"},
}
EXTENSIONS = {"mp4": {"mp4", "m4v"}, "webm": {"webm"}}

NOT_A_VIDEO = "The file is not a playable video. Upload an MP4 (H.264) or WebM (VP8/VP9) file."


@dataclass(frozen=True)
class VideoInfo:
    kind: str  # "mp4" or "webm"
    codec: str
    duration: int  # whole seconds (at least 1)
    width: int
    height: int


def _source(upload):
    """A path for big uploads Django spooled to disk, else the in-memory file object."""
    if hasattr(upload, "temporary_file_path"):
        return upload.temporary_file_path()
    upload.seek(0)
    return upload


def inspect_video(upload) -> VideoInfo:
    """Validate ``upload`` as a playable video and read its duration.

    Raises ValidationError with a message an instructor can act on.
    """
    if upload.size == 0:
        raise ValidationError("The file is empty.", code="empty")
    if upload.size > settings.VIDEO_MAX_BYTES:
        raise ValidationError(
            "The video is %(size)s; the limit is %(limit)s.",
            code="too_large",
            params={
                "size": filesizeformat(upload.size),
                "limit": filesizeformat(settings.VIDEO_MAX_BYTES),
            },
        )
    try:
        with av.open(_source(upload), mode="r") as container:
            kind = ACCEPTED_CONTAINERS.get(container.format.name)
            if kind is None:
                raise ValidationError(NOT_A_VIDEO, code="bad_type")
            if not container.streams.video:
                raise ValidationError(NOT_A_VIDEO, code="no_video")
            stream = container.streams.video[0]
            codec = stream.codec_context.name
            if codec not in ACCEPTED_CODECS[kind]:
                raise ValidationError(
                    "The video uses the %(codec)s codec, which browsers cannot play. "
                    "Use H.264 in MP4, or VP8/VP9 in WebM.",
                    code="bad_codec",
                    params={"codec": codec},
                )
            seconds = _duration(container, stream)
            width, height = stream.codec_context.width, stream.codec_context.height
    except ValidationError:
        raise
    except (av.FFmpegError, OSError, ValueError, IndexError):
        raise ValidationError(NOT_A_VIDEO, code="bad_type") from None
    finally:
        if hasattr(upload, "seek"):
            upload.seek(0)
    if seconds <= 0:
        raise ValidationError("The video has no length.", code="no_duration")
    name = getattr(upload, "name", "") or ""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in EXTENSIONS[kind]:
        # Stored under the extension of what it really is; no need to refuse.
        upload.name = f"{name.rsplit('.', 1)[0] or 'video'}.{kind}"
    return VideoInfo(kind=kind, codec=codec, duration=seconds, width=width, height=height)


def _duration(container, stream) -> int:
    """Whole seconds. Streamed WebM has no duration in its header: demux to the end."""
    if container.duration:
        microseconds = container.duration
    elif stream.duration and stream.time_base:
        microseconds = int(stream.duration * stream.time_base * 1_000_000)
    else:
        last = 0.0
        for packet in container.demux(stream):
            if packet.pts is not None and packet.time_base is not None:
                last = max(last, float((packet.pts + (packet.duration or 0)) * packet.time_base))
        microseconds = int(last * 1_000_000)
    return max(1, round(microseconds / 1_000_000)) if microseconds > 0 else 0
