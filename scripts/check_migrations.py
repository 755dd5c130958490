"""Every migration applies, unapplies and applies again, on a scratch database.

The scratch database is of the kind DATABASE_URL names: a SQLite file by default, or on
PostgreSQL a database ``lectern_migration_check`` on the same server (dropped and
created again), so PostgreSQL-only migrations are reversed for real. `make test` runs it.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
APPS_NEWEST_FIRST = ["reviews", "learning", "catalog", "accounts"]
SCRATCH = "lectern_migration_check"


def manage(url: str, *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args, "--noinput", "-v0"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        check=True,
    )


def postgres_scratch(url: str, action: str) -> str:
    import psycopg

    parts = urlsplit(url)
    dsn = urlunsplit(parts._replace(scheme="postgresql"))
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {SCRATCH}")
        if action == "create":
            connection.execute(f"CREATE DATABASE {SCRATCH}")
    return urlunsplit(parts._replace(path=f"/{SCRATCH}"))


def main() -> None:
    url = os.environ.get("DATABASE_URL", "")
    on_postgres = url.startswith(("postgres://", "postgresql://"))
    folder = tempfile.TemporaryDirectory(prefix="lectern-migrations-")
    scratch = (
        postgres_scratch(url, "create") if on_postgres else f"sqlite:///{folder.name}/db.sqlite3"
    )
    try:
        manage(scratch, "migrate")
        for app in APPS_NEWEST_FIRST:
            manage(scratch, "migrate", app, "zero")
        manage(scratch, "migrate")
    finally:
        if on_postgres:
            postgres_scratch(url, "drop")
        folder.cleanup()
    kind = "PostgreSQL" if on_postgres else "SQLite"
    print(f"Migrations apply, reverse and apply again cleanly ({kind}).")


if __name__ == "__main__":
    main()
