"""File handling shared by the apps: image uploads and deleting files with their rows."""

import contextlib
import errno
import functools
import io
import logging
import os
import shutil
import tempfile
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.db import models, router, transaction
from django.db.models.signals import post_delete
from django.template.defaultfilters import filesizeformat
from django.utils._os import safe_makedirs
from django.utils.functional import cached_property
from PIL import Image, ImageOps, UnidentifiedImageError

logger = logging.getLogger(__name__)

ACCEPTED_IMAGE_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
# Refused before decoding: a small file can declare an enormous canvas.
MAX_IMAGE_PIXELS = 25_000_000
# Write errors that mean "no room": a full disk, a quota, a file-size limit.
NO_ROOM_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def is_out_of_room(error: BaseException | None) -> bool:
    return isinstance(error, OSError) and error.errno in NO_ROOM_ERRNOS


def delete_file_on_commit(storage: Storage, name: str) -> None:
    """Delete ``name`` once the surrounding transaction commits (at once outside one).

    A rolled-back transaction keeps the row pointing at its file, so the file must
    outlive it; only a committed change may remove it.
    """
    if name:
        transaction.on_commit(functools.partial(_delete_quietly, storage, name))


def delete_file_on_rollback(storage: Storage, name: str, *, using: str | None = None) -> None:
    """Delete ``name``, just written for a change not committed yet, if that change rolls
    back: the rows that would have named it never existed.

    Inside an atomic block the file shares the fate of what was written since its
    innermost savepoint (rolled back to it, or with the whole transaction: deleted;
    committed: kept). Outside one the change is already committed: nothing to do.
    """
    connection = transaction.get_connection(using)
    if name and connection.in_atomic_block:
        FilesOfOpenTransaction.of(connection).add(storage, name)


def copy_file(storage: Storage, name: str, upload_to_name: str) -> str:
    """Copy the stored file ``name`` to a new file of the same storage and return its name:
    ``upload_to_name`` (what the field's ``upload_to`` gives) or, if that is taken, a
    free name near it. Never the same name: a stored file belongs to one row, so
    deleting one copy's row must leave the other's file.

    On S3 (django-storages' ``S3Storage``) the bucket copies the object itself — a
    server-side copy, multipart for big videos — and no byte passes through this
    process. Elsewhere the bytes are streamed in chunks through ``storage.save``.
    Called inside a transaction, the caller registers the new name with
    ``delete_file_on_rollback``.
    """
    target = storage.get_available_name(upload_to_name)
    if getattr(storage, "file_overwrite", False) and storage.exists(target):
        # A storage that overwrites (S3's file_overwrite): never onto another row's file.
        root, extension = os.path.splitext(target)
        target = storage.get_alternative_name(root, extension)
    bucket = getattr(storage, "bucket", None)
    if bucket is not None and hasattr(storage, "connection"):
        from storages.utils import clean_name

        extra = {"ACL": storage.default_acl} if getattr(storage, "default_acl", None) else None
        bucket.copy(
            {"Bucket": bucket.name, "Key": storage._normalize_name(clean_name(name))},
            storage._normalize_name(clean_name(target)),
            ExtraArgs=extra,
        )
        return target
    with storage.open(name, "rb") as source:
        return storage.save(target, source)


def copy_field_file(file, instance) -> str:
    """Copy ``file`` (a FieldFile) for ``instance``, a new row of the same model, under the
    name the field's ``upload_to`` gives it; the copy goes if the surrounding transaction
    rolls back. Returns the new name, to assign to the field."""
    field = file.field
    wanted = field.generate_filename(instance, os.path.basename(file.name))
    name = copy_file(field.storage, file.name, wanted)
    delete_file_on_rollback(field.storage, name)
    return name


def _delete_quietly(storage: Storage, name: str) -> None:
    try:
        storage.delete(name)
    except OSError:  # pragma: no cover - logged, the integrity check finds it later
        logger.exception("Could not delete %s", name)


