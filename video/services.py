"""The life of a lesson's rendition set: scheduled when a video arrives or is replaced,
made by the background task, removed with the video or the lesson.

A run is named by a random token; its files live under ``hls/<lesson>/<run>/`` and its
key in the Transcode row. Only the run the row names counts: a job whose run was
superseded while it worked (the video replaced again, a retry) throws its own files
away, so nothing is left that no row names.
"""

import logging
import shutil
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import storages
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from catalog.models import Lesson
from video.models import Transcode, lesson_prefix, new_run, run_prefix
from video.transcode import SourceError, transcode

logger = logging.getLogger(__name__)

# Seconds before the 2nd and 3rd attempt after a failure that may pass (storage or
# database unreachable, the worker stopped); then the job is failed for good.
RETRY_DELAYS = (60, 10 * 60)
# A progress write at most this often (seconds): the admin polls it.
PROGRESS_EVERY = 1.0


def storage():
    return storages["private"]


# --- Following the lesson's video -------------------------------------------------------


def hold_publication(sender, instance: Lesson, raw=False, **kwargs) -> None:
    """pre_save of Lesson: in a course whose lessons wait for their video
    (``Course.lessons_wait_for_video``), a lesson being published while its video is not
    ready is saved unpublished instead, and published by the job once the video is
    ready (``Transcode.publish_when_ready``). A lesson already published stays so: its
    students keep it, playing the original file meanwhile."""
    instance._publish_when_ready = False
    if raw or not instance.is_published or not instance.video:
        return
    if not instance.section.course.lessons_wait_for_video:
        return
    placement = instance.placement_in_db() if instance.pk else None
    if placement is not None and placement.published:
        return
    replacing = instance.video.name != getattr(instance, "_stored_files", {}).get("video", "")
    ready = (
        not replacing
        and Transcode.objects.filter(
            lesson_id=instance.pk, source=instance.video.name, status=Transcode.Status.READY
        ).exists()
    )
    if not ready:
        instance.is_published = False
        instance._publish_when_ready = True


def follow_lesson_video(sender, instance: Lesson, created: bool, raw=False, **kwargs) -> None:
    """post_save of Lesson: a new or replaced video gets a fresh rendition set (queued
    once the change commits); a removed one takes its set with it."""
    if raw or "video" not in instance.__dict__:
        return  # a fixture load, or a save that did not load the video: unchanged
    before = getattr(instance, "_stored_files", {}).get("video", "")
    now = instance.video.name or ""
    if before == now and not created:
        if getattr(instance, "_publish_when_ready", False):
            Transcode.objects.filter(lesson=instance).update(publish_when_ready=True)
        return
    if not now:
        forget_lesson_video(instance.pk)
        return
    schedule(
        instance, source=now, publish_when_ready=getattr(instance, "_publish_when_ready", False)
    )


def forget_lesson_video(lesson_pk: int) -> None:
    """The lesson has no video any more: its rendition set and every file of it go."""
    Transcode.objects.filter(lesson_id=lesson_pk).delete()
    delete_tree_on_commit(lesson_prefix(lesson_pk))


def lesson_deleted(sender, instance: Lesson, **kwargs) -> None:
    """post_delete of Lesson (also by cascade): its renditions, keys and poster go."""
    delete_tree_on_commit(lesson_prefix(instance.pk))


def schedule(lesson: Lesson, *, source: str, publish_when_ready: bool = False) -> Transcode:
    """Start (again) the rendition set of ``lesson`` from its video ``source``: a new
    run and key, nothing ready; the job is queued once the surrounding change commits.
    The previous run's files go at the same moment."""
    previous = Transcode.objects.filter(lesson=lesson).values_list("run", flat=True).first()
    run = new_run()
    transcode_row, _ = Transcode.objects.update_or_create(
        lesson=lesson,
        defaults={
            "source": source,
            "status": Transcode.Status.QUEUED,
            "progress": 0,
            "error": "",
            "attempts": 0,
            "run": run,
            "key": b"",
            "renditions": [],
            "duration": 0,
            "poster": "",
            "task_id": "",
            "publish_when_ready": publish_when_ready,
            "queued_at": timezone.now(),
            "started_at": None,
            "finished_at": None,
        },
    )
    if previous:
        delete_tree_on_commit(run_prefix(lesson.pk, previous))
    transaction.on_commit(lambda: enqueue(transcode_row.pk, run))
    return transcode_row


