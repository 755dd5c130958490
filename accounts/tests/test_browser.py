"""The first journey in a real browser: sign up with a code, profile, log in by code."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.models import Profile, User
from accounts.tests.helpers import last_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AVATAR = Path(__file__).parent / "fixtures" / "avatar.png"


def test_signup_verify_profile_logout_login_by_code(live_server, page):
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Sign up").first.click()

    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Lovelace")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password", exact=True).fill("analytical-Engine-1843")
    page.get_by_label("Password (again)").fill("analytical-Engine-1843")
    page.get_by_role("button", name="Sign up", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Enter the code we emailed you")
    page.get_by_label("Code").fill(last_code("ada@example.com"))
    page.get_by_role("button", name="Confirm").click()

    # Verified and logged in: the navigation offers the profile and logging out.
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    page.get_by_role("navigation").get_by_role("link", name="Profile").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ada Lovelace")

    page.get_by_label("Display name").fill("Countess Ada")
    page.get_by_label("About").fill("I write programs for engines that do not exist yet.")
    page.get_by_label("Date of birth").fill("1995-12-10")
    page.get_by_label("New avatar").set_input_files(AVATAR)
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("status").first).to_contain_text("Your profile was saved.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Countess Ada")
    expect(page.get_by_role("img", name="Your avatar")).to_be_visible()

    profile = Profile.objects.get(user__email="ada@example.com")
    assert profile.avatar and str(profile.date_of_birth) == "1995-12-10"

    page.get_by_role("button", name="Log out").click()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Log in")).to_be_visible()

    nav.get_by_role("link", name="Log in").click()
    page.get_by_role("link", name="Email me a login code").click()
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_role("button", name="Email me a code").click()
    page.get_by_label("Code").fill(last_code("ada@example.com"))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    assert User.objects.get(email="ada@example.com").last_login is not None
