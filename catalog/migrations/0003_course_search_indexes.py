"""Indexes for the catalog search on PostgreSQL (nothing on SQLite).

catalog.forms.search filters with ``vector @@ websearch_to_tsquery(...)`` OR a
case-insensitive substring of the title. Without indexes every search computes the
vector of every course (about 30 ms at 500 courses, growing with the catalog); with
them a selective search is a bitmap OR of two index scans (under 1 ms). The GIN
expression must stay identical to the vector in catalog.forms.search: a PostgreSQL test
checks that the planner uses it.
"""

from django.db import migrations

SEARCH_VECTOR = (
    "(setweight(to_tsvector('english'::regconfig, COALESCE(title, '')), 'A')"
    " || setweight(to_tsvector('english'::regconfig, COALESCE(subtitle, '')), 'B'))"
    " || setweight(to_tsvector('english'::regconfig, COALESCE(description, '')), 'C')"
)


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # A trusted extension since PostgreSQL 13: the database owner may create it.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS catalog_course_search_idx "
        f"ON catalog_course USING gin (({SEARCH_VECTOR}))"
    )
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS catalog_course_title_trgm_idx "
        "ON catalog_course USING gin ((UPPER(title::text)) gin_trgm_ops)"
    )


def drop_indexes(apps, schema_editor):
    """The extension stays: other things may use it, and it costs nothing unused.
    (Django's TrigramExtension would drop it, and fails on SQLite when reversed.)"""
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS catalog_course_search_idx")
    schema_editor.execute("DROP INDEX IF EXISTS catalog_course_title_trgm_idx")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_course_rating_histogram")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
