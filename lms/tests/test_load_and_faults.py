"""The short form of scripts/loadtest.py, run by the suite (and so by CI).

It serves Lectern with gunicorn on a throwaway PostgreSQL and Redis of its own, runs
simulated students, restarts PostgreSQL and kills Redis under load, then checks that no
acknowledged progress was lost (see the script's docstring). The full form is
``make loadtest`` (50 students, 5 minutes).
"""

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from harness import ThrowawayPostgres  # noqa: E402

IN_CI = os.environ.get("CI", "").lower() == "true"
SHORT_FORM = ["--students", "12", "--seconds", "15", "--down", "3"]


def test_students_under_load_survive_a_postgres_restart_and_redis_going_down():
    missing = [
        name
        for name, present in [
            ("PostgreSQL server programs (initdb, pg_ctl)", ThrowawayPostgres.find_bin()),
            ("redis-server", shutil.which("redis-server")),
            ("gunicorn", (Path(sys.executable).parent / "gunicorn").exists()),
        ]
        if not present
    ]
    if missing:
        message = f"the load and fault test needs {', '.join(missing)}"
        if IN_CI:
            pytest.fail(f"CI=true: {message}")
        pytest.skip(f"{message} (apt-get install postgresql redis-server); required under CI")

    run = subprocess.Popen(
        [sys.executable, "scripts/loadtest.py", *SHORT_FORM],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its gunicorn, PostgreSQL and Redis share its group
    )
    try:
        output, _ = run.communicate(timeout=240)
    except subprocess.TimeoutExpired:
        run.terminate()  # the script stops its servers on SIGTERM
        try:
            output, _ = run.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(run.pid, signal.SIGKILL)
            output, _ = run.communicate()
        pytest.fail(f"the short load test overran 240 s:\n{output[-6000:]}")
    assert run.returncode == 0, output[-6000:]
    assert "Failures: 0." in output
    assert "code entry while Redis is down: 503" in output
    assert "site answers from the database again" in output
    # Load really ran in every phase, and the database restart was felt as clean 503s.
    for phase in ("| steady |", "| postgres-restart |", "| redis-down |"):
        assert phase in output
    assert "progress 200" in output and "acknowledged progress reports are stored" in output
