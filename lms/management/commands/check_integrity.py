"""Check every summary field against its rows, and every stored file against its row.

manage.py check_integrity            # report; exit status 1 if anything drifted
manage.py check_integrity --fix      # report and mend
manage.py check_integrity --only ratings --only files

The checks live beside the summaries they check, in each app's ``integrity.py``
(lms.lib.integrity): lesson counts and durations, enrolment counts, completed-lesson
rollups, ratings and histograms, helpful and report counts, files vs rows.
"""

from django.core.management.base import BaseCommand, CommandError

from lms.lib.integrity import ORPHAN_GRACE_SECONDS, run_checks


class Command(BaseCommand):
    help = "Compare summary fields and stored files with their rows; --fix mends drift."

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="mend what drifted")
        parser.add_argument(
            "--only", action="append", metavar="CHECK", help="run only this check (repeatable)"
        )
        parser.add_argument(
            "--orphan-grace",
            type=float,
            default=ORPHAN_GRACE_SECONDS,
            metavar="SECONDS",
            help="files younger than this are not orphans yet (an upload may be under way)",
        )

    def handle(self, *args, fix, only, orphan_grace, **options):
        drift = run_checks(fix=fix, only=only, orphan_grace=orphan_grace)
        for item in drift:
            mended = " — fixed" if fix and item.fixable else (" — cannot be fixed" if fix else "")
            self.stdout.write(f"{item}{mended}")
        if not drift:
            self.stdout.write(self.style.SUCCESS("No drift: every summary matches its rows."))
            return
        unfixable = [item for item in drift if not item.fixable]
        if not fix:
            raise CommandError(f"{len(drift)} item(s) drifted; run with --fix to mend them.")
        if unfixable:
            raise CommandError(f"Fixed {len(drift) - len(unfixable)}; {len(unfixable)} cannot be.")
        self.stdout.write(self.style.SUCCESS(f"Fixed {len(drift)} item(s)."))
