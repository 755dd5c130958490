"""Lighthouse scores for Lectern's main pages, served as production serves them.

    make lighthouse        # or: .venv/bin/python scripts/lighthouse.py

Serves the demo the way ``make bench`` does (scripts/harness.py: gunicorn, DEBUG=0,
WhiteNoise with compressed, hashed static files, a throwaway Redis and, when its programs
are installed, a throwaway PostgreSQL) on a free port of 127.0.0.1, behind nginx with the
production config (deploy/nginx.conf: static files, course pictures, gzip); logs in as the demo
student through the login form and enrols them in the first demo course (for My learning
and the player); then runs Lighthouse (node_modules/.bin/lighthouse, from ``npm ci``)
with Debian's Chromium on the home page, the catalog, a course page, the player and My
learning, each with the mobile (default) and the desktop preset, LIGHTHOUSE_RUNS times
(default 3; the run with the median performance score counts, since timings move with
the machine's load). Signed-in pages get the session and CSRF cookies through
Lighthouse's --extra-headers. Writes docs/lighthouse.md: the four category scores per
page and preset, and the audits that cost points.
"""

import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import (
    ROOT,
    Site,
    database_and_cache,
    free_port,
    temporary_folder,
    wait_for,
)

LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = "/usr/bin/chromium"
NGINX_CONF = ROOT / "deploy" / "nginx.conf"
TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
OUT = ROOT / "docs" / "lighthouse.md"
STUDENT, PASSWORD = "student@lectern.test", "lectern-demo-2026"  # load_demo's
COURSE = "python-for-absolute-beginners"  # load_demo's first course, free
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
GOOD = 95
ATTEMPTS = 3
RUNS = int(os.environ.get("LIGHTHOUSE_RUNS", "3"))  # per page and preset; the median counts


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # hand 3xx answers back as they are: their cookies and Location count


OPENER = urllib.request.build_opener(NoRedirect)


class Browser:
    """Just enough of a browser for a form login: cookies (DEBUG=0 marks them Secure,
    which a cookie jar would then keep from plain http) and the CSRF token."""

    def __init__(self, base: str):
        self.base = base
        self.cookies: dict[str, str] = {}

    def request(self, path: str, form: dict | None = None) -> tuple[int, str, str]:
        headers = {"Cookie": self.cookie_header()}
        data = None
        if form is not None:
            form = {"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), **form}
            data = urllib.parse.urlencode(form).encode()
        url = self.base + path  # our own server on 127.0.0.1
        request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310
        try:
            response = OPENER.open(request, timeout=30)
        except urllib.error.HTTPError as error:
            response = error  # 3xx (not followed) and 4xx/5xx
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        body = response.read().decode("utf-8", "replace")
        return response.status, response.headers.get("Location", ""), body

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())


def sign_in_and_enrol(base: str) -> tuple[str, str]:
    """The demo student's Cookie header and their player URL (the course's first lesson)."""
    browser = Browser(base)
    browser.request("/accounts/login/")  # sets the CSRF cookie
    status, _, _ = browser.request("/accounts/login/", {"login": STUDENT, "password": PASSWORD})
    if status != 302 or "sessionid" not in browser.cookies:
        sys.exit(f"Signing in as {STUDENT} failed (HTTP {status})")
    status, _, _ = browser.request(f"/courses/{COURSE}/enrol/", {})
    if status not in (200, 302):
        sys.exit(f"Enrolling in {COURSE} failed (HTTP {status})")
    status, player, _ = browser.request(f"/learn/{COURSE}/")
    if status != 302 or "/lessons/" not in player:
        sys.exit(f"Continue on {COURSE} did not lead to the player (HTTP {status}, {player!r})")
    # What the student's browser holds: the session, and the CSRF cookie the player's
    # progress reports need (the one-off messages cookie is left out).
    cookie = "; ".join(f"{name}={browser.cookies[name]}" for name in ("sessionid", "csrftoken"))
    return cookie, urllib.parse.urlsplit(player).path


def run_lighthouse(url: str, *, preset: str, cookie: str | None, report: Path) -> dict:
    command = [
        str(LIGHTHOUSE),
        url,
        f"--chrome-path={CHROMIUM}",
        "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage",
        "--output=json",
        f"--output-path={report}",
        f"--only-categories={','.join(CATEGORIES)}",
        "--quiet",
    ]
    if preset == "desktop":
        command.append("--preset=desktop")
    if cookie:
        command.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
    for attempt in range(1, ATTEMPTS + 1):
        # On a busy machine Chromium's trace now and then misses the navigation start
        # (NO_NAVSTART): that run measured nothing, so it is run again.
        if subprocess.run(command, timeout=300, cwd=ROOT).returncode == 0:
            return json.loads(report.read_text())
        print(f"  Lighthouse failed (attempt {attempt} of {ATTEMPTS})", flush=True)
    sys.exit(f"Lighthouse failed {ATTEMPTS} times on {url}")


