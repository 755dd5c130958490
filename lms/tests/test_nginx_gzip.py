"""deploy/nginx.conf compresses text: the real nginx, with the repository's config moved
to a temporary prefix and free ports, in front of a tiny upstream standing in for Lectern.

Skipped where nginx is not installed, except under CI=true, where that fails (.ci/run
installs nginx-light)."""

import gzip
import http.client
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from lms.tests.nginx import deployed_nginx, require_nginx

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


@pytest.fixture(scope="module")
def nginx(tmp_path_factory):
    require_nginx()
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
    with deployed_nginx(root, upstream=upstream.server_address[1]) as port:
        yield port
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