def retry(transcode_row: Transcode) -> Transcode:
    """Try a failed (or stuck) job again from the same source: a new run and key."""
    return schedule(
        transcode_row.lesson,
        source=transcode_row.source,
        publish_when_ready=transcode_row.publish_when_ready,
    )


def enqueue(transcode_pk: int, run: str, *, attempt: int = 1, delay: int = 0) -> None:
    from video.tasks import transcode_lesson

    task = transcode_lesson
    if delay:
        task = task.using(run_after=timezone.now() + timedelta(seconds=delay))
    result = task.enqueue(transcode_id=transcode_pk, run=run, attempt=attempt)
    Transcode.objects.filter(pk=transcode_pk, run=run).update(task_id=str(result.id)[:64])


# --- The job ----------------------------------------------------------------------------


def run_transcode(transcode_pk: int, run: str, *, attempt: int, can_wait: bool) -> str:
    """Make run ``run`` of the rendition set ``transcode_pk``. Returns what happened:
    "ready", "superseded", "failed" (the source is unusable), or raises after marking
    the row (queued again for a later attempt, or failed) when something else broke."""
    claimed = Transcode.objects.filter(
        pk=transcode_pk, run=run, status=Transcode.Status.QUEUED
    ).update(
        status=Transcode.Status.RUNNING,
        started_at=timezone.now(),
        attempts=F("attempts") + 1,
        progress=0,
        error="",
    )
    if not claimed:
        logger.info("Transcode %s run %s was superseded before it started", transcode_pk, run)
        return "superseded"
    row = Transcode.objects.select_related("lesson").get(pk=transcode_pk)
    prefix = run_prefix(row.lesson_id, run)
    work = Path(tempfile.mkdtemp(prefix="lectern-transcode-"))
    try:
        source = local_copy(row.source, work)
        out = work / "out"
        out.mkdir()
        result = transcode(
            source,
            out,
            on_progress=_progress_writer(transcode_pk, run),
            preset=settings.VIDEO_X264_PRESET,
        )
        for name in result.files:
            with open(out / name, "rb") as handle:
                written = storage().save(prefix + name, File(handle))
            if written != prefix + name:  # pragma: no cover - a new run's folder is empty
                raise OSError(f"Storage renamed {prefix + name} to {written}")
    except SourceError as error:
        _delete_tree(prefix)
        _mark_failed(transcode_pk, run, str(error))
        logger.warning("Transcode %s failed: %s", transcode_pk, error)
        return "failed"
    except Exception as error:
        _delete_tree(prefix)
        _after_transient_failure(transcode_pk, run, error, attempt=attempt, can_wait=can_wait)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return _finish(transcode_pk, run, result, prefix)


def _finish(transcode_pk: int, run: str, result, prefix: str) -> str:
    with transaction.atomic():
        row = (
            Transcode.objects.select_for_update()
            .select_related("lesson")
            .filter(pk=transcode_pk)
            .first()
        )
        if row is None or row.run != run or row.lesson.video.name != row.source:
            transaction.on_commit(lambda: _delete_tree(prefix))
            logger.info("Transcode %s run %s was superseded while it ran", transcode_pk, run)
            return "superseded"
        row.status = Transcode.Status.READY
        row.progress = 100
        row.key = result.key
        row.renditions = [rendition.as_json() for rendition in result.renditions]
        row.duration = result.duration
        row.poster = prefix + result.poster if result.poster else ""
        row.finished_at = timezone.now()
        publish = row.publish_when_ready
        row.publish_when_ready = False
        row.save()
        lesson = row.lesson
        if publish and not lesson.is_published:
            lesson.is_published = True
            lesson.save()  # recounts the course's lessons (catalog)
    return "ready"