def summarise(result: dict) -> dict:
    """The four scores (0–100) and, per category under 100, the audits that lost points."""
    scores, losses = {}, {}
    audits = result["audits"]
    for key in CATEGORIES:
        category = result["categories"][key]
        scores[key] = round((category["score"] or 0) * 100)
        if scores[key] == 100:
            continue
        lost = []
        for ref in category["auditRefs"]:
            audit = audits[ref["id"]]
            if ref["weight"] and audit["score"] is not None and audit["score"] < 1:
                shown = audit.get("displayValue", "") or examples(audit)
                lost.append(f"{audit['title']}" + (f" ({shown})" if shown else ""))
        losses[key] = lost
    final_url = result.get("finalDisplayedUrl") or result.get("finalUrl", "")
    console = (audits.get("errors-in-console", {}).get("details") or {}).get("items", [])
    video_refused = any(
        "/video/" in ((item.get("sourceLocation") or {}).get("url") or "") for item in console
    )
    return {
        "scores": scores,
        "losses": losses,
        "final_url": final_url,
        "video_refused": video_refused,
    }


def examples(audit: dict) -> str:
    """The first items an audit found (an element, a console message), briefly."""
    found = []
    for item in (audit.get("details") or {}).get("items", [])[:2]:
        node = item.get("node") or {}
        text = node.get("snippet") or item.get("description") or item.get("url") or ""
        found.append(" ".join(str(text).split())[:140])
    return "; ".join(f"`{text}`" for text in found if text)


def median_run(runs: list[dict]) -> dict:
    """The run with the median performance score: one run's timings move with the
    machine's load (Lighthouse's own advice is to take the median of several)."""
    ordered = sorted(runs, key=lambda r: r["categories"]["performance"]["score"] or 0)
    return ordered[len(ordered) // 2]


class ProductionNginx:
    """deploy/nginx.conf in front of the site, as in production: static files (with the
    gzip copies collectstatic wrote) and media (course pictures) from nginx, pages
    proxied and compressed. TLS, ports and paths are moved; each change must apply."""

    def __init__(self, workdir: Path, *, upstream: int):
        self.workdir = workdir
        self.port, plain_port = free_port(), free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        text = "\n".join(
            line
            for line in NGINX_CONF.read_text().splitlines()
            if not line.strip().startswith("ssl_certificate")
        )
        for old, new in (
            ("listen 443 ssl http2;", f"listen 127.0.0.1:{self.port};"),
            ("listen 80;", f"listen 127.0.0.1:{plain_port};"),
            ("server 127.0.0.1:8000 ", f"server 127.0.0.1:{upstream} "),
            ("/srv/lectern/", f"{workdir}/"),  # staticfiles/, media/, private/ (harness.Site's)
        ):
            if old not in text:
                sys.exit(f"deploy/nginx.conf no longer has {old!r}: update scripts/lighthouse.py")
            text = text.replace(old, new)
        temp = "\n".join(f"{kind}_temp_path {workdir}/nginx-{kind};" for kind in TEMP_PATHS)
        self.conf = workdir / "nginx.conf"
        self.conf.write_text(
            f"user {pwd.getpwuid(os.getuid()).pw_name};\npid {workdir}/nginx.pid;\n"
            f"error_log {workdir}/nginx-error.log;\nevents {{ worker_connections 256; }}\n"
            f"http {{\ninclude /etc/nginx/mime.types;\ndefault_type application/octet-stream;"
            f"\naccess_log off;\n{temp}\n{text}\n}}\n"
        )
        self.command = ["nginx", "-p", str(workdir), "-c", str(self.conf)]

    def start(self) -> None:
        subprocess.run([*self.command, "-e", str(self.workdir / "nginx-error.log")], check=True)
        wait_for(self._answers, seconds=10, what="nginx")

    def _answers(self) -> bool:
        try:
            urllib.request.urlopen(self.base + "/healthz/", timeout=1)  # noqa: S310 (loopback)
        except OSError:
            return False
        return True

    def stop(self) -> None:
        subprocess.run([*self.command, "-s", "quit"], check=False, capture_output=True)


def main() -> None:
    if not shutil.which("nginx"):
        sys.exit("nginx is missing: apt-get install nginx-light")
    if not LIGHTHOUSE.exists():
        sys.exit("node_modules/.bin/lighthouse is missing: run `npm ci` (make lighthouse does)")
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} is missing: apt-get install chromium")
    if "REDIS_URL" not in os.environ and not shutil.which("redis-server"):
        sys.exit("redis-server is missing: apt-get install redis-server, or set REDIS_URL")
    workdir = temporary_folder("lectern-lighthouse-")
    services, env = database_and_cache(workdir)
    results: dict[tuple[str, str], dict] = {}
    site = nginx = None
    try:
        for service in services:
            service.start()
        site = Site(workdir, port=free_port(), workers=2, env=env)
        print(f"Preparing the demo ({site.database}, {site.cache}) in {workdir} …", flush=True)
        site.prepare()
        site.manage("load_demo")
        site.start()
        nginx = ProductionNginx(workdir, upstream=site.port)
        nginx.start()
        cookie, player = sign_in_and_enrol(site.base)
        pages = [
            ("Home", "/", None),
            ("Catalog", "/courses/", None),
            ("Course page", f"/courses/{COURSE}/", None),
            ("Player (signed in)", player, cookie),
            ("My learning (signed in)", "/learn/", cookie),
        ]
        for name, path, page_cookie in pages:
            for preset in ("mobile", "desktop"):
                print(f"Lighthouse: {name}, {preset} …", flush=True)
                runs = [
                    run_lighthouse(
                        nginx.base + path,
                        preset=preset,
                        cookie=page_cookie,
                        report=workdir / f"{len(results)}-{n}.json",
                    )
                    for n in range(RUNS)
                ]
                result = median_run(runs)
                summary = summarise(result)
                if urllib.parse.urlsplit(summary["final_url"]).path != path:
                    sys.exit(f"{name}: Lighthouse ended on {summary['final_url']}, not {path}")
                results[(name, preset)] = {"path": path, **summary}
        version = result["lighthouseVersion"]
        browser = result["environment"]["hostUserAgent"]
    finally:
        if nginx:
            nginx.stop()
        if site:
            site.stop()
        for service in services:
            service.stop_quietly()
        shutil.rmtree(workdir, ignore_errors=True)
    write_report(results, version=version, browser=browser, database=site.database)


