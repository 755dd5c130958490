"""Running scripts/loadtest*.py from the suite: their programs required, the run bounded.

Each script starts its own servers (PostgreSQL, Redis, gunicorn, …) in the process group
it is started in; a run that overruns is stopped with SIGTERM (the script stops its
servers), then the whole group with SIGKILL.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() == "true"


def require_programs(what: str, programs: list[tuple[str, object]], install: str) -> None:
    """Fail under CI=true, else skip, when one of ``programs`` (name, found?) is missing."""
    missing = [name for name, present in programs if not present]
    if missing:
        message = f"{what} needs {', '.join(missing)}"
        if IN_CI:
            pytest.fail(f"CI=true: {message}")
        pytest.skip(f"{message} ({install}); required under CI")


def run_script(script: str, args: list[str], *, timeout: int) -> str:
    """Run ``scripts/<script>`` with ``args``; its output, once it has exited with 0."""
    run = subprocess.Popen(
        [sys.executable, f"scripts/{script}", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # the servers it starts share its group
    )
    try:
        output, _ = run.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        run.terminate()  # the script stops its servers on SIGTERM
        try:
            output, _ = run.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(run.pid, signal.SIGKILL)
            output, _ = run.communicate()
        pytest.fail(f"scripts/{script} overran {timeout} s:\n{output[-6000:]}")
    assert run.returncode == 0, output[-8000:]
    return output
