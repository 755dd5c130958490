"""Lesson videos uploaded many at a time from the curriculum builder: one lesson per file.

Two paths, one rule — a file becomes a lesson only once its content has been checked
(``catalog.video.inspect_video``), and a refused file leaves nothing behind:

- Local storage: the browser posts the file to Lectern (``accept_upload``), which checks
  it (content, size, room on the disk) before anything is written, as the lesson form does.
- S3 storage: a 2 GB file should not tie up a gunicorn worker for the length of an upload,
  so Lectern signs a POST straight to the bucket (``sign_upload``: the key, the size range
  and the content type are fixed by the signature) and records who may use the key
  (``PendingUpload``). Once the browser has sent the file, ``complete_upload`` reads the
  object where it is (only the bytes the demuxer asks for), makes the lesson point at the
  key (no copy) or deletes the object. ``purge_abandoned_uploads`` deletes the objects of
  uploads that never completed.

A new lesson is published when its course is still a draft (nobody sees it yet, and the
course needs published lessons before it can be published) and saved as a draft lesson
when the course is live: students should not meet a lesson titled after a file name
before its instructor has looked at it.
"""

import io
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from catalog.models import Lesson, PendingUpload, Section
from catalog.video import EXTENSIONS, inspect_video
from lms.lib.files import delete_file_on_commit, ensure_room
from lms.lib.validators import no_control_characters

# What the browser may declare for a direct upload, and the key's extension for each.
ACCEPTED_TYPES = {"video/mp4": "mp4", "video/x-m4v": "m4v", "video/webm": "webm"}
# How long a signed POST may take to start. Each file is signed just before it is sent;
# an hour covers a queue that waited. UPLOAD_PENDING_MAX_AGE must leave room for the
# upload itself after that (a day by default).
SIGNATURE_SECONDS = 3600
# A direct upload is read from the bucket in ranges of this size (an MP4's index at its
# end costs one or two requests; a whole-file demux, 256 requests for 2 GB).
READ_CHUNK = 8 * 1024 * 1024
TITLE_MAX_LENGTH = Lesson._meta.get_field("title").max_length


def video_storage():
    """Where lesson videos live: the lesson's own field's storage (tests swap it)."""
    return Lesson._meta.get_field("video").storage


def direct_uploads() -> bool:
    """Whether the browser sends videos straight to the bucket (S3 private storage)."""
    try:
        from storages.backends.s3 import S3Storage
    except ImportError:  # pragma: no cover - django-storages is a requirement
        return False
    return isinstance(video_storage(), S3Storage)


def title_from_filename(filename: str) -> str:
    """A lesson title from a file's name: "02_intro-to_git.mp4" → "02 intro to git".

    Underscores, dots and dashes between words become spaces; a dash between digits
    ("2024-05-01") stays. The extension and any folder go."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0] if "." in name.lstrip(".") else name
    stem = stem.replace("_", " ")
    stem = re.sub(r"(?<!\d)[-.]|[-.](?!\d)", " ", stem)
    stem = "".join(" " if not ch.isprintable() else ch for ch in stem)
    title = " ".join(stem.split())[:TITLE_MAX_LENGTH].strip()
    return title or "Untitled video"


def clean_title(title: str, filename: str) -> str:
    """The title the instructor typed (or one from the file name when left empty).

    Raises ValidationError for what the lesson's title would refuse anyway."""
    title = (title or "").strip()
    if not title:
        return title_from_filename(filename)
    if len(title) > TITLE_MAX_LENGTH:
        raise ValidationError(
            "The title is %(n)s characters long; the limit is %(max)s.",
            code="title_too_long",
            params={"n": len(title), "max": TITLE_MAX_LENGTH},
        )
    no_control_characters(title)
    return title


def publish_new_lesson(section: Section) -> bool:
    """Published in a draft course, a draft lesson in a live one (see the module's doc)."""
    return not section.course.is_published