def write_report(results: dict, *, version: str, browser: str, database: str) -> None:
    chrome = re.search(r"Chrome/[\d.]+", browser)
    lines = [
        "# Lighthouse — latest run",
        "",
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- Lighthouse {version}, {chrome.group(0) if chrome else browser} (Debian's "
        "Chromium, headless); mobile: the default preset (emulated Moto G Power, simulated "
        "slow 4G), desktop: `--preset=desktop`; each the median of "
        f"{RUNS} run{'s' if RUNS > 1 else ''} by performance score",
        f"- Server: as in production: nginx with deploy/nginx.conf (static files and course "
        f"pictures, gzip) in front of gunicorn (DEBUG=0, WhiteNoise), {database} and Redis, "
        "on 127.0.0.1 (scripts/harness.py, as `make bench`); the demo data; the signed-in "
        "pages as the demo student, enrolled in the first demo course",
        "",
        "| page | preset | performance | accessibility | best practices | SEO |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for (name, preset), r in results.items():
        cells = " | ".join(
            f"{score}" if score >= GOOD else f"**{score}**"
            for score in (r["scores"][key] for key in CATEGORIES)
        )
        lines.append(f"| {name} (`{r['path']}`) | {preset} | {cells} |")
    lines += ["", f"Scores under {GOOD} are in bold.", ""]
    below = [(key, r) for key, r in results.items() if r["losses"]]
    if below:
        lines += [
            "## What costs points",
            "",
            f"The audits not passed, for each score under 100 (under {GOOD} in bold):",
            "",
        ]
        for (name, preset), r in below:
            for category, audits in r["losses"].items():
                score = r["scores"][category]
                shown = f"**{score}**" if score < GOOD else str(score)
                what = "; ".join(audits) or "no single audit (weighted metrics each a little short)"
                lines.append(f"- {name}, {preset}, {category} {shown}: {what}")
        lines.append("")
    if any(r["video_refused"] for r in results.values()):
        lines += [
            "The player's console error is the video request refused (403) for want of the "
            "session, an artifact of signing in through `--extra-headers`: Lighthouse puts the "
            "cookies on the requests it makes, but Chromium sends a `<video>`'s requests with "
            "its own cookie jar, which holds only the CSRF cookie the page set. A browser "
            "that holds the session cookie gets the video (206).",
            "",
        ]
    seo_losses = " ".join(" ".join(r["losses"].get("seo", [])) for r in results.values())
    if "blocked from indexing" in seo_losses:
        lines += [
            '"Page is blocked from indexing" on the signed-in pages is by design: robots.txt '
            "disallows `/learn/` (personal pages; see `lms/views.py`).",
            "",
        ]
    lines.append("Made by `make lighthouse` (scripts/lighthouse.py).")
    OUT.write_text("\n".join(lines) + "\n")
    print(f"Written to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
