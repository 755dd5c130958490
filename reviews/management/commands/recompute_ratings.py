"""Recompute every course's rating from its reviews and report drift.

manage.py recompute_ratings          # report only; exit status 1 if anything drifted
manage.py recompute_ratings --fix    # report and correct
"""

from django.core.management.base import BaseCommand, CommandError

from reviews.services import recompute_all_ratings


class Command(BaseCommand):
    help = "Compare stored course ratings with their reviews; --fix corrects drift."

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="store the recomputed values")

    def handle(self, *args, fix, **options):
        drift = recompute_all_ratings(fix=fix)
        for course, stored, actual in drift:
            self.stdout.write(
                f"{course.slug}: stored {stored['average']} × {stored['count']} "
                f"{stored['histogram']}, actual {actual['average']} × {actual['count']} "
                f"{actual['histogram']}" + (" — fixed" if fix else "")
            )
        if not drift:
            self.stdout.write(
                self.style.SUCCESS("No drift: every course rating matches its reviews.")
            )
        elif not fix:
            raise CommandError(f"{len(drift)} course(s) drifted; run with --fix to correct them.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Fixed {len(drift)} course(s)."))
