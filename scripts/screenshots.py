"""Take Chromium screenshots of Lectern's pages at desktop and phone widths.

Usage: .venv/bin/python scripts/screenshots.py [BASE_URL] [OUT_DIR]
Logs in as the demo accounts (make run loads them) for the pages that need it.
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
OUT = Path(sys.argv[2] if len(sys.argv) > 2 else "screenshots")
DEMO_PASSWORD = "lectern-demo-2026"  # noqa: S105 (the README's demo password)
SIZES = {"desktop": (1280, 800), "phone": (375, 740)}

# (name, path, demo account to log in as or None)
PAGES = [
    ("home", "/", None),
    ("catalog", "/courses/", None),
    ("catalog-search", "/courses/?q=python&price=free", None),
    ("category", "/categories/data-science/", None),
    ("course", "/courses/django-from-zero-to-deployed/", None),
    ("preview", "/learn/django-from-zero-to-deployed/preview/57/", None),
    ("instructor-page", "/instructors/2/", None),
    ("course-reviews", "/courses/python-for-absolute-beginners/#reviews", "student@lectern.test"),
    ("my-learning", "/learn/", "student@lectern.test"),
    ("player", "/learn/python-for-absolute-beginners/", "student@lectern.test"),
    ("admin-reviews", "/admin/reviews/review/", "staff@lectern.test"),
    ("dashboard-staff", "/admin/dashboard/?course=1", "staff@lectern.test"),
    ("dashboard-instructor", "/admin/dashboard/?period=90", "instructor@lectern.test"),
    ("admin-courses", "/admin/catalog/course/", "instructor@lectern.test"),
    ("admin-course", "/admin/catalog/course/11/change/", "instructor@lectern.test"),
    ("admin-section", "/admin/catalog/section/24/change/", "instructor@lectern.test"),
    ("signup", "/accounts/signup/", None),
    ("login", "/accounts/login/", None),
    ("login-code", "/accounts/login/code/", None),
    ("reset", "/accounts/password/reset/", None),
    ("profile", "/accounts/profile/", "student@lectern.test"),
    ("email", "/accounts/email/", "student@lectern.test"),
    ("delete-account", "/accounts/delete/", "student@lectern.test"),
    ("admin-applications", "/admin/accounts/instructorapplication/", "staff@lectern.test"),
]
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
]


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for size_name, (width, height) in SIZES.items():
            contexts = {}
            for name, path, account in PAGES:
                if account not in contexts:
                    context = browser.new_context(viewport={"width": width, "height": height})
                    if account:
                        page = context.new_page()
                        page.goto(BASE + "/accounts/login/")
                        page.get_by_label("Email").fill(account)
                        page.get_by_label("Password").fill(DEMO_PASSWORD)
                        page.get_by_role("button", name="Log in", exact=True).click()
                        page.wait_for_load_state()
                        page.close()
                    contexts[account] = context
                page = contexts[account].new_page()
                page.goto(BASE + path)
                page.screenshot(path=OUT / f"{name}-{size_name}.png", full_page=True)
                page.close()
            for context in contexts.values():
                context.close()
        browser.close()
    print(f"Screenshots in {OUT}/")


if __name__ == "__main__":
    main()
