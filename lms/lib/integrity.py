"""The integrity check: every summary field against the rows it summarises.

Each app declares the checks for the summaries it keeps, in its own ``integrity.py``,
with ``@integrity_check("name")``; ``manage.py check_integrity`` finds them (as the admin
finds ``admin.py``), runs them, reports drift and, with ``--fix``, mends it. A check
takes ``fix`` (and the command's other options) and returns the drift it found, as it
was before mending. The ground floor's own
check compares files in storage with the rows that point at them (file fields, and the
names an app claims with ``@claims_files``).
"""

import posixpath
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.apps import apps
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from lms.lib.files import FilesFollowRows, delete_file_on_commit


@dataclass(frozen=True)
class Drift:
    check: str
    item: str  # what drifted, for a person: "course 12 (python-basics)"
    stored: object
    actual: object
    fixable: bool = True

    def __str__(self) -> str:
        return f"{self.check}: {self.item}: stored {self.stored}, actual {self.actual}"


CHECKS: dict[str, Callable[..., list[Drift]]] = {}


def integrity_check(name: str):
    """Register ``function(*, fix: bool, **options) -> list[Drift]`` under ``name``."""

    def register(function):
        CHECKS[name] = function
        return function

    return register


# Files younger than this may belong to an upload whose row is not committed yet.
ORPHAN_GRACE_SECONDS = 3600

# Functions yielding (storage, name) of files that rows name outside a file field (a
# direct upload's object before it becomes a lesson's video): never orphans.
FILE_CLAIMS: list[Callable[[], object]] = []


def claims_files(function):
    """Register ``function() -> iterable of (storage, name)`` with the files check."""
    FILE_CLAIMS.append(function)
    return function


def run_checks(*, fix: bool = False, only: list[str] | None = None, **options) -> list[Drift]:
    """Run every registered check (or those named in ``only``)."""
    autodiscover_modules("integrity")
    options.setdefault("orphan_grace", ORPHAN_GRACE_SECONDS)
    drift = []
    for name, check in CHECKS.items():
        if only and name not in only:
            continue
        drift.extend(check(fix=fix, **options))
    return drift


def _file_fields():
    """(model, field, storage, folder) for every file field whose files follow rows."""
    for model in apps.get_models():
        if not issubclass(model, FilesFollowRows):
            continue
        for field in model.file_fields():
            upload_to = field.upload_to
            sample = (
                upload_to(None, "sample.bin")
                if callable(upload_to)
                else posixpath.join(upload_to, "sample.bin")
            )
            yield model, field, field.storage, posixpath.dirname(sample)


def _walk(storage, folder: str):
    try:
        directories, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in files:
        yield posixpath.join(folder, name)
    for directory in directories:
        yield from _walk(storage, posixpath.join(folder, directory))


@integrity_check("files")
def check_files(*, fix: bool, orphan_grace: float = ORPHAN_GRACE_SECONDS, **options) -> list[Drift]:
    """Rows whose file is missing (reported; nothing can restore it) and files no row
    points at (orphans older than ``orphan_grace`` seconds: deleted with ``fix``)."""
    drift = []
    referenced: dict[tuple[int, str], set[str]] = {}
    folders: dict[tuple[int, str], object] = {}
    for model, field, storage, folder in _file_fields():
        names = set(
            model._default_manager.exclude(**{field.attname: ""})
            .values_list(field.attname, flat=True)
            .order_by()
        )
        for name in sorted(names):
            if not storage.exists(name):
                drift.append(
                    Drift(
                        "files",
                        f"{model._meta.label} {field.name} {name}",
                        "a row",
                        "no file",
                        fixable=False,
                    )
                )
        key = (id(storage), folder)
        referenced.setdefault(key, set()).update(names)
        folders[key] = storage
    claimed = {(id(storage), name) for claims in FILE_CLAIMS for storage, name in claims()}
    cutoff = timezone.now() - timedelta(seconds=orphan_grace)
    for (storage_id, folder), storage in folders.items():
        for name in _walk(storage, folder):
            if name in referenced[(storage_id, folder)] or (storage_id, name) in claimed:
                continue
            if storage.get_modified_time(name) > cutoff:
                continue  # perhaps an upload whose row is on its way
            drift.append(Drift("files", f"{folder}/ {name}", "a file", "no row"))
            if fix:
                delete_file_on_commit(storage, name)
    return drift
