"""Video uploads are judged by their content, and their duration is read from the file."""

import av
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.tests.factories import SAMPLE_MP4, SAMPLE_WEBM
from catalog.video import inspect_video


def upload(name, content, content_type="video/mp4"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_real_mp4_is_accepted_with_its_duration():
    info = inspect_video(upload("talk.mp4", SAMPLE_MP4.read_bytes()))
    assert (info.kind, info.codec, info.duration) == ("mp4", "h264", 12)
    assert (info.width, info.height) == (480, 270)


def test_real_webm_is_accepted_with_its_duration():
    info = inspect_video(upload("talk.webm", SAMPLE_WEBM.read_bytes(), "video/webm"))
    assert (info.kind, info.codec, info.duration) == ("webm", "vp8", 10)


def test_m4v_extension_is_fine_for_mp4_content():
    file = upload("talk.m4v", SAMPLE_MP4.read_bytes(), "video/x-m4v")
    assert inspect_video(file).kind == "mp4"
    assert file.name == "talk.m4v"


def test_wrong_extension_is_corrected_to_the_real_type():
    file = upload("talk.mp4", SAMPLE_WEBM.read_bytes())
    assert inspect_video(file).kind == "webm"
    assert file.name == "talk.webm"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "setup.mp4",
            b"MZ\x90\x00" + b"\x00" * 4000 + b"This program cannot be run in DOS mode",
            "not a playable video",
        ),
        ("notes.mp4", b"just some text pretending to be a video\n" * 50, "not a playable video"),
        ("empty.mp4", b"", "The file is empty"),
    ],
    ids=["exe-renamed-mp4", "text-renamed-mp4", "empty"],
)
def test_fake_videos_are_refused(name, content, message):
    with pytest.raises(ValidationError, match=message):
        inspect_video(upload(name, content))


def test_audio_only_file_is_refused(tmp_path):
    path = tmp_path / "sound.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=44100, layout="mono")
        frame = av.AudioFrame(format="fltp", layout="mono", samples=1024)
        frame.planes[0].update(bytes(frame.planes[0].buffer_size))
        frame.sample_rate = 44100
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)
    with pytest.raises(ValidationError, match="not a playable video"):
        inspect_video(upload("sound.mp4", path.read_bytes()))


def test_oversize_video_is_refused(settings):
    settings.VIDEO_MAX_BYTES = 1000
    with pytest.raises(ValidationError, match="the limit is"):
        inspect_video(upload("talk.mp4", SAMPLE_MP4.read_bytes()))
