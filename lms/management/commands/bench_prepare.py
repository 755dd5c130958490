"""Prepare a database for scripts/bench.py and print what the load generator needs.

For a throwaway benchmark database only: it replaces demo lesson videos with padded
files (--video-mb) and prints live session keys.

Creates (idempotently) the demo data and N benchmark students enrolled in the first
free demo course (or, with --no-enroll, in nothing: the load test enrols them through the
site), logs each in (a real session), and prints JSON: their session cookies and API
access tokens, a CSRF secret, the progress URLs (page and API), My learning, the player
and its API twin (the lesson for an app), a signed video URL per student, the free
courses with their lessons, and a staff session for the dashboard.
"""

import json
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Prefetch
from django.urls import reverse
from django.utils.crypto import get_random_string
from django.utils.module_loading import import_string

from accounts.models import User
from catalog.models import Course, Lesson
from learning import services, streaming
from video import services as video_services
from video.clips import make_clip
from video.models import Transcode

BENCH_PREFIX = "bench-student-"


def api_access_token(user, session_key: str) -> str:
    """An API access token on ``user``'s session, as allauth's headless login issues one."""
    from allauth.headless.tokens.strategies.jwt.internal import create_access_token

    session = import_string(settings.SESSION_ENGINE + ".SessionStore")(session_key)
    return create_access_token(user, session, {})


def logged_in_session(user) -> str:
    """A real session for ``user``, as a login would create; returns its key."""
    session = import_string(settings.SESSION_ENGINE + ".SessionStore")()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


