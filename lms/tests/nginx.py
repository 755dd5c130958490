"""The real nginx with deploy/nginx.conf, for tests: the repository's config moved to a
temporary prefix and free ports, in front of an upstream of the test's choosing.

Skipped where nginx is not installed, except under CI=true, where that fails (.ci/run
installs nginx-light)."""

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
MIME_TYPES = "/etc/nginx/mime.types"
IN_CI = os.environ.get("CI", "").lower() == "true"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def adapted(config: str, *, root: Path, https_port: int, http_port: int, upstream: int) -> str:
    """The repository's config with TLS, ports and paths moved; each change must apply,
    so a changed config fails here instead of testing something else."""
    lines = [line for line in config.splitlines() if not line.strip().startswith("ssl_certificate")]
    text = "\n".join(lines)
    for old, new in (
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port};"),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("server 127.0.0.1:8000 ", f"server 127.0.0.1:{upstream} "),
        ("/srv/lectern/", f"{root}/srv/lectern/"),
    ):
        assert old in text, f"deploy/nginx.conf no longer has {old!r}: update this test"
        text = text.replace(old, new)
    user = pwd.getpwuid(os.getuid()).pw_name  # workers as this user (ignored unless root)
    temp = "\n".join(
        f"    {kind}_temp_path {root}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # What Debian's /etc/nginx/nginx.conf provides around the site's file.
    return f"""user {user};
pid {root}/nginx.pid;
error_log {root}/error.log;
events {{ worker_connections 64; }}
http {{
    include {MIME_TYPES};
    default_type application/octet-stream;
    access_log off;
{temp}
{text}
}}
"""


def require_nginx() -> None:
    if not (os.path.exists(NGINX) and os.path.exists(MIME_TYPES)):
        message = f"{NGINX} is not installed (apt-get install nginx-light)"
        if IN_CI:
            pytest.fail(f"CI=true but {message}: .ci/run installs it")
        pytest.skip(message)


@contextlib.contextmanager
def deployed_nginx(root: Path, *, upstream: int):
    """nginx running deploy/nginx.conf under ``root`` (its /srv/lectern/ is
    ``root``/srv/lectern/) in front of 127.0.0.1:``upstream``; yields the port of the
    HTTPS server (plain HTTP here)."""
    require_nginx()
    https_port, http_port = free_port(), free_port()
    conf = root / "nginx.conf"
    conf.write_text(
        adapted(
            CONFIG.read_text(),
            root=root,
            https_port=https_port,
            http_port=http_port,
            upstream=upstream,
        )
    )
    command = [NGINX, "-p", str(root), "-c", str(conf), "-e", str(root / "error.log")]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen([*command, "-g", "daemon off;"], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", https_port), timeout=0.2).close()
                break
            except OSError:
                assert process.poll() is None, process.stderr.read().decode()
                assert time.monotonic() < deadline, "nginx did not start listening"
                time.sleep(0.05)
        yield https_port
    finally:
        process.terminate()
        process.wait(timeout=10)
