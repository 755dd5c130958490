"""Integrity check for rendition sets (see lms.lib.integrity): every run folder under
``hls/`` belongs to its lesson's current run, and every ready set has its files."""

from datetime import timedelta

from django.utils import timezone

from lms.lib.integrity import ORPHAN_GRACE_SECONDS, Drift, integrity_check
from video import services
from video.models import HLS_ROOT, Transcode, run_prefix


@integrity_check("renditions")
def check_renditions(*, fix: bool, orphan_grace: float = ORPHAN_GRACE_SECONDS, **options):
    """Run folders no row names (a worker killed mid-upload: deleted with ``fix`` once
    older than ``orphan_grace``), and ready sets whose master playlist is missing
    (prepared again with ``fix``)."""
    drift = []
    store = services.storage()
    current = {(str(lesson), run) for lesson, run in Transcode.objects.values_list("lesson", "run")}
    cutoff = timezone.now() - timedelta(seconds=orphan_grace)
    try:
        lessons, _ = store.listdir(f"{HLS_ROOT}/")
    except FileNotFoundError:
        lessons = []
    for lesson in lessons:
        runs, _ = store.listdir(f"{HLS_ROOT}/{lesson}/")
        for run in runs:
            if (lesson, run) in current:
                continue
            prefix = f"{HLS_ROOT}/{lesson}/{run}/"
            files = services.list_tree(prefix)
            if any(store.get_modified_time(name) > cutoff for name in files):
                continue  # perhaps a job still uploading, superseded a moment ago
            drift.append(Drift("renditions", prefix, f"{len(files)} files", "no run"))
            if fix:
                services.delete_tree_on_commit(prefix)
    for row in Transcode.objects.filter(status=Transcode.Status.READY).select_related("lesson"):
        if not store.exists(run_prefix(row.lesson_id, row.run) + "master.m3u8"):
            drift.append(Drift("renditions", f"lesson {row.lesson_id}", "ready", "no files"))
            if fix:
                services.retry(row)
    return drift