def _progress_writer(transcode_pk: int, run: str):
    last = {"percent": 0, "at": 0.0}

    def write(share: float) -> None:
        percent = min(99, int(share * 100))
        now = time.monotonic()
        if percent > last["percent"] and now - last["at"] >= PROGRESS_EVERY:
            Transcode.objects.filter(pk=transcode_pk, run=run).update(progress=percent)
            last.update(percent=percent, at=now)

    return write


def _mark_failed(transcode_pk: int, run: str, reason: str) -> None:
    Transcode.objects.filter(pk=transcode_pk, run=run).update(
        status=Transcode.Status.FAILED, error=reason[:2000], finished_at=timezone.now()
    )


def _after_transient_failure(transcode_pk, run, error, *, attempt: int, can_wait: bool) -> None:
    """Queue a later attempt (a new run, a new key) if one is left, else fail for good."""
    reason = f"Attempt {attempt} failed: {type(error).__name__}: {error}"
    if not can_wait or attempt > len(RETRY_DELAYS):
        why = "no attempts left" if can_wait else "this task backend cannot run a task later"
        _mark_failed(transcode_pk, run, f"{reason} ({why}).")
        logger.error("Transcode %s failed for good: %s", transcode_pk, reason, exc_info=error)
        return
    delay = RETRY_DELAYS[attempt - 1]
    next_run = new_run()
    moved = Transcode.objects.filter(pk=transcode_pk, run=run).update(
        status=Transcode.Status.QUEUED,
        run=next_run,
        error=f"{reason}. Trying again in {delay} s.",
        progress=0,
    )
    if moved:
        enqueue(transcode_pk, next_run, attempt=attempt + 1, delay=delay)
        logger.warning("Transcode %s: %s; trying again in %d s", transcode_pk, reason, delay)


# --- Files ------------------------------------------------------------------------------


def local_copy(name: str, folder: Path) -> Path:
    """A local path of the stored file ``name``: the file itself on a local disk, else a
    download into ``folder``."""
    store = storage()
    try:
        return Path(store.path(name))
    except NotImplementedError:  # S3 and other remote storages
        target = folder / ("source" + Path(name).suffix)
        with store.open(name, "rb") as remote, open(target, "wb") as local:
            shutil.copyfileobj(remote, local, length=1024 * 1024)
        return target


def list_tree(prefix: str) -> list[str]:
    """Every stored file under ``prefix`` (a folder name ending in "/")."""
    store = storage()
    try:
        folders, files = store.listdir(prefix)
    except FileNotFoundError:
        return []
    names = [prefix + name for name in files]
    for folder in folders:
        names += list_tree(f"{prefix}{folder}/")
    return names


def _delete_tree(prefix: str) -> None:
    store = storage()
    for name in list_tree(prefix):
        try:
            store.delete(name)
        except OSError:  # pragma: no cover - logged; check_integrity finds leftovers
            logger.exception("Could not delete %s", name)
    _remove_empty_folders(prefix)


def _remove_empty_folders(prefix: str) -> None:
    """Local disks keep empty folders; object stores have none."""
    store = storage()
    try:
        root = Path(store.path(prefix))
    except NotImplementedError:
        return
    if root.is_dir():
        for folder in sorted((p for p in root.rglob("*") if p.is_dir()), reverse=True):
            if not any(folder.iterdir()):
                folder.rmdir()
        if not any(root.iterdir()):
            root.rmdir()


def delete_tree_on_commit(prefix: str) -> None:
    transaction.on_commit(lambda: _delete_tree(prefix))
