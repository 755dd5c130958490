"""Synthetic test clips (FFmpeg's testsrc2 pattern and a sine tone), made with PyAV.

For the suite and ``make bench``: no sample files to commit, any size and length.
"""

from pathlib import Path

import av


def make_clip(
    path: str | Path,
    *,
    seconds: float = 2,
    width: int = 960,
    height: int = 540,
    rate: int = 25,
    audio: bool = True,
) -> Path:
    """Write an H.264 (+ AAC) MP4 of ``seconds`` to ``path``."""
    path = Path(path)
    with av.open(str(path), mode="w") as out:
        video_out = out.add_stream("libx264", rate=rate)
        video_out.width, video_out.height, video_out.pix_fmt = width, height, "yuv420p"
        video_out.options = {"preset": "ultrafast"}
        audio_out = None
        if audio:
            audio_out = out.add_stream("aac", rate=48_000)
            audio_out.layout = "stereo"
        pattern = f"testsrc2=duration={seconds}:size={width}x{height}:rate={rate}"
        with av.open(pattern, format="lavfi") as source:
            for frame in source.decode(video=0):
                frame.pict_type = av.video.frame.PictureType.NONE
                out.mux(video_out.encode(frame.reformat(format="yuv420p")))
        out.mux(video_out.encode(None))
        if audio_out is not None:
            resampler = av.AudioResampler(
                format="fltp", layout="stereo", rate=48_000, frame_size=1024
            )
            with av.open(f"sine=frequency=440:duration={seconds}", format="lavfi") as tone:
                for frame in tone.decode(audio=0):
                    for chunk in resampler.resample(frame):
                        out.mux(audio_out.encode(chunk))
            for chunk in resampler.resample(None):
                out.mux(audio_out.encode(chunk))
            out.mux(audio_out.encode(None))
    return path
