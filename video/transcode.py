"""Transcoding a lesson video into an adaptive, AES-128 encrypted HLS ladder, with PyAV.

PyAV rather than Debian's ``ffmpeg`` program: its wheel bundles FFmpeg with libx264, the
AAC encoder and the HLS muxer, so ``pip install`` is the whole setup on any machine (a
worker needs no system package), and the same library already checks uploads
(catalog.video). One pass decodes the source once and feeds every rung's encoder.

The ladder: 360p, 540p, 720p and 1080p — the rungs no taller than the source (never
upscaled; a source shorter than 360 px gets one rung at its own size). H.264 Main with
AAC-LC stereo at 48 kHz, muxed in MPEG-TS segments of ``SEGMENT_SECONDS``. Every rung
gets its keyframes at the same instants (forced on segment boundaries of the source's
clock, no scene-cut keyframes), so the player can switch rung at any segment boundary.

Encryption is ours, after muxing: each segment is AES-128-CBC encrypted (PKCS#7 padding)
with the run's key and, as HLS defines when a playlist gives no IV, the segment's media
sequence number as IV. The key is returned, never written next to the segments.
"""

import contextlib
import math
import os
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

SEGMENT_SECONDS = 4
# x264's speed/size trade-off (settings.VIDEO_X264_PRESET in Lectern).
PRESET = "veryfast"
POSTER_HEIGHT = 720
AUDIO_RATE = 48_000


@dataclass(frozen=True)
class Rung:
    name: str
    height: int
    video_bitrate: int  # bits per second (target; VBV capped at 1.5×)
    audio_bitrate: int
    level: str  # H.264 level, e.g. "3.1"


LADDER = (
    Rung("360p", 360, 800_000, 96_000, "3.0"),
    Rung("540p", 540, 1_600_000, 128_000, "3.1"),
    Rung("720p", 720, 3_000_000, 128_000, "3.1"),
    Rung("1080p", 1080, 5_500_000, 160_000, "4.0"),
)


class SourceError(Exception):
    """The source cannot be transcoded (corrupt, not a video, no frames): retrying the
    same file will fail the same way. The message is for the instructor."""


@dataclass
class Rendition:
    name: str
    width: int
    height: int
    bandwidth: int = 0  # peak segment bitrate, bits per second (HLS BANDWIDTH)
    average_bandwidth: int = 0
    codecs: str = ""
    playlist: str = ""
    segments: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "name": self.name,
            "width": self.width,
            "height": self.height,
            "bandwidth": self.bandwidth,
            "average_bandwidth": self.average_bandwidth,
            "codecs": self.codecs,
            "playlist": self.playlist,
            "segments": len(self.segments),
        }


@dataclass
class Result:
    key: bytes
    duration: float
    renditions: list[Rendition]
    poster: str  # file name in the output folder ("" when no frame could be drawn)
    files: list[str]  # every file written, relative to the output folder


def even(value: float) -> int:
    return max(2, round(value / 2) * 2)


def plan_ladder(width: int, height: int) -> list[tuple[Rung, int, int]]:
    """The rungs for a ``width``×``height`` source, as (rung, width, height), lowest
    first. Never taller than the source."""
    if width <= 0 or height <= 0:
        raise SourceError("The video has no picture size.")
    rungs = [rung for rung in LADDER if rung.height <= height]
    if not rungs:
        rungs = [Rung(f"{even(height)}p", even(height), 500_000, 96_000, "3.0")]
    return [(rung, even(width * rung.height / height), rung.height) for rung in rungs]


def codecs_string(rung: Rung, *, audio: bool) -> str:
    """RFC 6381 codecs of a rung: H.264 Main (0x4D), constraint flags 0x40, the level."""
    level = int(float(rung.level) * 10)
    video = f"avc1.4d40{level:02x}"
    return f"{video},mp4a.40.2" if audio else video


