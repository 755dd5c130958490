"""`make run` serves with a task worker beside gunicorn (`make serve`): a task queued in
the database ("video" backend) is done by it with no other service, and Ctrl-C stops
both, leaving no process behind.

The test runs the Makefile's own recipe, in a session of its own, on a scratch SQLite
database, and presses Ctrl-C the way a terminal does: SIGINT to the whole process group.
"""

import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django_tasks import task

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from harness import free_port, wait_for  # noqa: E402


@task(backend="video", queue_name="video")
def leave_a_mark(path: str) -> None:
    """What the worker beside gunicorn runs here: a file proves it ran."""
    Path(path).write_text("done")


def processes_in_session(session: int) -> list[str]:
    """Command lines of the live processes whose session is ``session``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue  # ended meanwhile
        state, sid = fields[0], int(fields[3])
        if sid == session and state != "Z":
            found.append(cmdline.replace(b"\0", b" ").decode(errors="replace"))
    return found


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
            return response.status == 200
    except OSError:
        return False


def test_make_serve_runs_a_task_worker_and_ctrl_c_stops_everything(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("REDIS_URL", "TASKS_BACKEND", "VIDEO_TASKS_BACKEND", "MAKEFLAGS")
    }
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        MEDIA_ROOT=str(tmp_path / "media"),
        PRIVATE_MEDIA_ROOT=str(tmp_path / "private"),
        LOG_LEVEL="WARNING",
    )
    python = sys.executable
    manage = [python, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    serve = subprocess.Popen(
        ["make", "-s", "serve", f"BIN={Path(python).parent}", f"PORT={port}", "WORKERS=1"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    try:
        mark = tmp_path / "mark"
        enqueue = (
            "from lms.tests.test_make_serve import leave_a_mark; "
            f"leave_a_mark.enqueue({str(mark)!r})"
        )
        subprocess.run([*manage, "shell", "-v0", "-c", enqueue], cwd=ROOT, env=env, check=True)
        wait_for(mark.exists, seconds=30, what="the task worker beside gunicorn")
        with sqlite3.connect(tmp_path / "db.sqlite3") as db:
            (status,) = db.execute(
                "SELECT status FROM django_tasks_database_dbtaskresult"
            ).fetchone()
        assert status == "SUCCESSFUL"
        wait_for(lambda: answers(f"http://127.0.0.1:{port}/healthz/"), seconds=30, what="gunicorn")
        assert any(
            "db_worker --backend video --queue-name video" in p
            for p in processes_in_session(serve.pid)
        )

        os.killpg(serve.pid, signal.SIGINT)  # Ctrl-C
        serve.wait(timeout=30)
        deadline = time.monotonic() + 10
        while processes_in_session(serve.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert processes_in_session(serve.pid) == []
    finally:
        if serve.poll() is None or processes_in_session(serve.pid):
            os.killpg(serve.pid, signal.SIGKILL)
            serve.wait(timeout=10)
        log.close()
        output = (tmp_path / "serve.log").read_text()
    assert "Lectern is serving on" in output, output
    if serve.returncode not in (0, 2, 130, -signal.SIGINT):
        pytest.fail(f"make serve ended with {serve.returncode}:\n{output}")
