"""deploy/nginx.conf compresses text: the real nginx, with the repository's config moved
to a temporary prefix and free ports, in front of a tiny upstream standing in for Lectern.

Skipped where nginx is not installed, except under CI=true, where that fails (.ci/run
installs nginx-light)."""

import gzip
import http.client
import json
import os
import pwd
import shutil
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
MIME_TYPES = "/etc/nginx/mime.types"
IN_CI = os.environ.get("CI", "").lower() == "true"

TEXT = "Lectern serves text that compresses well. " * 40  # well over gzip_min_length
# What the stand-in for Lectern answers, by path: (Content-Type, body).
UPSTREAM = {
    "/page/": ("text/html; charset=utf-8", f"<!DOCTYPE html><p>{TEXT}</p>"),
    "/api/data.json": ("application/json", json.dumps({"text": TEXT})),
    "/served-by-django.css": ("text/css", f"/* {TEXT} */"),
    "/served-by-django.js": ("text/javascript", f"// {TEXT}"),
    "/chart.svg": (
        "image/svg+xml",
        f'<svg xmlns="http://www.w3.org/2000/svg"><desc>{TEXT}</desc></svg>',
    ),
    "/tiny/": ("text/html; charset=utf-8", "<p>ok</p>"),
}
# What collectstatic leaves in STATIC_ROOT, served by nginx itself.
STATIC = {
    "css/lectern.css": f"/* {TEXT} */",
    "js/player.js": f"// {TEXT}",
    "img/logo.svg": f'<svg xmlns="http://www.w3.org/2000/svg"><desc>{TEXT}</desc></svg>',
}


class Upstream(BaseHTTPRequestHandler):
    def do_GET(self):
        content_type, body = UPSTREAM.get(self.path, ("text/plain", "not found"))
        data = body.encode()
        self.send_response(200 if self.path in UPSTREAM else 404)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


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
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream};"),
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


@pytest.fixture(scope="module")
def nginx(tmp_path_factory):
    if not (os.path.exists(NGINX) and os.path.exists(MIME_TYPES)):
        message = f"{NGINX} is not installed (apt-get install nginx-light)"
        if IN_CI:
            pytest.fail(f"CI=true but {message}: .ci/run installs it")
        pytest.skip(message)
    root = tmp_path_factory.mktemp("nginx")
    for name, body in STATIC.items():
        path = root / "srv/lectern/staticfiles" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
    # A precompressed copy (as whitenoise writes), different on purpose: it must be the
    # file nginx sends, not one it compressed itself.
    static_css = root / "srv/lectern/staticfiles/css/lectern.css"
    static_css.with_name("lectern.css.gz").write_bytes(gzip.compress(b"/* precompressed */"))

    upstream = ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    https_port, http_port = free_port(), free_port()
    conf = root / "nginx.conf"
    conf.write_text(
        adapted(
            CONFIG.read_text(),
            root=root,
            https_port=https_port,
            http_port=http_port,
            upstream=upstream.server_address[1],
        )
    )
    command = [NGINX, "-p", str(root), "-c", str(conf), "-e", str(root / "error.log")]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen([*command, "-g", "daemon off;"], stderr=subprocess.PIPE)
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
    process.terminate()
    process.wait(timeout=10)
    upstream.shutdown()
    upstream.server_close()


def fetch(port: int, path: str, **headers) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("GET", path, headers={"Host": "lectern.example.com", **headers})
    response = connection.getresponse()
    response.body = response.read()
    connection.close()
    return response


@pytest.mark.parametrize("path", [p for p in UPSTREAM if p != "/tiny/"])
def test_lecterns_text_answers_are_gzipped(nginx, path):
    response = fetch(nginx, path, **{"Accept-Encoding": "gzip"})
    assert response.status == 200
    assert response.getheader("Content-Type").startswith(UPSTREAM[path][0].split(";")[0])
    assert response.getheader("Content-Encoding") == "gzip"
    assert "Accept-Encoding" in response.getheader("Vary", "")
    assert gzip.decompress(response.body).decode() == UPSTREAM[path][1]


@pytest.mark.parametrize("name", [n for n in STATIC if n != "css/lectern.css"])
def test_static_text_files_are_gzipped(nginx, name):
    response = fetch(nginx, f"/static/{name}", **{"Accept-Encoding": "gzip"})
    assert response.status == 200
    assert response.getheader("Content-Encoding") == "gzip"
    assert gzip.decompress(response.body).decode() == STATIC[name]


def test_a_precompressed_static_file_is_sent_as_it_is(nginx):
    response = fetch(nginx, "/static/css/lectern.css", **{"Accept-Encoding": "gzip"})
    assert response.getheader("Content-Type") == "text/css"
    assert response.getheader("Content-Encoding") == "gzip"
    assert gzip.decompress(response.body) == b"/* precompressed */"


def test_clients_without_gzip_get_plain_text(nginx):
    for path in ("/page/", "/static/js/player.js"):
        response = fetch(nginx, path)
        assert response.getheader("Content-Encoding") is None
        assert TEXT in response.body.decode()


def test_answers_through_a_proxy_or_cdn_are_gzipped_too(nginx):
    response = fetch(nginx, "/page/", **{"Accept-Encoding": "gzip", "Via": "1.1 cdn.example"})
    assert response.getheader("Content-Encoding") == "gzip"


def test_tiny_answers_are_not_worth_compressing(nginx):
    response = fetch(nginx, "/tiny/", **{"Accept-Encoding": "gzip"})
    assert response.getheader("Content-Encoding") is None
    assert response.body == b"<p>ok</p>"