class _Output:
    """One rung: its HLS muxer and encoders."""

    def __init__(self, folder, rung: Rung, width: int, height: int, source, audio, preset):
        self.rung, self.width, self.height = rung, width, height
        self.rendition = Rendition(rung.name, width, height, playlist=f"{rung.name}.m3u8")
        self.container = av.open(
            str(folder / self.rendition.playlist),
            mode="w",
            format="hls",
            options={
                "hls_time": str(SEGMENT_SECONDS),
                "hls_playlist_type": "vod",
                "hls_list_size": "0",
                "hls_segment_type": "mpegts",
                "hls_segment_filename": str(folder / f"{rung.name}_%05d.ts"),
                "hls_flags": "independent_segments",
            },
        )
        self.video = self.container.add_stream("libx264", rate=_frame_rate(source))
        # The source's own clock: variable frame rates keep their timing, no pts collide.
        self.video.codec_context.time_base = source.time_base
        self.video.width, self.video.height = width, height
        self.video.pix_fmt = "yuv420p"
        self.video.bit_rate = rung.video_bitrate
        self.video.options = {
            "preset": preset,
            "profile": "main",
            "level": rung.level,
            "maxrate": str(int(rung.video_bitrate * 1.5)),
            "bufsize": str(rung.video_bitrate * 2),
            # Keyframes only where the transcoder forces them (segment boundaries).
            "x264-params": "scenecut=0:open_gop=0:keyint=infinite:min-keyint=1",
            "forced-idr": "1",
        }
        self.audio = None
        if audio:
            self.audio = self.container.add_stream("aac", rate=AUDIO_RATE)
            self.audio.layout = "stereo"
            self.audio.bit_rate = rung.audio_bitrate

    def encode_video(self, frame) -> None:
        scaled = frame.reformat(width=self.width, height=self.height, format="yuv420p")
        scaled.pts, scaled.time_base, scaled.pict_type = frame.pts, frame.time_base, frame.pict_type
        self.container.mux(self.video.encode(scaled))

    def encode_audio(self, frame) -> None:
        if self.audio is not None:
            self.container.mux(self.audio.encode(frame))

    def close(self) -> None:
        self.container.mux(self.video.encode(None))
        if self.audio is not None:
            self.container.mux(self.audio.encode(None))
        self.container.close()


def transcode(
    source: str | os.PathLike,
    folder: str | os.PathLike,
    *,
    on_progress: Callable[[float], None] = lambda share: None,
    preset: str = PRESET,
) -> Result:
    """Transcode ``source`` (a local file) into ``folder`` (an empty local folder).

    ``on_progress`` is called with the share done (0–1) as decoding moves through the
    source. Raises SourceError when the source is not a usable video.
    """
    folder = Path(folder)
    try:
        container = av.open(str(source), mode="r")
    except (av.FFmpegError, OSError, ValueError) as error:
        raise SourceError(f"The file could not be read as a video ({error}).") from None
    try:
        return _transcode(container, folder, on_progress, preset)
    except av.FFmpegError as error:
        raise SourceError(f"The video could not be decoded ({error}).") from None
    finally:
        container.close()


def _transcode(container, folder: Path, on_progress, preset: str) -> Result:
    if not container.streams.video:
        raise SourceError("The file has no video stream.")
    video_in = container.streams.video[0]
    video_in.thread_type = "AUTO"
    audio_in = container.streams.audio[0] if container.streams.audio else None
    width, height = video_in.codec_context.width, video_in.codec_context.height
    total = container.duration / av.time_base if container.duration else 0.0
    outputs = [
        _Output(folder, rung, w, h, video_in, audio_in is not None, preset)
        for rung, w, h in plan_ladder(width, height)
    ]
    resampler = (
        av.AudioResampler(format="fltp", layout="stereo", rate=AUDIO_RATE, frame_size=1024)
        if audio_in is not None
        else None
    )
    poster_at = min(max(total * 0.1, 0.0), 5.0)
    poster = ""
    next_keyframe = 0.0
    last_time = 0.0
    frames = 0
    streams = [video_in] + ([audio_in] if audio_in is not None else [])
    try:
        for packet in container.demux(streams):
            for frame in packet.decode():
                if frame.pts is None:
                    continue
                seconds = float(frame.pts * frame.time_base)
                if packet.stream.type == "video":
                    frames += 1
                    # Same instants on every rung: segment boundaries of the source's clock.
                    if seconds >= next_keyframe:
                        frame.pict_type = av.video.frame.PictureType.I
                        boundary = math.floor(seconds / SEGMENT_SECONDS) + 1
                        next_keyframe = boundary * SEGMENT_SECONDS
                    else:
                        frame.pict_type = av.video.frame.PictureType.NONE
                    for output in outputs:
                        output.encode_video(frame)
                    if not poster and seconds >= poster_at:
                        poster = _save_poster(frame, folder)
                    if seconds > last_time:
                        last_time = seconds
                        if total:
                            on_progress(min(seconds / total, 1.0))
                else:
                    for resampled in resampler.resample(frame):
                        for output in outputs:
                            output.encode_audio(resampled)
        if resampler is not None:
            for resampled in resampler.resample(None):
                for output in outputs:
                    output.encode_audio(resampled)
    finally:
        for output in outputs:
            # A close failing after a decoding error: the decoding error is the one to report.
            with contextlib.suppress(av.FFmpegError):
                output.close()
    if frames == 0:
        raise SourceError("The video has no frames.")
    duration = total or last_time
    key = secrets.token_bytes(16)
    renditions = []
    for output in outputs:
        rendition = output.rendition
        rendition.codecs = codecs_string(output.rung, audio=audio_in is not None)
        _finish_rendition(folder, rendition, key)
        renditions.append(rendition)
    files = [r.playlist for r in renditions] + [s for r in renditions for s in r.segments]
    (folder / "master.m3u8").write_text(master_playlist(renditions))
    files.append("master.m3u8")
    if poster:
        files.append(poster)
    on_progress(1.0)
    return Result(key=key, duration=duration, renditions=renditions, poster=poster, files=files)


