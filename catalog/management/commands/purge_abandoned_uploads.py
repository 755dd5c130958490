"""Delete direct-to-bucket video uploads that were signed but never completed.

manage.py purge_abandoned_uploads                  # older than UPLOAD_PENDING_MAX_AGE
manage.py purge_abandoned_uploads --older-than 3600

Run it from cron (hourly or nightly): a browser that closed mid-upload leaves an object
in the bucket and a PendingUpload row; this deletes both (catalog.uploads).
"""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand

from catalog.uploads import purge_abandoned_uploads


class Command(BaseCommand):
    help = "Delete unfinished direct video uploads (rows and bucket objects) past their age."

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=int,
            default=None,
            metavar="SECONDS",
            help="purge uploads signed longer ago than this "
            f"(default UPLOAD_PENDING_MAX_AGE, {settings.UPLOAD_PENDING_MAX_AGE})",
        )

    def handle(self, *args, older_than, **options):
        age = None if older_than is None else timedelta(seconds=older_than)
        purged = purge_abandoned_uploads(older_than=age)
        self.stdout.write(f"Purged {purged} abandoned upload(s).")
