"""Every page in site_pages is valid HTML, as the Nu HTML checker (vnu.jar) sees it.

The pages are fetched with Django's test client as their actor, written to a temporary
folder and checked in one run of the checker (one JVM start for all of them). Errors
fail the test; warnings are printed (``-s`` shows them) and allowed.

vnu.jar comes from ``make test`` (``npm ci``, package-lock.json) and runs on the
machine's Java. Without Java or node_modules this test skips with the reason, except under
CI=true, where it fails.
"""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.test import Client

from lms.tests.site_pages import ANONYMOUS, build_site, site_pages

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
IN_CI = os.environ.get("CI", "").lower() == "true"
CANARY = "zz-canary-invalid.html"


def require_checker() -> str:
    java = shutil.which("java")
    missing = []
    if not java:
        missing.append("java (apt-get install default-jre-headless)")
    if not VNU.exists():
        missing.append(f"{VNU.relative_to(ROOT)} (make test runs npm ci)")
    if missing:
        reason = "the Nu HTML checker needs " + " and ".join(missing)
        if IN_CI:
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    return java


def fetch(page, users) -> tuple[int, str]:
    """The page's status and HTML, as its actor gets them (after its ``before`` POST)."""
    client = Client()
    if page.actor != ANONYMOUS:
        client.force_login(users[page.actor])
    if page.before:
        path, data = page.before
        answer = client.post(path, data)
        assert answer.status_code == 302, f"{page}: POST {path} was refused: {answer}"
    response = client.get(page.path)
    return response.status_code, response.content.decode()


def file_name(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") + ".html"


def test_every_page_is_valid_html(tmp_path):
    java = require_checker()
    site = build_site()
    folder = tmp_path / "pages"
    folder.mkdir()
    pages = {}
    wrong_status = []
    for page in site_pages(site):
        status, html = fetch(page, site.users)
        if status != page.status:
            wrong_status.append(f"{page}: answered {status}, expected {page.status}")
        name = file_name(page.name)
        (folder / name).write_text(html)
        pages[name] = page
    if wrong_status:
        pytest.fail("\n".join(wrong_status), pytrace=False)
    # A page with a known error, checked in the same run: proves the checker read the
    # folder and reports errors the way this test reads them.
    (folder / CANARY).write_text("<!DOCTYPE html><html lang=en><title>x</title><p><div></span>")

    result = subprocess.run(
        [java, "-jar", str(VNU), "--format", "json", "--exit-zero-always", str(folder)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    # The report is the JSON on standard error (after anything the JVM itself says).
    start = result.stderr.find('{"version"')
    assert start >= 0, f"no report from the Nu checker: {result.stderr[-2000:]}"
    messages = json.loads(result.stderr[start:])["messages"]
    canary = [m for m in messages if Path(m.get("url", "")).name == CANARY]
    assert any(m["type"] == "error" for m in canary), f"the checker missed {CANARY}: {messages}"
    errors, warnings = {}, {}  # message -> where it was found
    for message in messages:
        name = Path(message.get("url", "")).name
        if name == CANARY:
            continue
        page = pages.get(name, name or "the checker")
        where = f"{page}, line {message.get('lastLine', '?')}: {message.get('extract', '')!r}"
        if message["type"] in ("error", "non-document-error"):
            errors.setdefault(message.get("message"), []).append(where)
        else:  # "info" messages: warnings (subType "warning") and plain notes
            warnings.setdefault(message.get("message"), []).append(where)
    if warnings:
        print("\nThe Nu checker's warnings (allowed):\n" + readable(warnings))
    if errors:
        pytest.fail(f"The Nu checker found errors:\n{readable(errors)}", pytrace=False)


def readable(found: dict[str, list[str]]) -> str:
    """Each distinct message once, with the pages (and lines) it was found on."""
    return "\n".join(
        f"* {text}\n" + "\n".join(f"    - {where}" for where in places)
        for text, places in found.items()
    )