def _frame_rate(stream) -> Fraction:
    rate = stream.average_rate or stream.guessed_rate or Fraction(25)
    return min(rate, Fraction(60))


def _save_poster(frame, folder: Path) -> str:
    image = frame.to_image()
    if image.height > POSTER_HEIGHT:
        image = image.resize((even(image.width * POSTER_HEIGHT / image.height), POSTER_HEIGHT))
    image.save(folder / "poster.jpg", format="JPEG", quality=85, optimize=True)
    return "poster.jpg"


EXTINF = re.compile(r"^#EXTINF:([\d.]+),")


def _finish_rendition(folder: Path, rendition: Rendition, key: bytes) -> None:
    """Encrypt the rung's segments in place, rewrite its playlist with the key line, and
    measure its bandwidth."""
    lines = (folder / rendition.playlist).read_text().splitlines()
    out, durations, sequence = [], [], 0
    peak, total_bits, total_seconds = 0, 0, 0.0
    for line in lines:
        if line.startswith("#EXT-X-MEDIA-SEQUENCE:"):
            sequence = int(line.split(":", 1)[1])
        match = EXTINF.match(line)
        if match:
            durations.append(float(match.group(1)))
        if line and not line.startswith("#"):
            name = os.path.basename(line)
            path = folder / name
            data = path.read_bytes()
            path.write_bytes(encrypt_segment(data, key, sequence + len(rendition.segments)))
            seconds = durations[-1] if durations else SEGMENT_SECONDS
            bits = len(data) * 8
            peak = max(peak, math.ceil(bits / max(seconds, 0.5)))
            total_bits += bits
            total_seconds += seconds
            rendition.segments.append(name)
            out.append(name)
            continue
        out.append(line)
    # The key line goes before the first segment; delivery rewrites URI="key" per viewer.
    first = next(i for i, line in enumerate(out) if line.startswith("#EXTINF"))
    out.insert(first, '#EXT-X-KEY:METHOD=AES-128,URI="key"')
    (folder / rendition.playlist).write_text("\n".join(out) + "\n")
    rendition.bandwidth = peak
    rendition.average_bandwidth = math.ceil(total_bits / total_seconds) if total_seconds else peak


def iv_for(sequence: int) -> bytes:
    return sequence.to_bytes(16, "big")


def encrypt_segment(data: bytes, key: bytes, sequence: int) -> bytes:
    padder = padding.PKCS7(128).padder()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv_for(sequence))).encryptor()
    return encryptor.update(padder.update(data) + padder.finalize()) + encryptor.finalize()


def decrypt_segment(data: bytes, key: bytes, sequence: int) -> bytes:
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv_for(sequence))).decryptor()
    unpadder = padding.PKCS7(128).unpadder()
    return unpadder.update(decryptor.update(data) + decryptor.finalize()) + unpadder.finalize()


def master_playlist(renditions: list[Rendition]) -> str:
    """The master playlist, lowest rung first, with relative media playlist names
    (delivery rewrites them into each viewer's signed URLs)."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for r in renditions:
        lines.append(
            f"#EXT-X-STREAM-INF:BANDWIDTH={r.bandwidth},AVERAGE-BANDWIDTH={r.average_bandwidth},"
            f'RESOLUTION={r.width}x{r.height},CODECS="{r.codecs}"'
        )
        lines.append(r.playlist)
    return "\n".join(lines) + "\n"
