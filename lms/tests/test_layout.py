"""The house layout, read from the imports (README, "Layout").

Dependencies point one way: the ground floor ``lms.lib`` ← accounts ← catalog ←
learning ← video ← reviews ← payments ← analytics, and the root ``lms`` (settings, urls,
commands) on top may use them all. No app imports another app's views:
permission-checking getters live in each app's ``access.py``. Imports inside functions
count as much as those at the top.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Lowest first: each app may import only the apps before it (and the ground floor).
APPS = ["accounts", "catalog", "learning", "video", "reviews", "payments", "analytics"]
GROUND_FLOOR = "lms.lib"


def modules(package: str, *, tests: bool, root: Path = ROOT):
    for path in sorted((root / package.replace(".", "/")).rglob("*.py")):
        relative = path.relative_to(root)
        if "migrations" in relative.parts:
            continue
        if not tests and "tests" in relative.parts:
            continue
        yield relative, path


def imported(path: Path) -> set[str]:
    """Every module name ``path`` imports (``from a.b import c`` gives a.b and a.b.c)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def first_party(name: str) -> str | None:
    top = name.split(".")[0]
    if top in APPS:
        return top
    if top == "lms":
        return (
            GROUND_FLOOR if name == GROUND_FLOOR or name.startswith(f"{GROUND_FLOOR}.") else "lms"
        )
    return None


def violations(package: str, allowed: set[str], *, tests: bool, root: Path = ROOT) -> list[str]:
    found = []
    for relative, path in modules(package, tests=tests, root=root):
        for name in sorted(imported(path)):
            owner = first_party(name)
            if owner is None or owner == package or owner in allowed:
                continue
            found.append(f"{relative} imports {name}")
    return found


@pytest.mark.parametrize("app", APPS)
def test_apps_import_only_lower_apps_and_the_ground_floor(app):
    lower = set(APPS[: APPS.index(app)])
    assert violations(app, lower | {GROUND_FLOOR}, tests=False) == []


def test_the_ground_floor_imports_no_app():
    assert violations(GROUND_FLOOR, set(), tests=True) == []


@pytest.mark.parametrize("app", APPS)
def test_no_app_imports_the_root_even_in_tests(app):
    """Tests may use any app's factories, but never the root (its settings or urls)."""
    assert violations(app, set(APPS) | {GROUND_FLOOR}, tests=True) == []


@pytest.mark.parametrize("package", [*APPS, "lms"])
def test_nothing_imports_another_apps_views(package):
    found = []
    for relative, path in modules(package, tests=True):
        for name in imported(path):
            parts = name.split(".")
            if len(parts) > 1 and parts[0] in APPS and parts[0] != package and parts[1] == "views":
                found.append(f"{relative} imports {name}")
    # The root's URL configuration mounts views; nothing else may reach into them.
    found = [f for f in found if not f.startswith("lms/urls.py ")]
    assert found == []


def test_the_checks_see_a_violation(tmp_path):
    """The reader itself works: modules that break the rules are caught."""
    (tmp_path / "catalog").mkdir()
    (tmp_path / "catalog" / "access.py").write_text(
        "def f():\n    from learning.models import Enrollment\n"  # an upward import
    )
    (tmp_path / "catalog" / "views.py").write_text("from lms import settings\n")
    (tmp_path / "lms" / "lib").mkdir(parents=True)
    (tmp_path / "lms" / "lib" / "helpers.py").write_text("import reviews.models\n")

    assert violations("catalog", {"accounts", GROUND_FLOOR}, tests=False, root=tmp_path) == [
        "catalog/access.py imports learning.models",
        "catalog/access.py imports learning.models.Enrollment",
        "catalog/views.py imports lms",
        "catalog/views.py imports lms.settings",
    ]
    assert violations(GROUND_FLOOR, set(), tests=True, root=tmp_path) == [
        "lms/lib/helpers.py imports reviews.models"
    ]