def _remove_quietly(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
    except OSError:  # pragma: no cover - logged, the integrity check finds it later
        logger.exception("Could not delete %s", path)


def _deleter(storage: Storage, name: str):
    """Deletes this file later, where it is now: a local storage's path is fixed at once,
    so a changed setting (tests restore MEDIA_ROOT before their transaction rolls back)
    cannot aim the deletion at a file of the same name elsewhere."""
    try:
        path = storage.path(name)
    except NotImplementedError:  # a remote storage (S3): the name is the whole address
        return functools.partial(_delete_quietly, storage, name)
    return functools.partial(_remove_quietly, path)


class FilesOfOpenTransaction:
    """The files written for a connection's uncommitted changes, deleted if they roll back.

    Django has no rollback hook (its documentation says why), so this wraps, once per
    connection, the methods that end a transaction or a savepoint, where Django itself
    keeps or drops its on-commit callbacks: ``commit`` keeps every file;
    ``savepoint_rollback(sid)`` deletes those written since that savepoint; ``rollback``
    and closing the connection in the middle of a transaction delete them all. A process
    killed mid-transaction leaves its files behind: the integrity check finds those.
    """

    def __init__(self, connection):
        # (savepoints open when the file was written, what deletes the file)
        self.files: list[tuple[set, Callable[[], None]]] = []
        self.connection = connection
        commit, rollback = connection.commit, connection.rollback
        savepoint_rollback, close = connection.savepoint_rollback, connection.close

        def commit_keeping_files():
            commit()
            self.files.clear()

        def rollback_deleting_files():
            try:
                rollback()
            finally:
                self.delete(lambda savepoints: True)

        def savepoint_rollback_deleting_files(sid):
            savepoint_rollback(sid)
            if sid is not None:
                self.delete(lambda savepoints: sid in savepoints)

        def close_deleting_files():
            in_transaction = connection.in_atomic_block
            try:
                close()
            finally:
                self.delete(lambda savepoints: in_transaction)
                self.files.clear()

        connection.commit = commit_keeping_files
        connection.rollback = rollback_deleting_files
        connection.savepoint_rollback = savepoint_rollback_deleting_files
        connection.close = close_deleting_files

    @classmethod
    def of(cls, connection) -> "FilesOfOpenTransaction":
        tracker = connection.__dict__.get("lectern_new_files")
        if tracker is None:
            tracker = connection.lectern_new_files = cls(connection)
        return tracker

    def add(self, storage: Storage, name: str) -> None:
        self.files.append((set(self.connection.savepoint_ids), _deleter(storage, name)))

    def delete(self, rolled_back) -> None:
        """Delete the files for which ``rolled_back(savepoints)`` is true; keep the rest."""
        kept = []
        for savepoints, delete in self.files:
            if rolled_back(savepoints):
                delete()
            else:
                kept.append((savepoints, delete))
        self.files = kept


def ensure_room(storage: Storage, uploads) -> None:
    """Refuse, before anything is written, uploads the storage's local disk cannot hold.

    ``uploads`` are the files one request will store, counted together. Leaves headroom
    (5 % of the disk, at most 100 MB) so an upload never takes the last bytes the
    database or the logs need. Storages without a local path (S3) pass, and an upload
    already spooled to the same filesystem needs no room (it is linked, not copied).
    """
    try:
        folder = storage.path("")
    except NotImplementedError:
        return
    while not os.path.isdir(folder) and os.path.dirname(folder) != folder:
        folder = os.path.dirname(folder)  # the storage folder may not exist yet
    device = os.stat(folder).st_dev

    def needs_room(upload) -> bool:
        spooled = getattr(upload, "temporary_file_path", None)
        return not (spooled and os.stat(spooled()).st_dev == device)

    size = sum(upload.size for upload in uploads if needs_room(upload))
    if not size:
        return
    usage = shutil.disk_usage(folder)
    reserve = min(100 * 1024 * 1024, usage.total // 20)
    if size > usage.free - reserve:
        raise ValidationError(
            "The server has no room for %(size)s of uploads right now (%(free)s free). "
            "Nothing was saved; please tell the Lectern team.",
            code="no_room",
            params={
                "size": filesizeformat(size),
                "free": filesizeformat(max(usage.free - reserve, 0)),
            },
        )


def process_image(upload, *, max_bytes: int, max_side: int, box: tuple[int, int]):
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
    image = ImageOps.fit(image, box, Image.Resampling.LANCZOS)  # cropped to fill ``box``
    out = io.BytesIO()
    image.save(out, format="WEBP", quality=85, method=4)
    return ContentFile(out.getvalue())


class FilesFollowRows(models.Model):
    """Abstract model base: files live exactly as long as the rows that point at them.

    Saving a row whose file field now names another file deletes the old file once the
    transaction commits, and the new file if it rolls back instead; deleting a row
    (directly, in bulk or by cascade) deletes its files once the deletion commits
    (``delete_files_of_deleted_row``; each app connects it for its own models with
    ``follow_files_of(app_config)`` in its ``ready()``). A stored file belongs to one row.
    """

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        try:
            super().save(*args, **kwargs)
        except BaseException:
            self._follow_new_files(using, failed=True)
            raise
        self._follow_new_files(using, failed=False)
        stored = getattr(self, "_stored_files", {})
        for field in self.file_fields():
            old = stored.get(field.attname)
            if old and old != str(self.__dict__.get(field.attname) or ""):
                delete_file_on_commit(field.storage, old)
        self._stored_files = self._current_files()

    def _follow_new_files(self, using: str, *, failed: bool) -> None:
        """The files this save gives the row (written by it, or just before it) are named
        by no committed row until the change commits: they go if it rolls back, and at
        once if the save failed outside a transaction, unless the row was written after
        all (a post_save receiver failed)."""
        stored = getattr(self, "_stored_files", {})
        in_transaction = transaction.get_connection(using).in_atomic_block
        for field in self.file_fields():
            if field.attname not in self.__dict__:
                continue  # deferred: not loaded, not changed (and no query after an error)
            file = getattr(self, field.attname)
            if not (file and file._committed):
                continue  # an upload the failed save never wrote is no stored file
            if file.name == stored.get(field.attname):
                continue
            if in_transaction:
                delete_file_on_rollback(field.storage, file.name, using=using)
            elif failed and not self._row_names(field, file.name, using):
                _delete_quietly(field.storage, file.name)

    def _row_names(self, field, name: str, using: str) -> bool:
        """Whether this row, as the database has it, names ``name`` in ``field``."""
        rows = type(self)._base_manager.using(using).filter(pk=self.pk, **{field.attname: name})
        return self.pk is not None and rows.exists()

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._stored_files = instance._current_files()
        return instance

    @classmethod
    def file_fields(cls) -> list[models.FileField]:
        return [f for f in cls._meta.concrete_fields if isinstance(f, models.FileField)]

    def _current_files(self) -> dict[str, str]:
        return {f.attname: str(self.__dict__.get(f.attname) or "") for f in self.file_fields()}


def delete_files_of_deleted_row(sender, instance, **kwargs) -> None:
    """post_delete receiver (see ``follow_files_of``): the files of a deleted row go with it."""
    for field in instance.file_fields():
        delete_file_on_commit(field.storage, str(instance.__dict__.get(field.attname) or ""))


def follow_files_of(app_config) -> None:
    """Connect ``delete_files_of_deleted_row`` for each FilesFollowRows model of an app.

    A receiver, not a call in a service: rows also go by cascade (a deleted user takes
    their profile; a deleted course its lessons), and only ``post_delete`` sees those.
    Connected per model, because a receiver for every model would make Django load and
    signal every row of every bulk or cascading delete (no fast delete anywhere).
    """
    for model in app_config.get_models():
        if issubclass(model, FilesFollowRows):
            post_delete.connect(
                delete_files_of_deleted_row,
                sender=model,
                dispatch_uid=f"lms.lib.files.delete_files_of_row.{model._meta.label}",
            )


class NoPartialFilesStorage(FileSystemStorage):
    """Local storage whose files appear whole or not at all.

    Django's FileSystemStorage writes in place and keeps what it wrote when the disk
    fills up. Here the bytes go to a hidden staging file beside the target, which is
    then hard-linked into place under a free name (``os.link`` refuses a name that
    exists, as ``O_EXCL`` does); a failed write removes only the staging file this call
    made. An upload Django already spooled to disk on the same filesystem is linked as
    it is: no copy, no extra space.
    """

    def _save(self, name, content):
        directory = os.path.dirname(self.path(name))
        if self.directory_permissions_mode is not None:
            safe_makedirs(directory, self.directory_permissions_mode, exist_ok=True)
        else:
            os.makedirs(directory, exist_ok=True)
        source, staged = self._source_for(content, directory)
        try:
            while True:
                full_path = self.path(name)
                try:
                    os.link(source, full_path)
                    break
                except FileExistsError:
                    name = self.get_available_name(name)
        finally:
            if staged:
                with contextlib.suppress(OSError):
                    os.remove(source)
        os.chmod(full_path, self.file_permissions_mode or 0o644)
        return os.path.relpath(full_path, self.location).replace("\\", "/")

    @staticmethod
    def _source_for(content, directory: str) -> tuple[str, bool]:
        """A complete file on ``directory``'s filesystem holding ``content``, and
        whether it is a staging file of ours (to remove once linked)."""
        if hasattr(content, "temporary_file_path"):
            spooled = content.temporary_file_path()
            if os.stat(spooled).st_dev == os.stat(directory).st_dev:
                return spooled, False
        fd, staging = tempfile.mkstemp(dir=directory, prefix=".partial-")
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in content.chunks():
                    out.write(chunk.encode() if isinstance(chunk, str) else chunk)
        except BaseException:
            with contextlib.suppress(OSError):
                os.remove(staging)
            raise
        return staging, True


class PrivateFileSystemStorage(NoPartialFilesStorage):
    """Local storage for files that must never have a public URL (lesson videos).

    Rooted at ``settings.PRIVATE_MEDIA_ROOT``, read lazily so that a changed setting
    (tests use a temporary folder) takes effect on the existing instance.
    """

    def __init__(self, **kwargs):
        kwargs["base_url"] = None
        super().__init__(**kwargs)

    @cached_property
    def base_location(self):
        return self._value_or_setting(self._location, settings.PRIVATE_MEDIA_ROOT)

    def _clear_cached_properties(self, setting, **kwargs):
        super()._clear_cached_properties(setting, **kwargs)
        if setting == "PRIVATE_MEDIA_ROOT":
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)

    def url(self, name):
        raise ValueError("Private files have no URL; stream them through learning.streaming.")


class NoPartialTemporaryFileUploadHandler(TemporaryFileUploadHandler):
    """Spools big uploads to FILE_UPLOAD_TEMP_DIR like Django's handler, but a failed
    write (the disk filled up, also on the last flush) deletes the half-written temp
    file at once, instead of whenever the error's traceback lets it be collected."""

    def receive_data_chunk(self, raw_data, start):
        try:
            return super().receive_data_chunk(raw_data, start)
        except OSError:
            self._discard()
            raise

    def file_complete(self, file_size):
        try:
            return super().file_complete(file_size)  # seek(0) flushes the last bytes
        except OSError:
            self._discard()
            raise

    def _discard(self) -> None:
        path = self.file.temporary_file_path()
        with contextlib.suppress(OSError):
            self.file.close()  # flushing may fail again on a full disk
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)
