"""A disk that fills up during a video upload: a clear error, no partial file, no row.

The disk is real: a 1 MiB tmpfs mounted for the test (mounting needs root, which CI
has; elsewhere these tests skip and say so).
"""

import os
import shutil
import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from catalog.models import Lesson
from catalog.tests.factories import SAMPLE_MP4, CourseFactory, SectionFactory
from catalog.tests.test_admin import inline_management, post_new_lesson

pytestmark = pytest.mark.django_db
IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if result.returncode:
        message = f"the disk-full tests mount a small tmpfs, which needs root: {result.stderr}"
        if IN_CI:
            pytest.fail(f"CI=true: {message}")
        pytest.skip(message)
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=True)


def fill(disk, *, leave: int) -> None:
    """Fill ``disk`` until about ``leave`` bytes are free."""
    free = shutil.disk_usage(disk).free
    (disk / "filler").write_bytes(b"\0" * (free - leave))


def files_on(disk) -> list[str]:
    return sorted(
        os.path.relpath(os.path.join(folder, name), disk)
        for folder, _, names in os.walk(disk)
        for name in names
    )


def video():
    return SimpleUploadedFile("intro.mp4", SAMPLE_MP4.read_bytes(), "video/mp4")


@pytest.fixture
def section(instructor):
    return SectionFactory(course=CourseFactory(instructor=instructor))


def test_an_upload_the_disk_cannot_hold_is_refused_before_writing(
    client, instructor, section, small_disk, settings
):
    settings.PRIVATE_MEDIA_ROOT = small_disk
    fill(small_disk, leave=150 * 1024)  # the sample is 255 KiB
    client.force_login(instructor)

    response = post_new_lesson(client, section, video())

    assert response.status_code == 200
    assert "The server has no room for" in response.content.decode()
    assert "A published lesson needs a video" not in response.content.decode()  # one message
    assert not Lesson.objects.filter(section=section).exists()
    assert files_on(small_disk) == ["filler"]


def test_a_disk_that_fills_during_the_write_leaves_no_partial_file(
    instructor, section, small_disk, settings, monkeypatch
):
    """Another process takes the room between the check and the write."""
    settings.PRIVATE_MEDIA_ROOT = small_disk
    monkeypatch.setattr("catalog.forms.ensure_room", lambda storage, upload: None)
    fill(small_disk, leave=100 * 1024)
    client = Client(raise_request_exception=False)
    client.force_login(instructor)

    response = post_new_lesson(client, section, video())

    assert response.status_code == 507
    assert "no room to store your file" in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert not Lesson.objects.filter(section=section).exists()
    assert files_on(small_disk) == ["filler"]  # the part written before ENOSPC is gone


def test_a_full_upload_folder_gives_a_clear_error_and_keeps_nothing(
    instructor, section, small_disk, settings
):
    """Django spools big uploads to FILE_UPLOAD_TEMP_DIR while reading the request."""
    settings.FILE_UPLOAD_TEMP_DIR = small_disk
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    fill(small_disk, leave=64 * 1024)
    client = Client(raise_request_exception=False)
    client.force_login(instructor)

    response = post_new_lesson(client, section, video())

    assert response.status_code == 507
    assert "no room to store your file" in response.content.decode()
    assert not Lesson.objects.filter(section=section).exists()
    assert files_on(small_disk) == ["filler"]


def test_videos_added_together_must_fit_together(client, instructor, section, small_disk, settings):
    """Each of two videos fits alone, not both: refused before anything is written."""
    settings.PRIVATE_MEDIA_ROOT = small_disk
    fill(small_disk, leave=400 * 1024)  # the sample is 255 KiB (plus 5 % headroom)
    client.force_login(instructor)
    data = {"course": section.course_id, "title": section.title}
    data.update(inline_management("lessons", total=2))
    for n in range(2):
        data.update(
            {
                f"lessons-{n}-title": f"Part {n + 1}",
                f"lessons-{n}-description": "",
                f"lessons-{n}-is_published": "on",
                f"lessons-{n}-video": video(),
            }
        )

    response = client.post(reverse("admin:catalog_section_change", args=[section.pk]), data)

    assert response.status_code == 200
    assert "The server has no room for 509" in response.content.decode()
    assert not Lesson.objects.filter(section=section).exists()
    assert files_on(small_disk) == ["filler"]
