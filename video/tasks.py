"""The transcoding job, on the "video" task backend and queue (settings.TASKS)."""

from django_tasks import TaskContext, task

from video import services


@task(backend="video", queue_name="video", takes_context=True)
def transcode_lesson(context: TaskContext, *, transcode_id: int, run: str, attempt: int = 1) -> str:
    """Make one run of a lesson's HLS rendition set (video.services.run_transcode).

    An unusable source ends the job "failed" on the Transcode row, which the admin shows
    with its reason; anything else is retried later, as a new run, while attempts last
    — and this task ends failed, with its traceback, in the backend's records.
    """
    can_wait = transcode_lesson.get_backend().supports_defer
    return services.run_transcode(transcode_id, run, attempt=attempt, can_wait=can_wait)