# --- Local: the file comes through Lectern ---------------------------------------------
def accept_upload(*, section: Section, file, user, title: str = "") -> Lesson:
    """Check ``file`` (an uploaded file) by its content and make it a lesson of ``section``.

    ``section`` has been scoped to ``user`` by the caller. Raises ValidationError with a
    message for the instructor; nothing is written then (the check comes first, and a
    failed save deletes the file it wrote: ``FilesFollowRows``)."""
    title = clean_title(title, file.name)  # before inspect_video may correct the name
    info = inspect_video(file)
    ensure_room(video_storage(), [file])
    lesson = Lesson(
        section=section,
        title=title,
        video=file,
        duration=info.duration,
        is_published=publish_new_lesson(section),
    )
    with transaction.atomic():
        lesson.save()
    return lesson


# --- S3: the file goes straight to the bucket --------------------------------------------
@dataclass(frozen=True)
class SignedUpload:
    key: str  # the storage name the lesson will have ("videos/<uuid>.mp4")
    url: str  # where the browser posts the file
    fields: dict  # the form fields to send before the file


def _refuse_declared(size: int, content_type: str, filename: str) -> None:
    if size <= 0:
        raise ValidationError("The file is empty.", code="empty")
    if size > settings.VIDEO_MAX_BYTES:
        raise ValidationError(
            "The video is %(size)s; the limit is %(limit)s.",
            code="too_large",
            params={
                "size": filesizeformat(size),
                "limit": filesizeformat(settings.VIDEO_MAX_BYTES),
            },
        )
    if content_type not in ACCEPTED_TYPES:
        raise ValidationError(
            "“%(name)s” is not an MP4 or WebM video. Upload an MP4 (H.264) or WebM (VP8/VP9) file.",
            code="bad_type",
            params={"name": filename},
        )


def _object_key(storage, name: str) -> str:
    """The bucket key of storage name ``name`` (under the storage's ``location``)."""
    return storage._normalize_name(name)  # django-storages' own mapping, as _save uses it


def sign_upload(
    *, section: Section, user, filename: str, size: int, content_type: str, title: str = ""
) -> SignedUpload:
    """A presigned POST for one video to the private bucket, and the row that lets
    ``user`` turn it into a lesson of ``section`` (scoped by the caller).

    What the browser declares is checked here so that a wrong file is refused before it
    travels; the signature then holds the bucket to it (this key only, 1 byte to
    VIDEO_MAX_BYTES, this content type). The declaration is only a claim: the content is
    checked again when the upload completes."""
    if not direct_uploads():
        raise ValidationError(
            "Direct uploads need S3 storage; send the file to Lectern instead.", code="local"
        )
    _refuse_declared(size, content_type, filename)
    clean_title(title, filename)  # refuse a bad title before the upload, not after
    storage = video_storage()
    name = f"videos/{uuid.uuid4().hex}.{ACCEPTED_TYPES[content_type]}"
    client = storage.connection.meta.client
    post = client.generate_presigned_post(
        Bucket=storage.bucket_name,
        Key=_object_key(storage, name),
        Fields={"Content-Type": content_type},
        Conditions=[
            {"Content-Type": content_type},
            ["content-length-range", 1, settings.VIDEO_MAX_BYTES],
        ],
        ExpiresIn=SIGNATURE_SECONDS,
    )
    PendingUpload.objects.create(
        key=name, section=section, created_by=user, filename=filename[:255], size=size
    )
    return SignedUpload(key=name, url=post["url"], fields=post["fields"])


class RangedObject(io.RawIOBase):
    """An S3 object read as a seekable file, fetching only the ranges that are read.

    django-storages' S3File downloads the whole object on the first read; checking a
    2 GB MP4 needs its first and last few megabytes (the header and the index)."""

    def __init__(self, storage, name: str, size: int):
        super().__init__()
        self.client = storage.connection.meta.client
        self.bucket, self.key = storage.bucket_name, _object_key(storage, name)
        self.name, self.size = name, size
        self.position = 0
        self.block_start, self.block = 0, b""
        self.requests = 0  # ranges fetched, for the tests

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        self.position = max(0, base + offset)
        return self.position

    def readinto(self, buffer) -> int:
        if self.position >= self.size:
            return 0
        offset = self.position - self.block_start
        if not 0 <= offset < len(self.block):
            end = min(self.position + max(READ_CHUNK, len(buffer)), self.size) - 1
            answer = self.client.get_object(
                Bucket=self.bucket, Key=self.key, Range=f"bytes={self.position}-{end}"
            )
            self.block_start, self.block = self.position, answer["Body"].read()
            self.requests += 1
            offset = 0
            if not self.block:
                return 0
        count = min(len(buffer), len(self.block) - offset)
        buffer[:count] = self.block[offset : offset + count]
        self.position += count
        return count


