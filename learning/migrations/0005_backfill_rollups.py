"""Fill ActivityDay and Enrollment.completed_lessons from the progress rows that exist."""

from django.db import migrations
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce, TruncDate


def backfill(apps, schema_editor):
    LessonProgress = apps.get_model("learning", "LessonProgress")
    Enrollment = apps.get_model("learning", "Enrollment")
    ActivityDay = apps.get_model("learning", "ActivityDay")
    days = (
        LessonProgress.objects.annotate(day=TruncDate("updated_at"))
        .values_list("user_id", "lesson__section__course_id", "day")
        .distinct()
    )
    ActivityDay.objects.bulk_create(
        [ActivityDay(user_id=u, course_id=c, day=d) for u, c, d in days.iterator()],
        batch_size=5000,
        ignore_conflicts=True,
    )
    done = (
        LessonProgress.objects.filter(
            user=OuterRef("user"),
            lesson__section__course=OuterRef("course"),
            lesson__is_published=True,
            completed_at__isnull=False,
        )
        .order_by()
        .values("user")
        .annotate(n=Count("pk"))
        .values("n")
    )
    Enrollment.objects.update(completed_lessons=Coalesce(Subquery(done), 0))


class Migration(migrations.Migration):
    dependencies = [("learning", "0004_activity_rollups")]

    # Reversing needs nothing: 0004's reverse drops the table and the column.
    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
