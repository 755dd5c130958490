"""The short form of scripts/loadtest.py, run by the suite (and so by CI).

It serves Lectern with gunicorn on a throwaway PostgreSQL and Redis of its own, runs
simulated students, restarts PostgreSQL and kills Redis under load, then checks that no
acknowledged progress was lost (see the script's docstring). The full form is
``make loadtest`` (50 students, 5 minutes).
"""

import shutil
import sys
from pathlib import Path

from lms.tests.script_runs import ROOT, require_programs, run_script

sys.path.insert(0, str(ROOT / "scripts"))
from harness import ThrowawayPostgres

SHORT_FORM = ["--students", "12", "--seconds", "15", "--down", "3"]


def test_students_under_load_survive_a_postgres_restart_and_redis_going_down():
    require_programs(
        "the load and fault test",
        [
            ("PostgreSQL server programs (initdb, pg_ctl)", ThrowawayPostgres.find_bin()),
            ("redis-server", shutil.which("redis-server")),
            ("gunicorn", (Path(sys.executable).parent / "gunicorn").exists()),
        ],
        "apt-get install postgresql redis-server",
    )
    output = run_script("loadtest.py", SHORT_FORM, timeout=240)
    assert "Failures: 0." in output
    assert "code entry while Redis is down: 503" in output
    assert "site answers from the database again" in output
    # Load really ran in every phase, and the database restart was felt as clean 503s.
    for phase in ("| steady |", "| postgres-restart |", "| redis-down |"):
        assert phase in output
    assert "progress 200" in output and "acknowledged progress reports are stored" in output
