"""Prepare a database for scripts/bench.py and print what the load generator needs.

Creates (idempotently) the demo data and N benchmark students enrolled in the first
free demo course, logs each in (a real session), and prints JSON: their session cookies,
a CSRF secret, the progress URL and a signed video URL per student.
"""

import json

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.urls import reverse
from django.utils.crypto import get_random_string
from django.utils.module_loading import import_string

from accounts.models import User
from catalog.models import Course
from learning import services, streaming

BENCH_PREFIX = "bench-student-"


class Command(BaseCommand):
    help = "Prepare benchmark users and sessions; prints JSON for scripts/bench.py."

    def add_arguments(self, parser):
        parser.add_argument("--students", type=int, default=50)

    def handle(self, *args, students, **options):
        call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
        course = Course.objects.published().filter(price=0).order_by("published_at").first()
        lesson = course.published_lessons().order_by("section__order", "order").first()
        store = import_string(settings.SESSION_ENGINE + ".SessionStore")
        csrf_secret = get_random_string(32)
        people = []
        for n in range(students):
            user, created = User.objects.get_or_create(
                email=f"{BENCH_PREFIX}{n}@example.com", defaults={"first_name": "Bench"}
            )
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
            services.enroll(user=user, course=course)
            session = store()
            session[SESSION_KEY] = str(user.pk)
            session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
            session[HASH_SESSION_KEY] = user.get_session_auth_hash()
            session.create()
            people.append(
                {
                    "session": session.session_key,
                    "video": streaming.stream_url(user=user, lesson=lesson),
                }
            )
        self.stdout.write(
            json.dumps(
                {
                    "csrf": csrf_secret,
                    "progress": reverse("learning:progress", args=[lesson.pk]),
                    "duration": lesson.duration,
                    "video_bytes": lesson.video.size,
                    "course": reverse("catalog:course", args=[course.slug]),
                    "player": reverse("learning:lesson", args=[course.slug, lesson.pk]),
                    "students": people,
                }
            )
        )
