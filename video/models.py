"""A lesson's HLS rendition set (and the job that makes it) and its captions.

Layout in the private storage (the one lesson videos live in): every run of the
transcoder writes under ``hls/<lesson pk>/<run>/`` — ``master.m3u8``, one media playlist
and its AES-128 encrypted MPEG-TS segments per rendition (``540p.m3u8``,
``540p_00000.ts`` …) and ``poster.jpg``. The run's key is never stored there: it lives in
this table (``Transcode.key``), apart from the segments, and a new run makes a new key.
"""

import secrets
import uuid

from django.conf import global_settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from catalog.models import Lesson, private_storage
from lms.lib.files import FilesFollowRows

HLS_ROOT = "hls"


def lesson_prefix(lesson_pk: int) -> str:
    """The folder holding every run's files for one lesson (deleted with the lesson)."""
    return f"{HLS_ROOT}/{lesson_pk}/"


def run_prefix(lesson_pk: int, run: str) -> str:
    """The folder of one run's playlists, segments and poster."""
    return f"{HLS_ROOT}/{lesson_pk}/{run}/"


def new_run() -> str:
    return secrets.token_hex(8)


class Transcode(models.Model):
    """The rendition set made from one lesson video: its state while the background job
    runs, and once ready, what the player needs (renditions, key, poster, duration).

    One per lesson with a video. Replacing the video resets it for the new file (a new
    run, a new key); the old run's files go once that change commits.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Transcoding"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    lesson = models.OneToOneField(Lesson, on_delete=models.CASCADE, related_name="transcode")
    source = models.CharField(
        max_length=255, help_text="The lesson video (storage name) this set is made from."
    )
    status = models.CharField(max_length=8, choices=Status, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(100)], help_text="Percent of the source done."
    )
    error = models.TextField(blank=True, help_text="Why the last attempt failed.")
    attempts = models.PositiveSmallIntegerField(default=0)
    # The current run: its files live under run_prefix(lesson, run); the key URL names it.
    run = models.CharField(max_length=32, default=new_run, editable=False)
    key = models.BinaryField(max_length=16, default=b"", editable=False)
    # [{"name": "540p", "width": 960, "height": 540, "bandwidth": 1_600_000,
    #   "playlist": "540p.m3u8"}, ...], lowest first. Empty until ready.
    renditions = models.JSONField(default=list, blank=True, editable=False)
    duration = models.FloatField(default=0, help_text="Seconds, read while transcoding.")
    poster = models.CharField(max_length=255, blank=True, editable=False)
    # A lesson saved as published in a course that publishes only ready video: published
    # by the job once ready.
    publish_when_ready = models.BooleanField(default=False)
    task_id = models.CharField(max_length=64, blank=True, editable=False)
    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="video_transcode_progress_lte_100"
            )
        ]

    def __str__(self):
        return f"{self.lesson} ({self.get_status_display()})"

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.READY

    @property
    def prefix(self) -> str:
        return run_prefix(self.lesson_id, self.run)

    def player_sources(self, *, query: str) -> dict:
        """The player's URLs once ready (else None): the master playlist and the poster
        of the current run, signed for one viewer by ``query`` (learning.streaming's
        ``signed_query``/``app_signed_query``); video.delivery serves them."""
        if not self.is_ready:
            return {"hls_url": None, "poster_url": None}
        args = [self.lesson_id, self.run]
        return {
            "hls_url": f"{reverse('video:master', args=args)}?{query}",
            "poster_url": f"{reverse('video:poster', args=args)}?{query}" if self.poster else None,
        }


def caption_upload_to(caption: "Caption", filename: str) -> str:
    return f"captions/{uuid.uuid4().hex}.vtt"


# Any language a caption may be in (the course's own list is far shorter).
CAPTION_LANGUAGES = global_settings.LANGUAGES


class Caption(FilesFollowRows):
    """One WebVTT caption file of a lesson, in one language."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="captions")
    language = models.CharField(max_length=16, choices=CAPTION_LANGUAGES)
    file = models.FileField("WebVTT file", storage=private_storage, upload_to=caption_upload_to)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["lesson", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["lesson", "language"], name="video_caption_lesson_language_uniq"
            )
        ]

    def __str__(self):
        return f"{self.get_language_display()} captions of {self.lesson}"
