"""The short form of scripts/loadtest_cluster.py, run by the suite (and so by CI).

Two Lectern servers (gunicorn, each with its own local folders) behind nginx running
deploy/nginx.conf, on one throwaway PostgreSQL and Redis, moto's S3 server for every file
and an RQ worker, under a few simulated students: a video uploaded through A is
transcoded by the worker and plays through B; A's session, a rate limit hit on A and a
page-cache invalidation made on A hold on B; A is killed (SIGKILL) and started again and
the balancer takes it out and back with no failure beyond the requests in flight; no
acknowledged progress is lost (see the script's docstring). The full form is
``make loadtest-cluster``.
"""

import os
import shutil
import sys
from pathlib import Path

from lms.tests.script_runs import ROOT, require_programs, run_script

sys.path.insert(0, str(ROOT / "scripts"))
from harness import MotoS3, ThrowawayPostgres

SHORT_FORM = ["--students", "6", "--seconds", "10", "--down", "3", "--workers", "2"]
TIMEOUT = 400  # 1½ minutes of CPU; 2¾ minutes on a 2-core machine busy with other jobs


def require_the_cluster_programs() -> None:
    require_programs(
        "the cluster rehearsal",
        [
            ("PostgreSQL server programs (initdb, pg_ctl)", ThrowawayPostgres.find_bin()),
            ("redis-server", shutil.which("redis-server")),
            ("nginx", shutil.which("nginx") or os.path.exists("/usr/sbin/nginx")),
            ("moto_server", MotoS3.find()),
            ("gunicorn", (Path(sys.executable).parent / "gunicorn").exists()),
        ],
        "apt-get install postgresql redis-server nginx-light; pip install -r requirements-dev.txt",
    )


def run_short_form() -> str:
    return run_script("loadtest_cluster.py", SHORT_FORM, timeout=TIMEOUT)


def test_two_servers_behind_nginx_share_everything_and_survive_one_being_killed():
    require_the_cluster_programs()
    output = run_short_form()
    assert "Failures: 0." in output
    for check in (
        "session holds on B: holds",
        "rate limit shared: holds",
        "page cache invalidated across servers: holds",
        "video uploaded through A: holds",
        "transcoded by the worker: holds",
        "plays through B: holds",
        "both servers serve: holds",
    ):
        assert f"- {check}" in output, check
    # Load ran in every phase; A was taken out and back in by the balancer.
    for phase in ("| steady |", "| server-kill |", "| after restart |"):
        assert phase in output
    assert "server A killed (SIGKILL" in output
    assert "the balancer sends A requests again" in output
    assert "progress 200" in output and "acknowledged progress reports are stored" in output
