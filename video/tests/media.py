"""Reading what the transcoder made, for the tests."""

import io

import av


def decode(data: bytes) -> tuple[int, float]:
    """(video frames, seconds of audio) of an MPEG-TS byte string."""
    with av.open(io.BytesIO(data), format="mpegts") as container:
        frames = sum(1 for _ in container.decode(video=0))
    with av.open(io.BytesIO(data), format="mpegts") as container:
        samples = sum(frame.samples for frame in container.decode(audio=0))
    return frames, samples / 48_000
