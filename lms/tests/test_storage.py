"""NoPartialFilesStorage: a file appears whole under a free name, or not at all."""

import errno
import os

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import TemporaryUploadedFile

from lms.lib.files import NoPartialFilesStorage


class FillsTheDisk:
    """Content whose second chunk meets a full disk; ``during`` runs before that."""

    def __init__(self, during=None):
        self.during = during

    def chunks(self):
        yield b"the first half"
        if self.during:
            self.during()
        raise OSError(errno.ENOSPC, "No space left on device")


@pytest.fixture
def storage(tmp_path):
    return NoPartialFilesStorage(location=tmp_path, file_permissions_mode=0o640)


def listing(root):
    return sorted(
        os.path.relpath(os.path.join(folder, name), root)
        for folder, _, names in os.walk(root)
        for name in names
    )


def test_a_saved_file_is_whole_with_the_permissions_asked_for(storage, tmp_path):
    name = storage.save("thumbnails/a.webp", ContentFile(b"x" * 100_000))
    assert (tmp_path / name).read_bytes() == b"x" * 100_000
    assert (tmp_path / name).stat().st_mode & 0o777 == 0o640
    assert listing(tmp_path) == ["thumbnails/a.webp"]  # no staging file left


def test_a_taken_name_gets_a_new_one_and_the_other_file_is_untouched(storage, tmp_path):
    (tmp_path / "thumbnails").mkdir()
    (tmp_path / "thumbnails" / "a.webp").write_bytes(b"someone else's")
    name = storage._save("thumbnails/a.webp", ContentFile(b"mine"))
    assert name != "thumbnails/a.webp" and (tmp_path / name).read_bytes() == b"mine"
    assert (tmp_path / "thumbnails" / "a.webp").read_bytes() == b"someone else's"


def test_a_full_disk_leaves_nothing_and_spares_a_file_written_meanwhile(storage, tmp_path):
    """Another upload takes the same name while ours is being written, then ours fails."""
    theirs = tmp_path / "thumbnails" / "a.webp"

    def another_upload():
        theirs.write_bytes(b"another instructor's thumbnail")

    with pytest.raises(OSError, match="No space left"):
        storage._save("thumbnails/a.webp", FillsTheDisk(during=another_upload))
    assert listing(tmp_path) == ["thumbnails/a.webp"]
    assert theirs.read_bytes() == b"another instructor's thumbnail"


def test_an_upload_spooled_on_the_same_disk_is_linked_not_copied(storage, tmp_path, settings):
    settings.FILE_UPLOAD_TEMP_DIR = tmp_path
    upload = TemporaryUploadedFile("clip.mp4", "video/mp4", 5, None)
    upload.write(b"video")
    upload.seek(0)
    name = storage.save("videos/clip.mp4", upload)
    assert os.path.samefile(tmp_path / name, upload.temporary_file_path())
    upload.close()  # Django removes its temp file; ours stays whole
    assert (tmp_path / name).read_bytes() == b"video"


def test_only_models_with_files_listen_for_deletes():
    """A post_delete receiver on every model would disable Django's fast bulk deletes."""
    from django.db.models.signals import post_delete

    from catalog.models import Lesson
    from learning.models import ActivityDay

    assert post_delete.has_listeners(Lesson)  # its video goes with it
    assert not post_delete.has_listeners(ActivityDay)
