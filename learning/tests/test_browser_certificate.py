"""The demo student finishes a short course, downloads the certificate, and anyone can
open its verification link."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect
from pypdf import PdfReader

from learning.models import Certificate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_finish_download_verify(live_server, page, browser):
    call_command("load_demo")
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill("student@lectern.test")
    page.get_by_label("Password").fill("lectern-demo-2026")
    page.get_by_role("button", name="Log in", exact=True).click()

    page.goto(live_server.url + "/courses/practical-git/")
    page.get_by_role("button", name="Enrol for free").click()
    status = page.locator("#lesson-status")
    for _ in range(5):
        status.get_by_role("button", name="Mark lesson as complete").click()
        expect(status).to_contain_text("Lesson completed")
        next_link = page.get_by_role("link", name=re.compile("^Next"))
        if next_link.count():
            next_link.click()
    expect(status).to_contain_text("You completed “Practical Git”!")

    with page.expect_download() as download:
        status.get_by_role("link", name="Download your certificate (PDF)").click()
    # The demo student holds the certificate of a demo course already (load_demo).
    certificate = Certificate.objects.get(
        user__email="student@lectern.test", course__slug="practical-git"
    )
    text = PdfReader(download.value.path()).pages[0].extract_text()
    assert "Sam Student" in text and certificate.code in text

    stranger = browser.new_context().new_page()
    stranger.goto(live_server.url + certificate.get_absolute_url())
    expect(stranger.get_by_role("heading", level=1)).to_have_text("Certificate verification")
    expect(stranger.get_by_text("Valid certificate.")).to_be_visible()
    expect(stranger.get_by_text("Sam Student")).to_be_visible()