class Command(BaseCommand):
    help = "Prepare benchmark users and sessions; prints JSON for scripts/bench.py."

    def add_arguments(self, parser):
        parser.add_argument("--students", type=int, default=50)
        parser.add_argument(
            "--no-enroll", dest="enroll", action="store_false", help="leave them unenrolled"
        )
        parser.add_argument(
            "--video-mb",
            type=int,
            nargs="*",
            default=[],
            help="video files of these sizes for the streaming benchmark (one lesson each)",
        )
        parser.add_argument(
            "--hls-seconds",
            type=int,
            default=0,
            help="a generated 720p clip of this length, transcoded (timed) into the HLS "
            "set of one more lesson, for the transcoding and HLS delivery benchmarks",
        )

    def handle(self, *args, students, enroll, video_mb, hls_seconds, **options):
        call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
        course = Course.objects.published().filter(price=0).order_by("published_at").first()
        # Its video lessons (the demo course also has an article and a quiz).
        lessons = list(
            course.published_lessons()
            .filter(kind=Lesson.Kind.VIDEO)
            .order_by("section__order", "order")
        )
        lesson = lessons[0]
        sized = lessons[: len(video_mb)]
        if len(sized) < len(video_mb):
            raise CommandError(f"{course} has {len(lessons)} lessons for {len(video_mb)} sizes.")
        for size, padded in zip(video_mb, sized, strict=True):
            # Streaming speed is measured in bytes/s on video-sized files; the bytes after
            # the clip are padding (the stream views never parse the file).
            clip = padded.video.read()
            padded.video.close()
            padding = b"\0" * max(size * 1024 * 1024 - len(clip), 0)
            padded.video.save(f"bench-{size}mb.mp4", ContentFile(clip + padding))
        hls = None
        if hls_seconds:
            if len(lessons) <= len(video_mb):
                raise CommandError(f"{course} has no lesson left for the HLS benchmark.")
            hls = self.transcode_720p(lessons[len(video_mb)], seconds=hls_seconds)
        csrf_secret = get_random_string(32)
        people = []
        for n in range(students):
            user, created = User.objects.get_or_create(
                email=f"{BENCH_PREFIX}{n}@example.com", defaults={"first_name": "Bench"}
            )
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
            if enroll:
                services.enroll(user=user, course=course)
            session_key = logged_in_session(user)
            people.append(
                {
                    "email": user.email,
                    "session": session_key,
                    "access": api_access_token(user, session_key),
                    "videos": [streaming.stream_url(user=user, lesson=v) for v in sized],
                    "hls": self.hls_urls(user, hls) if hls else {},
                }
            )
        free = (
            Course.objects.published()
            .filter(price=0)
            .order_by("pk")
            .prefetch_related(
                Prefetch(
                    "sections__lessons",
                    Lesson.objects.filter(is_published=True).exclude(video=""),
                )
            )
        )
        # Platform staff (is_staff alone also covers instructors, who see only theirs).
        staff = User.objects.filter(role=User.Role.STAFF).order_by("pk").first()
        if staff is None:
            raise CommandError("No staff user: the demo data should have created one.")
        self.stdout.write(
            json.dumps(
                {
                    "csrf": csrf_secret,
                    "progress": reverse("learning:progress", args=[lesson.pk]),
                    "api_progress": f"/api/v1/lessons/{lesson.pk}/progress",
                    "duration": lesson.duration,
                    "videos": [{"bytes": v.video.size, "name": v.video.name} for v in sized],
                    "hls": hls["report"] if hls else None,
                    "course": reverse("catalog:course", args=[course.slug]),
                    "player": reverse("learning:lesson", args=[course.slug, lesson.pk]),
                    "my_learning": reverse("learning:my_learning"),
                    "api_lesson": f"/api/v1/courses/{course.slug}/lessons/{lesson.pk}",
                    "students": people,
                    "courses": [
                        {
                            "slug": c.slug,
                            "lessons": [
                                {"pk": lesson.pk, "duration": lesson.duration}
                                for section in c.sections.all()
                                for lesson in section.lessons.all()
                            ],
                        }
                        for c in free
                    ],
                    "dashboard": reverse("dashboard"),
                    "staff_session": logged_in_session(staff),
                }
            )
        )

    def transcode_720p(self, lesson, *, seconds: int) -> dict:
        """A ``seconds`` long 1280×720 clip as ``lesson``'s video, transcoded by the real
        job (video.services.run_transcode, timed) into its HLS set."""
        with tempfile.TemporaryDirectory() as folder:
            clip = make_clip(
                Path(folder) / "bench-720p.mp4", seconds=seconds, width=1280, height=720
            )
            with open(clip, "rb") as handle:
                lesson.video.save("bench-720p.mp4", File(handle))
        row = Transcode.objects.get(lesson=lesson)
        started = time.perf_counter()
        outcome = video_services.run_transcode(row.pk, row.run, attempt=1, can_wait=False)
        elapsed = time.perf_counter() - started
        row.refresh_from_db()
        if outcome != "ready":
            raise CommandError(f"The benchmark clip did not transcode: {row.error}")
        top = row.renditions[-1]
        segment = f"{top['name']}_00001"  # a whole segment of the top rung
        return {
            "lesson": lesson,
            "row": row,
            "segment": segment,
            "report": {
                "source_seconds": seconds,
                "transcode_seconds": round(elapsed, 2),
                "seconds_per_source_minute": round(elapsed * 60 / seconds, 2),
                "rungs": [rendition["name"] for rendition in row.renditions],
                "preset": settings.VIDEO_X264_PRESET,
                "segments_per_rung": top["segments"],
                "segment_name": f"{row.prefix}{segment}.ts",
                "segment_bytes": video_services.storage().size(f"{row.prefix}{segment}.ts"),
                "playlist_name": f"{row.prefix}{top['playlist']}",
            },
        }

    @staticmethod
    def hls_urls(user, hls: dict) -> dict:
        """The HLS URLs the benchmark loads, signed for ``user`` (a top-rung segment, its
        media playlist, the key)."""
        row = hls["row"]
        query = streaming.signed_query(user=user, lesson=hls["lesson"])
        args = [row.lesson_id, row.run]
        return {
            "segment": reverse("video:segment", args=[*args, hls["segment"]]) + "?" + query,
            "playlist": reverse("video:playlist", args=[*args, row.renditions[-1]["name"]])
            + "?"
            + query,
            "key": reverse("video:key", args=args) + "?" + query,
        }