def _stored_size(storage, name: str) -> int | None:
    try:
        return storage.size(name)
    except FileNotFoundError:
        return None


def _open_for_inspection(storage, name: str, size: int):
    if hasattr(storage, "bucket_name"):
        return RangedObject(storage, name, size)
    return storage.open(name, "rb")  # another storage: its own file object


def _completed_lesson(section: Section, key: str) -> Lesson:
    """The lesson an earlier request already made from ``key`` (a double submit), or 404."""
    lesson = Lesson.objects.filter(section=section, video=key).first()
    if lesson is None:
        raise Http404("No such upload.")
    return lesson


def complete_upload(*, section: Section, key: str, user, title: str = "") -> Lesson:
    """Turn the object the browser sent to the bucket at ``key`` into a lesson.

    Only the row's maker may complete it, in the section it was signed for (``section``
    is scoped to ``user`` by the caller); anything else is a 404 and leaves the object
    alone. The object is checked by its content; refused, it is deleted with its row and
    a ValidationError says why. Completing twice gives the same lesson."""
    if not key:
        raise Http404("No such upload.")
    pending = PendingUpload.objects.filter(key=key, section=section, created_by=user).first()
    if pending is None:
        return _completed_lesson(section, key)
    storage = video_storage()

    def refuse(error: ValidationError):
        if PendingUpload.objects.filter(pk=pending.pk).delete()[0]:
            delete_file_on_commit(storage, key)
        raise error

    try:
        title = clean_title(title, pending.filename)
    except ValidationError as error:
        refuse(error)
    size = _stored_size(storage, key)
    if size is None:
        refuse(
            ValidationError(
                "The file did not reach the storage. Please upload it again.", code="missing"
            )
        )
    try:
        with _open_for_inspection(storage, key, size) as file:
            info = inspect_video(file)  # the size limit and emptiness are checked first
    except ValidationError as error:
        refuse(error)
    extension = key.rsplit(".", 1)[-1]
    if extension not in EXTENSIONS[info.kind]:
        refuse(
            ValidationError(
                "“%(name)s” holds a %(kind)s video but was sent as another type. Give "
                "it the extension .%(kind)s and upload it again.",
                code="wrong_extension",
                params={"name": pending.filename, "kind": info.kind},
            )
        )
    with transaction.atomic():
        if not PendingUpload.objects.filter(pk=pending.pk).delete()[0]:
            return _completed_lesson(section, key)  # a second request got here first
        lesson = Lesson(
            section=section,
            title=title,
            video=key,  # the object where it is: no copy
            duration=info.duration,
            is_published=publish_new_lesson(section),
        )
        lesson.save()
    return lesson


def purge_abandoned_uploads(*, older_than: timedelta | None = None) -> int:
    """Delete direct uploads that never completed (the tab closed, the network went):
    rows older than ``older_than`` (default UPLOAD_PENDING_MAX_AGE seconds) and their
    objects, if any arrived. Returns how many were purged."""
    if older_than is None:
        older_than = timedelta(seconds=settings.UPLOAD_PENDING_MAX_AGE)
    storage = video_storage()
    cutoff = timezone.now() - older_than
    purged = 0
    for pk, key in PendingUpload.objects.filter(created_at__lt=cutoff).values_list("pk", "key"):
        with transaction.atomic():
            if not PendingUpload.objects.filter(pk=pk).delete()[0]:
                continue  # completed or purged meanwhile
            if not Lesson.objects.filter(video=key).exists():  # never a lesson's file
                delete_file_on_commit(storage, key)
            purged += 1
    return purged


def pending_upload_files():
    """(storage, name) of every object a pending upload may have sent: not orphans."""
    storage = video_storage()
    for key in PendingUpload.objects.values_list("key", flat=True).iterator():
        yield storage, key
